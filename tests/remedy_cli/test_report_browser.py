"""report.html as a browser renders it: Debian's headless Chromium, offline, draws the text and the SVG charts.

Marked `browser` (make e2e): skipped where Chromium is missing, failed in CI (CI set)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from catalogue import FRAMEWORK_TITLES, load_catalogue
from remedy_cli.main import main
from remedy_cli.report_html import COLOURS
from tests.conftest import ACCOUNT_ID, REGION

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Headless, offline: no first-run, sync, component or background fetches; a profile of its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--force-color-profile=srgb",
    "--window-size=1280,2000",
)
CATALOGUE = load_catalogue()
SHOWN_ROWS = 700  # the charts are in the page's first rows; decoding them is enough (pure Python is slow)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} missing: apt-get install chromium"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI requires it")
    pytest.skip(message)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    """report.html of a scan with a compliant resource of every control and a non-compliant one of every other."""
    folder = tmp_path_factory.mktemp("report")
    results = []
    for index, control in enumerate(CATALOGUE.controls):
        for verdict in ("COMPLIANT", "NON_COMPLIANT") if index % 2 else ("COMPLIANT",):
            results.append(
                {
                    "control": control.id,
                    "account": ACCOUNT_ID,
                    "region": REGION,
                    "resource_type": control.resource_type,
                    "resource_id": f"{control.id}-{verdict.lower()}",
                    "compliance": verdict,
                    "annotation": "",
                }
            )
    (folder / "scan.json").write_text(json.dumps(results))
    assert main(["report", "--from-scan", str(folder / "scan.json"), "--output", str(folder), "--no-history"]) == 0
    return folder / "report.html"


def _chromium(chromium: Path, page: Path, profile: Path, *action: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(chromium), *FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def png_rows(data: bytes, rows: int) -> tuple[int, int, list[bytes]]:
    """(width, channels, the first `rows` rows of pixels) of an 8-bit RGB or RGBA PNG, with the standard library
    (https://www.w3.org/TR/png/#9Filters)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks, header = 8, [], b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        offset += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    previous, decoded = bytes(stride), []
    for row in range(min(rows, height)):
        kind, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[i] = (line[i] + predictor) & 0xFF
        previous = bytes(line)
        decoded.append(previous)
    return width, channels, decoded


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def test_chromium_renders_the_text_of_every_framework_and_the_non_compliant_resources(chromium, report_page, tmp_path):
    dom = _chromium(chromium, report_page, tmp_path / "profile", "--dump-dom").stdout.decode()

    for title in FRAMEWORK_TITLES.values():
        assert f"{title} (" in dom
    assert dom.count("<svg") == 2
    for index, control in enumerate(CATALOGUE.controls):
        assert (f"{control.id}-non_compliant" in dom) is bool(index % 2)


def test_the_screenshot_shows_the_charts_in_their_colours(chromium, report_page, tmp_path):
    shot = tmp_path / "report.png"
    _chromium(chromium, report_page, tmp_path / "profile", f"--screenshot={shot}")
    data = shot.read_bytes()

    assert len(data) > 20_000  # a blank 1280x2000 page compresses to a few KB
    _width, channels, rows = png_rows(data, SHOWN_ROWS)
    colours = {tuple(row[i : i + 3]) for row in rows for i in range(0, len(row), channels)}
    assert len(colours) > 10
    # The framework chart's bars: compliant and non-compliant requirements, flat fills of the report's colours.
    for status in ("COMPLIANT", "NON_COMPLIANT"):
        wanted = _rgb(COLOURS[status])
        assert any(all(abs(a - b) <= 3 for a, b in zip(colour, wanted, strict=True)) for colour in colours), status
