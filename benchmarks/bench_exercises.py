"""What the exercises and quizzes cost nbval: their cells' own run time, next to all cells'.

    .venv/bin/python benchmarks/bench_exercises.py [--rounds 3]

Runs nbval over the lessons (00-08) with `--durations=0` and sums the per-cell "call" times of
the practice cells (tagged exercise, solution or quiz, and the checker cells after exercises)
and of all cells. Per-cell sums hold still on a busy machine better than a suite's wall time,
which other processes on the same cores swing by tens of seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("0[0-8]-*.ipynb"))
CHECKER = re.compile(r'^exercises\.check\(".+\)$')
DURATION = re.compile(r"^([\d.]+)s call\s+(\S+\.ipynb)::Cell (\d+)$", re.M)


def practice_cells(path: Path) -> set[int]:
    """nbval's indexes (code cells counted from 0) of the cells the exercises and quizzes add."""
    code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    found = set()
    for index, cell in enumerate(code):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"exercise", "solution", "quiz"} or CHECKER.match("".join(cell["source"])):
            found.add(index)
    return found


def one_round() -> tuple[float, float, int, int]:
    env = dict(os.environ, ACS_LAB_BACKEND="emulator")
    env["ACS_EMULATOR_HOME"] = tempfile.mkdtemp(prefix="acs-bench-ex-")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0"]
    args += ["--durations-min=0"] + [str(p.relative_to(ROOT)) for p in LESSONS]
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    times = {(m[2], int(m[3])): float(m[1]) for m in DURATION.finditer(out.stdout)}
    practice = {(str(p.relative_to(ROOT)), i) for p in LESSONS for i in practice_cells(p)}
    spent = sum(t for key, t in times.items() if key in practice)
    return spent, sum(times.values()), len(practice), len(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    rounds = [one_round() for _ in range(opts.rounds)]
    print(f"lessons                              {len(LESSONS)}")
    print(f"cells timed / practice cells         {rounds[0][3]} / {rounds[0][2]}")
    print(f"all cells, call time (s)             {statistics.median(r[1] for r in rounds):.2f}")
    print(f"practice cells, call time (s)        {statistics.median(r[0] for r in rounds):.2f}")


if __name__ == "__main__":
    main()
