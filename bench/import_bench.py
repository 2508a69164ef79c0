"""Import benchmark: reagent listings as CSV over HTTP into gunicorn, then the same file again.

Run `.venv/bin/python -m bench.import_bench` (or `make bench-import`). Each database gets a
fresh, migrated registry; suppliers are imported first (NDJSON), then IMPORT_ROWS listings
(default 100,000) as one CSV body, then the same file again (every row `unchanged`).
Environment: IMPORT_ROWS, BENCH_DATABASES (default "sqlite postgresql"),
REGISTRY_BENCH_POSTGRES_URL (a server where the database ``registry_import_bench`` may be
made). Targets (issue 5): ≥ 5,000 rows/s validated, server peak RSS < 400 MB, re-import
≥ 10,000 rows/s.
"""

import csv
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

import orjson
import requests
from sqlalchemy import make_url

from bench.generate import (
    DEFAULT_POSTGRES,
    flask_db,
    listing_body,
    recreate_database,
    supplier_body,
)
from bench.report import cpu_text, machine, write_result
from bench.run import flask_command, free_port, start_server
from bench.wrk import CpuMeter, memory_mb, worker_pids
from registry.reagents.api import reagents
from registry.records.export import rows

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "data"
SUPPLIERS = 2000
TARGETS = {"import": 5000, "reimport": 10000, "rss_mb": 400}


def fresh_database(kind: str) -> str:
    """A new, migrated database for one run."""
    if kind == "sqlite":
        url = f"sqlite:///{WORK / 'import-bench.sqlite3'}"
    else:
        base = make_url(os.environ.get("REGISTRY_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES)
        url = base.set(database="registry_import_bench").render_as_string(hide_password=False)
    recreate_database(kind, url)
    flask_db(url, "upgrade")
    return url


def peak_rss_mb(master: int) -> float:
    """The largest peak resident set (VmHWM) of the gunicorn master's workers."""
    return max(memory_mb(pid, "VmHWM") for pid in worker_pids(master))


def post_import(base: str, key: str, collection: str, body: Path, content_type: str) -> dict:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    with body.open("rb") as stream:
        response = requests.post(
            f"{base}/api/v1/imports/{collection}", data=stream, headers=headers, timeout=3600
        )
    if response.status_code != 200:
        raise SystemExit(f"import failed: {response.status_code} {response.text[:2000]}")
    return response.json()


def write_suppliers(path: Path, rng: random.Random) -> None:
    with path.open("wb") as out:
        for n in range(SUPPLIERS):
            out.write(orjson.dumps(supplier_body(rng, n)) + b"\n")


def read_suppliers(base: str, key: str) -> list[dict]:
    response = requests.get(
        f"{base}/api/v1/institutions?format=ndjson",
        headers={"Authorization": f"Bearer {key}"},
        timeout=600,
    )
    response.raise_for_status()
    return [orjson.loads(line) for line in response.content.splitlines() if line]


def write_listings(path: Path, count: int, suppliers: list[dict], rng: random.Random) -> None:
    """The CSV an export would give for these listings, without ids (so: new records)."""
    today = date.today()
    bodies = (listing_body(rng, n, rng.choice(suppliers), today) for n in range(count))
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows(reagents, bodies))


def timed_import(
    base: str, key: str, path: Path, count: int, master: int, url: str
) -> tuple[dict, float, tuple[float | None, float | None]]:
    """The import's counts, rows a second, and CPU a row (µs: the workers', the database's)."""
    meter = CpuMeter(master, url)
    started = time.perf_counter()
    counts = post_import(base, key, "reagents", path, "text/csv")
    seconds = time.perf_counter() - started
    rate = count / seconds
    cpu = meter.per(count)
    peak = peak_rss_mb(master)
    print(
        f"  {counts} in {seconds:.1f} s: {rate:,.0f} rows/s, peak RSS {peak:.0f} MB, "
        f"CPU µs a row: worker {cpu_text([cpu[0]])}, database {cpu_text([cpu[1]])}",
        file=sys.stderr,
    )
    return counts, rate, cpu


def bench(kind: str, count: int) -> dict:
    url = fresh_database(kind)
    key = flask_command(url, "keys", "create", "--name", "import-bench", "--role", "integration")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, WORK / f"gunicorn-import-{kind}.log")
    rng = random.Random(5)
    try:
        suppliers_file, listings_file = WORK / "import-suppliers.ndjson", WORK / "import.csv"
        write_suppliers(suppliers_file, rng)
        post_import(base, key, "institutions", suppliers_file, "application/x-ndjson")
        write_listings(listings_file, count, read_suppliers(base, key), rng)
        size_mb = listings_file.stat().st_size / 1024 / 1024
        print(
            f"{kind}: {count:,} listings, {size_mb:.0f} MB of CSV; "
            f"worker peak RSS so far {peak_rss_mb(server.pid):.0f} MB",
            file=sys.stderr,
        )
        first, rate, cpu = timed_import(base, key, listings_file, count, server.pid, url)
        again, rerate, recpu = timed_import(base, key, listings_file, count, server.pid, url)
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert first == {"created": count, "updated": 0, "unchanged": 0}, first
    assert again == {"created": 0, "updated": 0, "unchanged": count}, again
    return {
        "kind": kind,
        "rate": rate,
        "rerate": rerate,
        "rss": rss,
        "size_mb": size_mb,
        "cpu": cpu,
        "recpu": recpu,
    }


def report(results: list[dict], count: int) -> str:
    ok = lambda good: "yes" if good else "NO"  # noqa: E731
    lines = [
        f"## Import, {count:,} reagent listings as CSV, {date.today().isoformat()}",
        "",
        f"Machine: {machine()}. Server: gunicorn as `make run` starts it; one HTTP request.",
        "CPU a row: user and system time of the server's workers and of this machine's database"
        " processes (SQLite works inside the worker) over the import, divided by its rows.",
        "",
        "| database | import rows/s (≥ 5,000) | re-import rows/s (≥ 10,000) | worker peak RSS MB "
        "(< 400) | import CPU µs a row: worker, DB | re-import: worker, DB | targets met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        met = (
            r["rate"] >= TARGETS["import"]
            and r["rerate"] >= TARGETS["reimport"]
            and r["rss"] < TARGETS["rss_mb"]
        )
        cpu = ", ".join(cpu_text([value]) for value in r["cpu"])
        recpu = ", ".join(cpu_text([value]) for value in r["recpu"])
        lines.append(
            f"| {r['kind']} | {r['rate']:,.0f} | {r['rerate']:,.0f} | {r['rss']:.0f} "
            f"| {cpu} | {recpu} | {ok(met)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    count = int(os.environ.get("IMPORT_ROWS", 100_000))
    kinds = os.environ.get("BENCH_DATABASES", "sqlite postgresql").split()
    WORK.mkdir(parents=True, exist_ok=True)
    results = [bench(kind, count) for kind in kinds]
    table = report(results, count)
    print(table)
    print(f"written to {write_result(table, 'import')}")


if __name__ == "__main__":
    main()
