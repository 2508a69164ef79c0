"""`make bench`: gunicorn as `make run` starts it, wrk at concurrency 16, one table per database.

Environment: BENCH_ROWS (default 1,000,000), BENCH_DATABASES (default "sqlite postgresql"),
BENCH_SECONDS per scenario (default 10), after BENCH_WARMUP_SECONDS of the same load that are
not counted (default 2), BENCH_ROUNDS (default 3: every scenario is run once a round, and the
table gives medians), WORKERS and TIMEOUT (as the Makefile: 4, 600),
REGISTRY_BENCH_POSTGRES_URL (a server where the database ``registry_bench`` may be made).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import orjson

from bench.generate import ROOT, ensure
from bench.report import Result, machine, settle, table, write_result
from bench.wrk import CpuMeter, export_run, wrk

CONCURRENCY = 16
RU_WORD = "креатинина"  # one analyte of ~96: about 1% of listings
ZH_WORD = "梅毒"  # syphilis, in two analytes' Chinese names: about 1% of listings


def scenarios(base: str, page_200: str) -> list[tuple[str, str]]:
    api = f"{base}/api/v1/reagents?limit=50"
    quote = urllib.parse.quote
    return [
        ("(a) /healthz", f"{base}/healthz"),
        ("(b) category, sort=price", f"{api}&category=clinical_chemistry&currency=BYN&sort=price"),
        (
            "(c) two filters, page 200",
            f"{api}&supplier_country=CN&availability=in_stock&cursor={page_200}",
        ),
        (f"(d) q={RU_WORD}", f"{api}&q={quote(RU_WORD)}"),
        (f"(e) q={ZH_WORD}", f"{api}&q={quote(ZH_WORD)}"),
        ("(f) facets over a category", f"{api}&category=pcr&facets=category,registration_status"),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask_command(url: str, *args: str) -> str:
    env = {**os.environ, "REGISTRY_DATABASE_URL": url}
    out = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "registry", *args],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    """gunicorn with the command line of `make run`; limits lifted so the bench is not throttled.

    Its workers keep their metrics in files, as under `make run`, in a folder beside the log.
    """
    workers = os.environ.get("WORKERS", "4")
    metrics = log.with_name(f"{log.stem}-metrics")
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_RATE_LIMIT": "100000000/minute",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "--no-control-socket",
        "--workers",
        workers,
        "--timeout",
        os.environ.get("TIMEOUT", "600"),
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not become ready; see {log}")


def get_json(url: str, key: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    # A facet count over a cold 4 GB file can take minutes; the figures never include it.
    with urllib.request.urlopen(request, timeout=600) as response:
        return orjson.loads(response.read())


def cursor_of_page(base: str, key: str, page: int) -> str:
    """Follow the cursors of scenario (c) to the cursor that opens page `page`."""
    query = f"{base}/api/v1/reagents?limit=50&supplier_country=CN&availability=in_stock"
    cursor = ""
    for _ in range(page - 1):
        body = get_json(f"{query}&cursor={cursor}" if cursor else query, key)
        if not body["next_cursor"]:
            raise SystemExit(f"scenario (c) has fewer than {page} pages at this size")
        cursor = body["next_cursor"]
    return cursor


def describe(target: str, key: str, rows: int) -> str:
    """What a scenario's request answers: its page and how many listings match in all."""
    page = get_json(target, key)
    if "facets" in page:
        return f"{len(page['items'])} items; facets {page['facets']}"
    matching = sum(get_json(f"{target}&facets=category", key)["facets"]["category"].values())
    return f"{len(page['items'])} items of {matching:,} matching ({matching / rows:.1%})"


def bench_database(
    url: str, kind: str, rows: int, seconds: int, warmup: int, rounds: int
) -> tuple[list[list[Result]], Result]:
    """Every scenario once a round, `rounds` times, then a full CSV export."""
    key = flask_command(
        url, "keys", "create", "--name", f"bench-{date.today()}", "--role", "procurement"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, ROOT / "bench" / "data" / f"gunicorn-{kind}.log")
    try:
        cursor = cursor_of_page(base, key, 200)
        every_round = []
        for number in range(1, rounds + 1):
            print(f"  round {number} of {rounds}", file=sys.stderr)
            results = []
            for name, target in scenarios(base, cursor):
                # Each worker's first requests of a scenario read cold pages and measure its
                # words' statistics: (d)'s first four took 0.9 s each on 2026-11-29, and the
                # requests queued behind them made its p99 846 ms (p50 49). Run, not counted.
                if warmup:
                    wrk(name, target, key, warmup, CONCURRENCY)
                meter = CpuMeter(server.pid, url)
                result = wrk(name, target, key, seconds, CONCURRENCY)
                result.app_cpu_us, result.db_cpu_us = meter.per(result.requests)
                if "/api/" in target and number == 1:
                    result.note = describe(target, key, rows)
                results.append(result)
                print(f"    {result.line()}", file=sys.stderr)
            every_round.append(results)
        export = export_run(server.pid, f"{base}/api/v1/reagents?format=csv", key)
        print(f"  {export.line()}", file=sys.stderr)
        return every_round, export
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk (Debian/Ubuntu)")
    rows = int(os.environ.get("BENCH_ROWS", 1_000_000))
    seconds = int(os.environ.get("BENCH_SECONDS", 10))
    warmup = int(os.environ.get("BENCH_WARMUP_SECONDS", 2))
    rounds = int(os.environ.get("BENCH_ROUNDS", 3))
    kinds = os.environ.get("BENCH_DATABASES", "sqlite postgresql").split()
    about = machine()
    for kind in kinds:
        print(f"{kind}: {rows:,} listings", file=sys.stderr)
        url = ensure(kind, rows)
        load = settle()
        every_round, export = bench_database(url, kind, rows, seconds, warmup, rounds)
        text = table(every_round, export, kind, rows, about, load, warmup)
        print(text)
        print(f"written to {write_result(text, kind)}")


if __name__ == "__main__":
    main()
