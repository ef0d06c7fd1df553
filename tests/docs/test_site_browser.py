"""The built site in a real browser: headless Chromium renders the pages with their
diagrams and tables, and no page asks anything of another host.

The site is served from a thread on a free localhost port. Chromium (Debian package
``chromium``) is driven through its command line: ``--dump-dom`` prints the document after
the page's scripts ran, ``--screenshot`` takes a picture, and ``--log-net-log`` records
every request, from which the requests made on behalf of the page are checked.
Skipped, with the reason, where Chromium is not installed.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import Built

PAGES = {
    "index.html": {"diagram": False},
    "protocol/training-job.html": {"diagram": True},
    "protocol/disputes.html": {"diagram": True},
    "conformance/traceability.html": {"diagram": False},
    "proofs/incentives.html": {"diagram": False},
}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--virtual-time-budget=5000", "--disable-dev-shm-usage",
                  "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter",
                  # a request to any other host fails at once instead of leaving the machine
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium); "
                "the site is not tested in a browser")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(built: Built) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(built.present.site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_chromium(url: str, *arguments: str) -> tuple[str, list[str]]:
    """Load ``url``; the printed output and the URLs requested on behalf of pages."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        net_log = Path(profile) / "net-log.json"
        command = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}/data",
                   f"--log-net-log={net_log}", *arguments, url]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout, page_requests(net_log)


def page_requests(net_log: Path) -> list[str]:
    """URLs of the requests made for a page (those whose network isolation key is a
    page's site), leaving out the browser's own background requests."""
    data = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in data["events"]:
        parameters = event.get("params", {})
        if event["type"] == start_job and "url" in parameters:
            isolation = parameters.get("network_isolation_key", "")
            initiator = parameters.get("initiator", "")
            if "127.0.0.1" in isolation or initiator.startswith("http://127.0.0.1"):
                urls.append(parameters["url"])
    return urls


def off_host(urls: list[str]) -> list[str]:
    return [url for url in urls if urlsplit(url).hostname != "127.0.0.1"]


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_with_its_diagrams_and_tables_from_this_host_only(served: str, page: str) -> None:
    dom, requests = run_chromium(served + page, "--dump-dom")
    assert requests and any(url.endswith(page) for url in requests), "the page was not loaded"
    assert off_host(requests) == [], f"{page} requested other hosts: {off_host(requests)}"
    assert "md-typeset__scrollwrap" in dom, "Material's script did not run (tables are not wrapped)"
    tables = re.findall(r"<table[^>]*>.*?</table>", dom, flags=re.S)
    assert tables and all("<td" in table for table in tables)
    if PAGES[page]["diagram"]:
        diagram = re.search(r'<div class="diagram"[^>]*>(.*?)</div>', dom, flags=re.S)
        assert diagram, f"{page} has no diagram"
        svg = diagram.group(1)
        size = re.search(r'<svg[^>]*width="([\d.]+)pt"[^>]*height="([\d.]+)pt"', svg)
        assert size, f"{page}'s diagram has no size"
        width, height = size.groups()
        assert float(width) > 100 and float(height) > 100
        assert svg.count('class="node"') >= 4 and svg.count('class="edge"') >= 4
        assert re.search(r'<path[^>]* d="M[^"]+"', svg), "the diagram's edges have no drawing"


def test_the_off_host_check_sees_a_request_to_another_host(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>', encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _, requests = run_chromium(f"http://127.0.0.1:{server.server_address[1]}/page.html", "--dump-dom")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert off_host(requests) == ["http://example.invalid/x.png"]


def test_screenshot_of_the_job_chapter_shows_a_drawn_page(served: str, tmp_path: Path) -> None:
    matplotlib_image = pytest.importorskip("matplotlib.image")
    picture = tmp_path / "training-job.png"
    run_chromium(served + "protocol/training-job.html", "--window-size=1280,4000",
                 f"--screenshot={picture}")
    pixels = matplotlib_image.imread(str(picture))
    assert pixels.shape[0] >= 4000 and pixels.shape[1] >= 1280
    not_white = (pixels[:, :, :3].sum(axis=2) < 2.9).mean()
    assert not_white > 0.02, f"the screenshot is almost blank ({not_white:.1%} drawn)"
    keep = os.environ.get("AIMARKET_DOCS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(picture, Path(keep) / picture.name)
