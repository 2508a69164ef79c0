"""make bench reads wrk's report as wrk prints it, and tables its rounds (the benchmark itself
is not run here)."""

import os
import subprocess
import sys
import time

import pytest

import bench.wrk
from bench.report import Result, table
from bench.wrk import CpuMeter, cpu_seconds, database_pids, read_report

# wrk pads a figure in seconds with a space, to the width of "ms" and "us".
REPORT = "\n".join(
    [
        "Running 2s test @ http://127.0.0.1:40543/api/v1/reagents?limit=50&q=x",
        "  2 threads and 16 connections",
        "  Thread Stats   Avg      Stdev     Max   +/- Stdev",
        "    Latency   441.99ms  516.02ms   1.58s    77.67%",
        "    Req/Sec   112.30     57.05   161.00     80.00%",
        "  Latency Distribution",
        "     50%   72.55ms",
        "     75%  801.98ms",
        "     90%    1.31s ",
        "     99%    1.57s ",
        "  135 requests in 2.01s, 4.90MB read",
        "  Non-2xx or 3xx responses: 3",
        "Requests/sec:     67.05",
        "Transfer/sec:      2.44MB",
        "",
    ]
)


def test_latencies_in_seconds_which_wrk_pads_are_read():
    result = read_report("(d)", REPORT)
    assert (result.rps, result.p50, result.p99, result.errors) == (67.05, 72.55, 1570.0, 3)
    assert result.requests == 135  # what the CPU a request is divided by


def test_latencies_in_microseconds_and_no_errors():
    report = REPORT.replace("72.55ms", "950.00us").replace("  Non-2xx or 3xx responses: 3\n", "")
    result = read_report("(a)", report)
    assert (result.p50, result.errors) == (pytest.approx(0.95), 0)


def test_a_report_without_its_percentiles_stops_the_bench_with_what_wrk_printed():
    cut = REPORT.split("  Latency Distribution")[0] + "Requests/sec:     67.05\n"
    with pytest.raises(SystemExit, match=r"(?s)no p50, p99 or rate:\n.*Thread Stats"):
        read_report("(d)", cut)


def _round(healthz: float, listing: float, p99: float, cpu: float = 900.0) -> list[Result]:
    return [
        Result("(a) /healthz", healthz, p50=1.0, p99=2.0, app_cpu_us=300.0, db_cpu_us=0.0),
        Result("(b) category", listing, p50=10.0, p99=p99, errors=1, app_cpu_us=cpu),
    ]


def test_a_scenarios_ratio_is_the_median_of_its_rounds_each_to_its_own_healthz():
    # The machine slowed down in the second round: every figure halved, the ratios held.
    rounds = [_round(1000, 450, 40.0, 800), _round(500, 225, 80.0, 1500), _round(900, 270, 60.0)]
    rounds[0][1].note = "50 items"
    export = Result("CSV export", 30000, note="peak 150 MB")
    text = table(rounds, export, "sqlite", 1000, "a machine", 0.1, 2)
    assert "medians of 3 rounds" in text
    assert (
        "| (a) /healthz | 900 | 100% | 100%–100% | 1.0 | 2.0 | 2.0–2.0 | 300 | 0 | 0 |  |" in text
    )
    # Ratios 45%, 45% and 30%: the median is 45%, where the medians' ratio (270/900) is 30%.
    # CPU a request: the median of 800, 1,500 and 900; the database's was not measured.
    assert (
        "| (b) category | 270 | 45% | 30%–45% | 10.0 | 60.0 | 40.0–80.0 | 900 | — | 3 | 50 items |"
        in text
    )
    assert "| CSV export | 30,000 rows/s | | | | | | | | | peak 150 MB |" in text


def test_one_round_gives_no_ranges():
    text = table([_round(1000, 450, 40.0)], Result("CSV export", 1.0), "sqlite", 10, "m", 0, 2)
    assert "| (b) category | 450 | 45% |  | 10.0 | 40.0 |  | 900 | — | 1 |  |" in text


def test_cpu_seconds_count_what_a_process_spent_and_nothing_for_one_gone():
    before = cpu_seconds([os.getpid()])
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert cpu_seconds([os.getpid()]) - before >= 0.15
    assert cpu_seconds([2**22 + 1]) == 0  # above the largest pid Linux hands out


def test_the_database_cpu_is_in_the_app_for_sqlite_and_unseen_on_another_machine():
    assert database_pids("sqlite:////tmp/registry.sqlite3") == []
    assert database_pids("postgresql+psycopg://postgres@db.example:5432/registry") is None
    local = database_pids("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert isinstance(local, list) and os.getpid() not in local


BURN = (
    "import time\n"
    "def burn():\n"
    "    end = time.process_time() + 0.3\n"
    "    while time.process_time() < end: pass\n"
)
IDLE = "; time.sleep(30)"


def test_the_meter_divides_what_the_workers_spent_by_the_requests():
    # A "worker" of this process that spends 0.3 s of CPU before it is metered and 0.3 s after.
    worker = subprocess.Popen(
        [sys.executable, "-c", BURN + "burn(); time.sleep(0.8); burn()" + IDLE]
    )
    try:
        time.sleep(0.6)  # past its start and its first 0.3 s
        meter = CpuMeter(os.getpid(), "sqlite:////tmp/registry.sqlite3")
        assert meter.per(0) == (None, None)
        time.sleep(1.2)
        app, database = meter.per(100)
        assert 2_800 <= app <= 3_600  # 0.3 s over 100 requests, give or take a few ticks
        assert database == 0  # SQLite's work is the app's
    finally:
        worker.kill()
        worker.wait()


def test_a_database_process_that_started_while_metered_counts_whole(monkeypatch):
    # An import opens its connections (backends) after the meter starts.
    backends: list[int] = []
    monkeypatch.setattr(bench.wrk, "database_pids", lambda url: list(backends))
    meter = CpuMeter(os.getpid(), "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    backend = subprocess.Popen([sys.executable, "-c", BURN + "burn()" + IDLE])
    try:
        backends.append(backend.pid)
        time.sleep(1.0)
        _app, database = meter.per(100)
        assert 2_800 <= database <= 5_000  # its 0.3 s, and its start
    finally:
        backend.kill()
        backend.wait()
