"""evaluate's km.svg tells its three curves apart without colour: a dash pattern each and its
name at the end of its line."""

from __future__ import annotations

import pandas as pd
from tests.journeys.test_km_chart import assert_a_name_at_each_line_end, lines_and_labels

from earlyhelp.evaluate.charts import km_svg

GROUPS = {
    "stepped down to early help": 0.80,
    "closed, no early help": 0.64,
    "closed, no early help (weighted to the stepped down)": 0.72,
}


def test_each_curve_has_its_own_dashes_and_its_name_at_its_end() -> None:
    survival = pd.DataFrame(
        {"group": group, "day": float(day), "share": 1 - (1 - end) * day / 730}
        for group, end in GROUPS.items()
        for day in range(0, 731, 73)
    )
    svg = km_svg(survival)
    assert_a_name_at_each_line_end(svg, set(GROUPS))
    lines, _ = lines_and_labels(svg)
    # Lowest share 64%, so the axis runs 60..100%, 7.5 pixels a point: at day 730 (x 480) the
    # curves end on 80%, 72% and 64% (y 150, 210 and 270), far enough apart for their names.
    assert sorted(end for _, end in lines) == [(480.0, 150.0), (480.0, 210.0), (480.0, 270.0)]
    assert 'role="img"' in svg and "<desc" in svg
