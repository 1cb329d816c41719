"""Regenerate src/earlyhelp/report/fonts/ (run from the repository root).

The report's charts are laid out by vl-convert, which measures text with whatever fonts it finds.
With only the machine's fonts, a chart's layout changed when, say, installing Chromium brought
Liberation Sans 1.07 (a different version of the same family). So the package ships its own copy
of Liberation Sans 2 (Regular and Bold) under a family name no machine has, "Earlyhelp Sans",
and the charts name it first; browsers without it fall back to Arial, which Liberation Sans
matches metric for metric.

Source: Debian's fonts-liberation2 2.1.5 (Liberation Fonts, (c) 2012 Red Hat, Inc., digitized
data (c) 2010 Google Corporation; SIL Open Font License 1.1). The OFL reserves the names
"Liberation", "Arimo", "Tinos" and "Cousine" for the original fonts, so the renamed copy carries
none of them in its family names; the licence travels with it (fonts/OFL.txt).

    apt-get download fonts-liberation2 && dpkg -x fonts-liberation2_*.deb /tmp/lib2
    python3 -m venv /tmp/ft && /tmp/ft/bin/pip install fonttools==4.68.0
    /tmp/ft/bin/python scripts/derive_report_font.py /tmp/lib2/usr/share/fonts/truetype/liberation2
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools.ttLib import TTFont

FAMILY = "Earlyhelp Sans"
OUT = Path("src/earlyhelp/report/fonts")
STYLES = {"Regular": "Regular", "Bold": "Bold"}


def rename(source: Path, style: str, target: Path) -> None:
    font = TTFont(source)
    names = font["name"]
    postscript = f"{FAMILY.replace(' ', '')}-{style}"
    for record in list(names.names):
        # 1 family, 3 unique id, 4 full name, 6 PostScript name, 16/17 typographic family/style.
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 4):
            names.setName(f"{FAMILY} {style}", record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName(postscript, record.nameID, record.platformID, record.platEncID, record.langID)
    font.save(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("liberation2", type=Path, help="folder holding LiberationSans-Regular.ttf and -Bold.ttf")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for style in STYLES:
        rename(args.liberation2 / f"LiberationSans-{style}.ttf", style, OUT / f"EarlyhelpSans-{style}.ttf")
    print(f"wrote {', '.join(f'EarlyhelpSans-{s}.ttf' for s in STYLES)} to {OUT}")


if __name__ == "__main__":
    main()
