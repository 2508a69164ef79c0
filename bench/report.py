"""The benchmark's table, the machine it ran on, and the file under bench/results/."""

import os
import platform
import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from statistics import median

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
    requests: int = 0  # how many wrk made
    app_cpu_us: float | None = None  # CPU a request, in the server's workers
    db_cpu_us: float | None = None  # and in the database's processes (SQLite: 0, in the app)

    def line(self) -> str:
        latency = f" p50 {self.p50:.1f} ms p99 {self.p99:.1f} ms" if self.p50 is not None else ""
        cpu = ""
        if self.app_cpu_us is not None:
            cpu = f" CPU µs a request: app {cpu_text([self.app_cpu_us])}"
            cpu += f", DB {cpu_text([self.db_cpu_us])}"
        return f"{self.name}: {self.rps:,.0f}/s{latency}{cpu} {self.note}".rstrip()


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


def _spread(values: list[float], text) -> str:
    return f"{text(min(values))}–{text(max(values))}" if len(values) > 1 else ""


def cpu_text(values: list[float | None]) -> str:
    """The median of some CPU figures in µs, or a dash where they were not measured."""
    known = [value for value in values if value is not None]
    return f"{median(known):,.0f}" if known else "—"


def table(
    rounds: list[list[Result]],
    export: Result,
    kind: str,
    rows: int,
    about: str,
    load: float,
    warmup: int,
) -> str:
    """The run's table: each scenario's median over the rounds, and the spread of its ratio
    and p99. A round runs every scenario once, (a) first; its ratios are to its own (a), so a
    machine that slows down or speeds up between rounds moves them less."""
    lines = [
        f"## {kind}, {rows:,} listings, {date.today().isoformat()}",
        "",
        f"Machine: {about}. Load: wrk, 16 connections, after {warmup} s of the same load that are"
        " not counted; server: gunicorn as `make run` starts it.",
        f"Figures are medians of {len(rounds)} rounds, each running every scenario once (ranges:"
        " lowest–highest); ratios are to (a) of the same round.",
        f"1-minute load average before the run: {load:.2f} (other work on the machine skews the"
        " figures; ratios to (a) of the same round less so).",
        "CPU a request: user and system time of the server's workers (app) and of this"
        " machine's database processes (DB; SQLite works inside the app), over the counted"
        " seconds, divided by the requests made.",
        "",
        "| scenario | req/s | ratio to (a) | ratio range | p50 ms | p99 ms | p99 range "
        "| app CPU µs | DB CPU µs | errors | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    healthz = [scenarios[0].rps for scenarios in rounds]
    for runs in zip(*rounds, strict=True):
        ratios = [run.rps / base for run, base in zip(runs, healthz, strict=True)]
        p99s = [run.p99 for run in runs]
        note = next((run.note for run in runs if run.note), "")
        lines.append(
            f"| {runs[0].name} | {median(run.rps for run in runs):,.0f} "
            f"| {median(ratios):.0%} | {_spread(ratios, '{:.0%}'.format)} "
            f"| {median(run.p50 for run in runs):.1f} | {median(p99s):.1f} "
            f"| {_spread(p99s, '{:.1f}'.format)} | {cpu_text([run.app_cpu_us for run in runs])} "
            f"| {cpu_text([run.db_cpu_us for run in runs])} "
            f"| {sum(run.errors for run in runs)} | {note} |"
        )
    lines.append(f"| {export.name} | {export.rps:,.0f} rows/s | | | | | | | | | {export.note} |")
    return "\n".join(lines) + "\n"


def write_result(text: str, kind: str) -> Path:
    """Add a run's table to bench/results/<date>-<db>.md (one file a day keeps every run)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{date.today().isoformat()}-{kind}.md"
    with path.open("a") as out:
        out.write(("\n" if path.stat().st_size else "") + text)
    return path
