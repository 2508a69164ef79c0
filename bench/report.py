"""The benchmark's table, the machine it ran on, and the file under bench/results/."""

import os
import platform
import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Result:
    name: str
    rps: float
    p50: float | None = None
    p99: float | None = None
    errors: int = 0
    note: str = ""
    export_peak_mb: float | None = None

    def line(self) -> str:
        latency = f" p50 {self.p50:.1f} ms p99 {self.p99:.1f} ms" if self.p50 is not None else ""
        return f"{self.name}: {self.rps:,.0f}/s{latency} {self.note}".rstrip()


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory_kb / 1024 / 1024:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def settle(seconds: int = 120) -> float:
    """Wait (a while) for other work on the machine to finish; the load average found."""
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > 0.5 and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def table(results: list[Result], kind: str, rows: int, about: str, load: float, warmup: int) -> str:
    healthz = results[0].rps
    lines = [
        f"## {kind}, {rows:,} listings, {date.today().isoformat()}",
        "",
        f"Machine: {about}. Load: wrk, 16 connections, after {warmup} s of the same load that are"
        " not counted; server: gunicorn as `make run` starts it.",
        f"1-minute load average before the run: {load:.2f} (other work on the machine skews the"
        " figures; ratios to (a) of the same run less so).",
        "",
        "| scenario | req/s | ratio to (a) | p50 ms | p99 ms | errors | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        if r.p50 is None:
            lines.append(f"| {r.name} | {r.rps:,.0f} rows/s | | | | | {r.note} |")
            continue
        lines.append(
            f"| {r.name} | {r.rps:,.0f} | {r.rps / healthz:.0%} | {r.p50:.1f} | {r.p99:.1f} "
            f"| {r.errors} | {r.note} |"
        )
    return "\n".join(lines) + "\n"


def write_result(text: str, kind: str) -> Path:
    """Add a run's table to bench/results/<date>-<db>.md (one file a day keeps every run)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{date.today().isoformat()}-{kind}.md"
    with path.open("a") as out:
        out.write(("\n" if path.stat().st_size else "") + text)
    return path
