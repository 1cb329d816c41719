"""The Kaplan-Meier charts tell their groups apart without colour (WCAG 1.4.1): each group's line
has its own dash pattern and its name written at the end of the line."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from earlyhelp.journeys import charts, survival

SVG = "{http://www.w3.org/2000/svg}"
PLOT_WIDTH, PLOT_HEIGHT = 480, 300  # the chart's plot area, in SVG pixels


def lines_and_labels(svg: str) -> tuple[list[tuple[str, tuple[float, float]]], list[tuple[str, tuple[float, float]]]]:
    """The curves (dash pattern, end point) and the text marks (words, anchor) of a chart's SVG."""
    root = ET.fromstring(svg)
    lines, labels = [], []
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class", "")
        if kind.startswith("mark-line role-mark"):
            for path in group.iter(f"{SVG}path"):
                numbers = re.findall(r"-?[0-9.]+", path.get("d", ""))
                lines.append((path.get("stroke-dasharray", "none"), (float(numbers[-2]), float(numbers[-1]))))
        elif kind.startswith("mark-text role-mark"):
            for text in group.iter(f"{SVG}text"):
                x, y = re.fullmatch(r"translate\(([-0-9.]+),([-0-9.]+)\)", text.get("transform", "")).groups()
                labels.append((" ".join(" ".join(text.itertext()).split()), (float(x), float(y))))
    return lines, labels


def assert_a_name_at_each_line_end(svg: str, names: set[str]) -> None:
    """Every line has its own dash pattern, and every group's name sits just right of a line's end."""
    lines, labels = lines_and_labels(svg)
    assert len(lines) == len(names)
    assert len({dashes for dashes, _ in lines}) == len(names), "two groups share a dash pattern"
    assert {words for words, _ in labels} == names
    for words, (x, y) in labels:
        # 6 pixels right of the end, and the name (one line, or a wrapped one centred on the end)
        # level with it: its first baseline within a line's height of the end
        assert any(
            x - end_x == pytest.approx(6) and abs(y - end_y) <= charts.END_LABEL_LINE_PX for _, (end_x, end_y) in lines
        ), words


def planted_points(ends: dict[str, float]) -> pd.DataFrame:
    """Straight curves from 0 at day 0 to ``ends[group]`` at day 730, as ``curve_points`` gives them."""
    return pd.DataFrame(
        {
            "analysis": "after_assessment_closure",
            "outcome": "re_referral",
            "group": group,
            "day": day,
            "segment": 0,
            "cumulative_incidence": str(end * day / 730),
            "ci_lower": str(0.8 * end * day / 730),
            "ci_upper": str(1.2 * end * day / 730),
        }
        for group, end in ends.items()
        for day in range(0, 731, 73)
    )


def km_chart(ends: dict[str, float]) -> str:
    points = planted_points(ends)
    return charts.km_svg(points, "after_assessment_closure", "re_referral", "Re-referral", "summary", "km_test")


def test_each_group_has_its_own_dashes_and_its_name_at_its_line_end() -> None:
    svg = km_chart({"stepped_down": 0.10, "closed_no_early_help": 0.20})
    assert_a_name_at_each_line_end(svg, {"Stepped down to early help", "Closed with no early help"})
    lines, _ = lines_and_labels(svg)
    # The highest band edge is 24%, so the axis runs 0..25%, 12 pixels a point: the curves end at
    # day 730 (x 480) on 10% (y 300 - 120) and 20% (y 300 - 240).
    assert sorted(end for _, end in lines) == [(480.0, 60.0), (480.0, 180.0)]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg


def test_names_of_curves_ending_together_do_not_overlap() -> None:
    svg = km_chart({"stepped_down": 0.10, "closed_no_early_help": 0.10})
    _, labels = lines_and_labels(svg)
    first, second = sorted(y for _, (_, y) in labels)
    assert second - first >= charts.END_LABEL_LINE_PX + charts.END_LABEL_GAP_PX


def test_end_labels_move_apart_and_stay_above_the_axis() -> None:
    # Domain 0..25 on 300 pixels: 12 pixels a point; one line of name is 14 pixels, the gap 6.
    frame = pd.DataFrame({"group": ["a", "b", "a", "b"], "day": [0, 0, 730, 730], "value": [0.0, 0.0, 10.0, 10.0]})
    labels = charts.end_labels(frame, "day", "value", (0.0, 25.0), 300)
    # "a": centred on the end (180 px down), so its top at 173 px, 25 - 173/12 in points; "b":
    # centred 7 + 6 + 7 pixels lower, at 200, its top at 193 px.
    assert list(labels["label_y"]) == pytest.approx([25 - 173 / 12, 25 - 193 / 12])
    assert list(labels["day"]) == [730, 730]

    at_zero = frame.assign(value=0.0)
    labels = charts.end_labels(at_zero, "day", "value", (0.0, 25.0), 300)
    # Both end on the axis (300 px): centres 300 and 320, bottoms at 327, 27 pixels too low, so
    # both are lifted by 27: tops at 266 and 286.
    assert list(labels["label_y"]) == pytest.approx([25 - 266 / 12, 25 - 286 / 12])


def test_a_long_name_is_wrapped_onto_lines() -> None:
    frame = pd.DataFrame({"group": ["closed, no early help (weighted to the stepped down)"], "day": [730], "v": [5.0]})
    labels = charts.end_labels(frame, "day", "v", (0.0, 10.0), 300)
    assert labels["label"].item() == "closed, no early help\n(weighted to the stepped down)"
    # Two lines (28 pixels) centred on the end at 150 px: the top at 136 px.
    assert labels["label_y"].item() == pytest.approx(10 - 136 / 30)


def test_a_curve_breaks_at_a_suppressed_point_rather_than_bridging_it() -> None:
    # 30 children followed 800 days: 1 re-referred on day 20 and 5 more on day 40. At threshold 5
    # day 28 (1 with the event) is suppressed; day 14 (none) and day 42 (6) are published.
    times = np.array([20.0] + [40.0] * 5 + [800.0] * 24)
    events = np.array([True] * 6 + [False] * 24)
    curve = survival.Curve("after_assessment_closure", "re_referral", "stepped_down", times, events)
    points = survival.curve_points([curve], threshold=5)
    assert list(points["day"][:3]) == [0, 14, 42]
    assert list(points["segment"][:3]) == [0, 0, 1]
    svg = charts.km_svg(points, "after_assessment_closure", "re_referral", "Re-referral", "summary", "km_test")
    lines, _ = lines_and_labels(svg)
    assert len(lines) == 2  # two pieces of one curve, not one line drawn across day 28
