"""Progress without a terminal: plain lines on stderr, at most every PLAIN_LINE_SECONDS."""

from __future__ import annotations

from earlyhelp import console


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_steps_write_a_line_only_when_enough_time_has_passed(monkeypatch, capsys):
    clock = _Clock()
    monkeypatch.setattr(console.time, "perf_counter", clock)
    with console.steps("Linking", 3) as advance:
        clock.now += 0.5
        advance("prepare")  # 0.5 s after the start: too soon, quiet
        clock.now += 2.0
        advance("training")  # 2.5 s: a line
        clock.now += 0.1
        advance("clustering")  # 0.1 s after the last line: quiet
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["Linking: training (2 of 3) (2.5 s)", "Linking: done (2.6 s)"]


def test_quick_work_writes_nothing(monkeypatch, capsys):
    clock = _Clock()
    monkeypatch.setattr(console.time, "perf_counter", clock)
    for _ in console.track(range(5), "Reading"):
        clock.now += 0.1
    assert capsys.readouterr().err == ""


def test_track_counts_items(monkeypatch, capsys):
    clock = _Clock()
    monkeypatch.setattr(console.time, "perf_counter", clock)
    for _ in console.track([1, 2, 3, 4], "Reading"):
        clock.now += 1.5
    assert capsys.readouterr().err.splitlines() == [
        "Reading: 2 of 4 (3.0 s)",
        "Reading: 4 of 4 (6.0 s)",
        "Reading: done (6.0 s)",
    ]
