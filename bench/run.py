"""`make bench`: run every benchmark in bench/, each writing its section of BENCHMARKS.md.

Benchmarks are not tests: they time things and record the figures; `make test` never
asserts a wall-clock time.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "seed_demo.py",
    "slot_finder.py",
    "peer_slots.py",
    "reminders.py",
    "traffic.py",
]


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"--- bench/{name}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name)]).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
