"""A latency model between the processes of a network: regions, a round-trip-time matrix
between them, and where each node runs.

A regions file (JSON)::

    {"regions": {"eu-west": {"eu-west": 1, "us-east": 80, "ap-south": 130},
                 "us-east": {"eu-west": 80, "us-east": 1, "ap-south": 190},
                 "ap-south": {"eu-west": 130, "us-east": 190, "ap-south": 1}},
     "orderers": "eu-west", "clients": "eu-west"}

gives round-trip times in milliseconds (symmetric; a missing pair is an error). Peers are
placed round-robin over the regions in the order listed; orderers and clients in the
named region (default: the first). ``rtt(a, b)`` is the delay the transport adds to a
call from a node in region ``a`` to one in ``b``; ``one_way`` half of it (block delivery).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


class LatencyError(ValueError):
    """A regions file that does not describe a latency model; names the field."""


@dataclass(frozen=True)
class LatencyModel:
    rtt_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    orderer_region: str = ""
    client_region: str = ""

    @property
    def regions(self) -> list[str]:
        return list(self.rtt_ms)

    @classmethod
    def none(cls) -> LatencyModel:
        return cls({"local": {"local": 0.0}}, "local", "local")

    @classmethod
    def from_json(cls, data: object, where: str = "regions") -> LatencyModel:
        if not isinstance(data, dict) or not isinstance(data.get("regions"), dict) \
                or not data["regions"]:
            raise LatencyError(f"{where}: needs a non-empty object 'regions'")
        table: dict[str, dict[str, float]] = {}
        names = list(data["regions"])
        for name, row in data["regions"].items():
            if not isinstance(row, dict):
                raise LatencyError(f"{where}.regions.{name}: must be an object of RTTs")
            table[name] = {}
            for other in names:
                value = row.get(other)
                if isinstance(value, bool) or not isinstance(value, (int, float)) \
                        or value < 0:
                    raise LatencyError(f"{where}.regions.{name}.{other}: needs a round-trip "
                                       "time in milliseconds >= 0")
                table[name][other] = float(value)
        for name in names:
            for other in names:
                if table[name][other] != table[other][name]:
                    raise LatencyError(f"{where}.regions.{name}.{other}: not symmetric "
                                       f"({table[name][other]} vs {table[other][name]})")
        model = cls(table, data.get("orderers", names[0]), data.get("clients", names[0]))
        for key, value in (("orderers", model.orderer_region),
                           ("clients", model.client_region)):
            if value not in table:
                raise LatencyError(f"{where}.{key}: unknown region {value!r}")
        return model

    @classmethod
    def load(cls, path: str | Path) -> LatencyModel:
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise LatencyError(f"{path}: cannot read ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise LatencyError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
        return cls.from_json(data, str(path))

    def to_json(self) -> dict:
        return {"regions": self.rtt_ms, "orderers": self.orderer_region,
                "clients": self.client_region}

    def peer_region(self, index: int) -> str:
        return self.regions[index % len(self.regions)]

    def rtt(self, a: str, b: str) -> float:
        """Round trip in seconds between regions ``a`` and ``b``."""
        return self.rtt_ms[a][b] / 1000.0

    def one_way(self, a: str, b: str) -> float:
        return self.rtt(a, b) / 2
