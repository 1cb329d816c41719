"""Every chart of the report is also a PNG beside its SVG, for pasting into board papers."""

from __future__ import annotations

import re
import struct

from earlyhelp.report import render_report
from earlyhelp.report.charts import PNG_SCALE

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def _svg_size(svg: str) -> tuple[int, int]:
    opening = svg[: svg.index(">")]
    width, height = (re.search(rf'\s{name}="(\d+)"', opening) for name in ("width", "height"))
    assert width and height
    return int(width.group(1)), int(height.group(1))


def test_each_svg_has_a_png_twice_its_size(england_site):
    charts = england_site.parent / "charts"
    svgs = sorted(charts.glob("*.svg"))
    assert svgs
    assert sorted(p.stem for p in charts.glob("*.png")) == sorted(p.stem for p in svgs)
    assert PNG_SCALE == 2
    for svg in svgs:
        width, height = _svg_size(svg.read_text(encoding="utf-8"))
        assert _png_size(svg.with_suffix(".png").read_bytes()) == (2 * width, 2 * height), svg.name


def test_the_page_links_each_png_beside_its_svg(england_site):
    page = england_site.read_text(encoding="utf-8")
    for svg in sorted((england_site.parent / "charts").glob("*.svg")):
        svg_link = page.index(f'href="charts/{svg.name}" download')
        png_link = page.index(f'href="charts/{svg.stem}.png" download>Download PNG')
        assert 0 < png_link - svg_link < 400


def test_the_pngs_are_the_same_bytes_every_time(published_csv, england_site, tmp_path):
    again = render_report(published_csv, tmp_path / "again").parent / "charts"
    first = england_site.parent / "charts"
    for png in sorted(first.glob("*.png")):
        assert (again / png.name).read_bytes() == png.read_bytes(), png.name
