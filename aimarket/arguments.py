"""Argument types and checks shared by the commands: each refuses bad input with a reason
that argparse (or :class:`aimarket.cli.UsageError`) turns into one line naming the field."""

from __future__ import annotations

import argparse
from pathlib import Path


def whole_int(text: str) -> int:
    """An ``int`` argument: any whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    """An ``int`` argument of at least 1."""
    value = whole_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def check_empty_directory(directory: str | None, field: str = "--dir") -> None:
    """A directory a command will create and fill: absent, or an empty directory."""
    from aimarket.errors import UsageError

    if directory is None:
        return
    path = Path(directory)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageError(field, f"{directory} exists and is not an empty directory")
