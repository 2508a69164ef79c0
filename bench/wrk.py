"""Load with wrk and parse its report; meter the CPU a request; time a full CSV export while
watching worker memory."""

import http.client
import os
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import make_url

from bench.report import Result

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()
    return float(number) * UNITS[unit]


def wrk(name: str, url: str, key: str, seconds: int, connections: int) -> Result:
    threads = str(min(os.cpu_count() or 1, 4))
    command = [
        "wrk",
        "--latency",
        "-t",
        threads,
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "-H",
        f"Authorization: Bearer {key}",
        url,
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return read_report(name, done.stdout + done.stderr)


def read_report(name: str, out: str) -> Result:
    """A scenario's figures from what `wrk --latency` printed."""
    # wrk pads a figure in seconds to the width of the others: "     99%    1.57s ".
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if set(percentiles) != {"50", "99"} or rate is None:
        raise SystemExit(f"wrk's report for {name} has no p50, p99 or rate:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = re.search(r"(\d+) requests in ", out)
    return Result(
        name=name,
        rps=float(rate.group(1)),
        p50=_ms(percentiles["50"]),
        p99=_ms(percentiles["99"]),
        errors=int(errors.group(1)) if errors else 0,
        requests=int(requests.group(1)) if requests else 0,
    )


def cpu_seconds(pids: list[int]) -> float:
    """The user and system CPU time these processes have used so far (one gone counts 0)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def database_pids(url: str) -> list[int] | None:
    """The processes whose CPU is the database's: none for SQLite (it works inside the
    server's workers); this machine's PostgreSQL processes; None (not measured) for a
    PostgreSQL server elsewhere."""
    if url.startswith("sqlite"):
        return []
    if make_url(url).host not in (None, "", "localhost", "127.0.0.1", "::1"):
        return None
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                found.append(int(comm.parent.name))
        except OSError:
            continue
    return found


def _cpu_by_pid(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in pids}


class CpuMeter:
    """CPU that the server's workers and the database spend, in µs a request (or row), over
    a stretch of work: steadier than a rate on a shared machine, and it says which side a
    cost is on. A database process that started meanwhile (a connection opened for the
    work) counts whole; one that ended meanwhile is missed."""

    def __init__(self, master: int, url: str) -> None:
        self.url, self.app = url, worker_pids(master)
        self.app_started = cpu_seconds(self.app)
        pids = database_pids(url)
        self.database_started = None if pids is None else _cpu_by_pid(pids)

    def per(self, count: int) -> tuple[float | None, float | None]:
        """(app, database) µs for each of `count` requests or rows since the start."""
        if count <= 0:
            return None, None
        app = (cpu_seconds(self.app) - self.app_started) / count * 1e6
        if self.database_started is None:  # a server elsewhere
            return app, None
        now = _cpu_by_pid(database_pids(self.url) or [])
        spent = sum(now[pid] - self.database_started.get(pid, 0.0) for pid in now)
        return app, spent / count * 1e6


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's workers."""
    children = Path(f"/proc/{master}/task/{master}/children")
    if children.exists():
        return [int(pid) for pid in children.read_text().split()]
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident set now (VmRSS) or at its peak (VmHWM); 0 for one gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024


def export_run(master: int, url: str, key: str) -> Result:
    """Download the whole CSV export, counting rows; peak RSS of any worker meanwhile."""
    workers = worker_pids(master)
    before = max(memory_mb(pid) for pid in workers)
    peak, done = [before], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], *(memory_mb(pid) for pid in workers))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    lines, cut = 0, ""
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            while chunk := response.read(1 << 20):
                lines += chunk.count(b"\n")
    except http.client.IncompleteRead as error:
        lines += error.partial.count(b"\n")
        cut = " CUT OFF by the server (gunicorn's worker timeout?);"
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    rows = lines - 1  # the header
    return Result(
        name="CSV export, every listing",
        rps=rows / seconds,
        note=f"{rows:,} rows in {seconds:.1f} s;{cut} worker RSS {before:.0f} MB before, "
        f"peak {peak[0]:.0f} MB",
        export_peak_mb=peak[0],
    )
