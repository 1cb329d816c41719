"""Progress on long work, shared by every stage: a bar on a terminal; otherwise (a log file, a
scheduled job) a few plain lines on stderr, so a long run never looks hung."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

T = TypeVar("T")

stderr = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not sys.stderr.isatty(),
    )


# Without a terminal, a plain line at most this often (seconds), so quick work stays quiet.
PLAIN_LINE_SECONDS = 2.0


class _PlainLines:
    def __init__(self, description: str):
        self.description = description
        self.started = self.last = time.perf_counter()
        self.written = False

    def line(self, detail: str, *, final: bool = False) -> None:
        now = time.perf_counter()
        if now - self.last < PLAIN_LINE_SECONDS and not (final and self.written):
            return
        print(f"{self.description}: {detail} ({now - self.started:.1f} s)", file=sys.stderr, flush=True)
        self.last, self.written = now, True


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr (plain lines when stderr is not a terminal)."""
    if sys.stderr.isatty():
        with _progress() as progress:
            yield from progress.track(items, description=description, total=total)
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    lines, done = _PlainLines(description), 0
    for item in items:
        yield item
        done += 1
        lines.line(f"{done:,} of {total:,}" if total else f"{done:,}")
    lines.line("done", final=True)


@contextmanager
def steps(description: str, total: int):
    """A progress bar advanced by hand: ``with steps("Linking", 4) as advance: ...; advance()``.

    Without a terminal, a plain stderr line with the step and the time so far, at most every
    PLAIN_LINE_SECONDS."""
    if not sys.stderr.isatty():
        lines, done = _PlainLines(description), 0

        def advance_plainly(step: str | None = None) -> None:
            nonlocal done
            done += 1
            lines.line(f"{step or 'step'} ({done} of {total})")

        yield advance_plainly
        lines.line("done", final=True)
        return
    with _progress() as progress:
        task = progress.add_task(description, total=total)

        def advance(step: str | None = None) -> None:
            progress.advance(task)
            if step:
                progress.update(task, description=f"{description}: {step}")

        yield advance
