"""Writing figures into BENCHMARKS.md: each benchmark owns the section between its
``<!-- name:start -->`` and ``<!-- name:end -->`` markers."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
INTRO = """# Benchmarks

Numbers only from real runs; `make bench` rewrites the sections it owns (between their
`<!-- name:start -->` / `<!-- name:end -->` markers) and leaves the rest of this file alone.
"""


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def machine(script: str) -> str:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores, load average {load}; "
        f"Python {platform.python_version()}\n"
        f"- Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/{script}`"
    )


def spread(values: list[float], unit: str, digits: int = 1) -> str:
    """``min / median / max`` of repeated runs."""
    return " / ".join(
        f"{v:.{digits}f} {unit}" for v in (min(values), statistics.median(values), max(values))
    )


def write_section(name: str, body: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = f"{start}\n{body.strip()}\n{end}"
    current = BENCHMARKS.read_text() if BENCHMARKS.exists() else INTRO
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text, current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    BENCHMARKS.write_text(updated)
