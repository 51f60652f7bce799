"""A workshop room at full size: N attendees at the same moment, through the real hub and proxy.

    .venv/bin/python -m benchmarks.bench_room [--attendees 20] [--warm] [--background-load 2]

Starts `jupyterhub` (deploy/jupyterhub_config.py, configurable-http-proxy) in a temporary room
on free ports, as `make hub` would (as root: one system account per attendee). With --warm the
seats are prepared first, as the trainer guide tells trainers to (`make hub-warm NAMES=...
HUB_WARM_LESSON=08-run-the-code.ipynb`: each attendee's server started before people arrive,
with the lesson's kernel running on it). With --background-load N, N CPU-bound
processes run beside the room for the whole measurement (a busy machine). Then N simulated
attendees (deploy.attendee), released together by a barrier, each sign in on the login form,
start (or find) their server and run every code cell of notebook 08 in a kernel over the
websocket. Prints: the load average, how many succeeded, p50/p95 seconds from the barrier to a
finished run, where the CPU went in that window (kernels, servers, hub, proxy, the simulated
browsers themselves), CPU and memory per attendee (proportional set size of their server and
kernel - the local ACS service runs inside the kernel), and the hub's start time. Everything
is stopped afterwards, and the accounts the room made are removed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from deploy import room as hub_room
from deploy.attendee import NOTEBOOK_08, Attendee, failures

PASSWORD = "bench-room-password"


def pss_kib(pid: int) -> int:
    """Proportional set size: shared library pages are split between the processes using them,
    so the sum over a room is what the room costs (RSS would count them N times)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def is_kernel(pid: int) -> bool:
    return b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()


def attendee_processes(room: Path, name: str) -> list[int]:
    """The attendee's server and kernels: their environment names their own working copy."""
    marker = f"ACS_LAB_WORKING_COPY={room / 'attendees' / name / 'my-notebooks'}".encode()
    found = []
    for pid in hub_room.room_processes(room):
        try:
            if marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                found.append(pid)
        except OSError:
            continue
    return found


