"""Rendering: plain-text tables and JSON, to standard output or a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(columns: list[str], rows: list[list[str]]) -> str:
    """Left-aligned columns separated by two spaces; a cell's line breaks become spaces."""
    cells = [columns, *[[" ".join(str(cell).split()) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines) + "\n"


def as_json(value: object) -> str:
    return json.dumps(value, indent=2) + "\n"


def write(text: str, output: str | None) -> None:
    """To `output` (a file path) if given, else standard output."""
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)


class Progress:
    """ "done/total" on standard error, rewritten in place; silent when standard error is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label, self.enabled = label, sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.enabled:
            sys.stderr.write(f"\r{self.label}: {done}/{total}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
