"""Terminal output shared by every stage: progress bars on long work, quiet when not a TTY."""

from __future__ import annotations

import sys
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


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr (only when it is a terminal)."""
    with _progress() as progress:
        yield from progress.track(items, description=description, total=total)


@contextmanager
def steps(description: str, total: int):
    """A progress bar advanced by hand: ``with steps("Linking", 4) as advance: ...; advance()``."""
    with _progress() as progress:
        task = progress.add_task(description, total=total)

        def advance(step: str | None = None) -> None:
            progress.advance(task)
            if step:
                progress.update(task, description=f"{description}: {step}")

        yield advance