def cpu_by_part(room: Path, hub_pid: int) -> dict[str, float]:
    """CPU seconds used so far by each part of the room: the hub, its proxy, the culler,
    attendees' servers and their kernels (each kernel runs its local ACS service)."""
    parts: dict[str, float] = {}
    for pid in hub_room.room_processes(room):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            used = cpu_seconds(pid)
        except OSError:
            continue  # ended meanwhile
        if pid == hub_pid:
            part = "hub"
        elif b"configurable-http-proxy" in command:
            part = "proxy"
        elif b"idle_culler" in command:
            part = "culler"
        else:
            part = "kernels" if b"ipykernel" in command else "servers"
        parts[part] = parts.get(part, 0.0) + used
    return parts


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def window_shares(before: dict, after: dict, busy: float, own: float) -> str:
    """Where the cores went between the barrier and the last finished run."""
    used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    room = sum(used.values())
    order = ("kernels", "servers", "hub", "proxy", "culler")
    shown = ", ".join(f"{k} {used[k]:.1f} s" for k in order if k in used)
    rest = busy - room - own
    return (
        f"CPU from the barrier to the last finished run: {busy:.1f} s on the machine = room "
        f"{room:.1f} s ({shown}) + the simulated browsers (this script) {own:.1f} s + "
        f"everything else {rest:.1f} s"
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def one_attendee(url, name, start, measured, results, errors, reused):
    person = Attendee(url, name)
    try:
        start.wait()
        began = time.monotonic()
        person.sign_in(PASSWORD)
        person.start_server(timeout=600)
        cells = [
            "".join(c["source"])
            for c in person.notebook(NOTEBOOK_08)["content"]["cells"]
            if c["cell_type"] == "code"
        ]
        with person.kernel(NOTEBOOK_08) as kernel:
            reused[name] = kernel.reused
            ran = asyncio.run(kernel.run(cells, timeout=600))
            seconds = time.monotonic() - began
            bad = failures(ran)
            if bad:
                errors[name] = "; ".join(bad)
            elif [c.count for c in ran] != list(range(1, len(ran) + 1)):
                errors[name] = f"cells numbered {[c.count for c in ran]}, not from [1]"
            else:
                results[name] = seconds
            measured.wait()  # keep the kernel (and its service) alive until memory is read
    except Exception as err:  # noqa: BLE001 - a benchmark counts failures, it doesn't stop
        errors[name] = f"{type(err).__name__}: {err}"
        measured.wait()


BUSY = "while True:\n    pass\n"  # one CPU-bound process of the background load


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=20)
    parser.add_argument(
        "--warm", action="store_true", help="start every seat's server before people arrive"
    )
    parser.add_argument(
        "--background-load",
        type=int,
        default=0,
        metavar="N",
        help="N CPU-bound processes beside the room while it is measured",
    )
    args = parser.parse_args(argv)
    n = args.attendees
    print(f"load average before the run: {load_average()} ({os.cpu_count()} cores)")
    folder = Path(tempfile.mkdtemp(prefix="acs-bench-room-"))
    env = {**os.environ, "HUB_ROOM": str(folder), "HUB_PASSWORD": PASSWORD}
    env["HUB_PORT"] = str(hub_room.free_port())
    env.pop("ACS_EMULATOR_HOME", None)
    try:
        room = hub_room.with_runtime(hub_room.prepare(env))
    except hub_room.RoomError as err:
        print(f"bench_room: {err}", file=sys.stderr)
        return 2
    print(hub_room.cli.isolation_line(room).strip())
    log = open(room.private / "hub.log", "w")  # noqa: SIM115 - open while the hub runs
    process = hub_room.start(room, stdout=log, stderr=log)
    busy: list[subprocess.Popen] = []
    try:
        hub_start = hub_room.wait_until_up(room, process, timeout=120)
        print(f"hub start: {hub_start:.1f} s (process start to login page through the proxy)")
        names = [f"attendee-{i:02d}" for i in range(1, n + 1)]
        if args.warm:
            warming = time.monotonic()
            print(hub_room.warm(room.folder, names, lesson=NOTEBOOK_08))
            print(f"seats warmed in {time.monotonic() - warming:.1f} s (before people arrive)")
        for _ in range(args.background_load):
            # Each in a session of its own, like programs started from separate terminals:
            # Linux's autogroup scheduler shares the cores between sessions first, and every
            # attendee's server and kernel have sessions of their own (JupyterHub, jupyter_client).
            busy.append(subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=True))
        if busy:
            time.sleep(5)  # let the load be there before the room arrives
            print(f"background load: {len(busy)} CPU-bound processes; load {load_average()}")
        start = threading.Barrier(n + 1)
        measured = threading.Barrier(n + 1)
        results: dict[str, float] = {}
        errors: dict[str, str] = {}
        reused: dict[str, bool] = {}
        threads = [
            threading.Thread(
                target=one_attendee,
                args=(room.url, name, start, measured, results, errors, reused),
            )
            for name in names
        ]
        for thread in threads:
            thread.start()
        parts_before = cpu_by_part(room.folder, process.pid)
        busy_before, own_before = machine_busy_seconds(), time.process_time()
        start.wait()
        began = time.monotonic()
        while len(results) + len(errors) < n and time.monotonic() - began < 900:
            time.sleep(0.2)
        shares = window_shares(
            parts_before,
            cpu_by_part(room.folder, process.pid),
            machine_busy_seconds() - busy_before,
            time.process_time() - own_before,
        )
        print(f"succeeded: {len(results)} of {n}")
        print(f"found notebook 08's kernel already running (warm): {sum(reused.values())} of {n}")
        for name, error in sorted(errors.items()):
            print(f"  {name}: {error}")
        if results:
            times = list(results.values())
            print(
                f"time to a finished run of notebook 08: p50 {percentile(times, 0.5):.1f} s, "
                f"p95 {percentile(times, 0.95):.1f} s, max {max(times):.1f} s"
            )
        print(shares)
        pss, rss, counts, cpu, kernel_cpu = [], [], [], [], []
        for name in names:
            pids = attendee_processes(room.folder, name)
            if pids:
                counts.append(len(pids))
                pss.append(sum(pss_kib(p) for p in pids) / 1024)
                rss.append(sum(rss_kib(p) for p in pids) / 1024)
                cpu.append(sum(cpu_seconds(p) for p in pids))
                kernel_cpu.append(sum(cpu_seconds(p) for p in pids if is_kernel(p)))
        if cpu:
            cores = os.cpu_count() or 1
            print(
                f"CPU per attendee (server start + kernel + notebook 08): median "
                f"{statistics.median(cpu):.1f} s, of which the kernel "
                f"{statistics.median(kernel_cpu):.1f} s; {n} attendees at once need at least "
                f"{sum(cpu) / cores:.0f} s on {cores} cores, before the hub's own share"
            )
        if pss:
            print(
                f"memory per attendee ({statistics.median(counts):.0f} processes: server + kernel "
                f"with its service): PSS median {statistics.median(pss):.0f} MB, "
                f"max {max(pss):.0f} MB; RSS median {statistics.median(rss):.0f} MB"
            )
            print(f"room total PSS: {sum(pss):.0f} MB for {len(pss)} attendees")
        print(f"load average at the end: {load_average()}")
        measured.wait()
        for thread in threads:
            thread.join(60)
    finally:
        for worker in busy:
            worker.kill()
            worker.wait()
        stopping = time.monotonic()
        left = hub_room.stop(room, process, timeout=120)
        stopped = time.monotonic() - stopping
        log.close()
        if room.accounts:
            hub_room.accounts.remove(room.folder, list(hub_room.accounts.recorded(room.folder)))
    print(
        f"hub stop (Ctrl+C) with every server: {stopped:.1f} s; "
        f"{len(left)} processes had to be killed"
    )
    if len(results) == n:
        shutil.rmtree(folder, ignore_errors=True)
        return 0
    print(f"the room folder and the hub's log are kept for a look: {folder}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
