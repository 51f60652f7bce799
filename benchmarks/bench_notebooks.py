"""How long nbval takes over the notebooks, next to the floor: a bare kernel's start and stop.

    .venv/bin/python benchmarks/bench_notebooks.py [--rounds 3]

Prints the median of each measurement. The suite runs every notebook in its own kernel, so the
floor for N notebooks is N bare kernel lifetimes plus one pytest start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bare_kernel_seconds() -> float:
    """Start a kernel, run 1+1, shut it down: what any notebook costs before its first cell."""
    from jupyter_client.manager import start_new_kernel

    began = time.perf_counter()
    manager, client = start_new_kernel(kernel_name="python3")
    client.execute_interactive("1+1", timeout=30)
    client.stop_channels()
    manager.shutdown_kernel(now=False)
    return time.perf_counter() - began


def run_seconds(args: list[str]) -> float:
    env = dict(os.environ, ACS_LAB_BACKEND="emulator")
    env["ACS_EMULATOR_HOME"] = tempfile.mkdtemp(prefix="acs-bench-nb-")
    began = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]

    kernel = statistics.median(bare_kernel_seconds() for _ in range(max(opts.rounds, 5)))
    empty = statistics.median(
        run_seconds(pytest + ["--co", "-o", "addopts=", "tests/unit/test_dependencies.py"])
        for _ in range(opts.rounds)
    )
    suite = statistics.median(run_seconds(pytest + ["notebooks"]) for _ in range(opts.rounds))
    floor = empty + kernel * len(notebooks)
    print(f"notebooks                         {len(notebooks)}")
    print(f"bare kernel start+1+1+stop (s)    {kernel:.2f}")
    print(f"pytest start, nothing run (s)     {empty:.2f}")
    print(f"floor = pytest + N kernels (s)    {floor:.2f}")
    print(f"nbval over every notebook (s)     {suite:.2f}")
    print(f"ratio to the floor                {suite / floor:.2f}x")


if __name__ == "__main__":
    main()
