"""`make load`: a mixed read/write workload against gunicorn, then a check that nothing was lost.

64 clients for 60 seconds (LOAD_CLIENTS, LOAD_SECONDS) search, create (with Idempotency-Key),
patch with If-Match, and import batches of at most 1,000 rows. Afterwards the database is read
back: zero 5xx, every acknowledged write present exactly once, versions consistent with history,
and the change feed complete. Runs on SQLite (LOAD_DATABASES="sqlite postgresql" for both).
"""

import http.client
import os
import random
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import orjson
from sqlalchemy import create_engine, text

from bench.generate import flask_db, scratch_database
from bench.report import machine
from bench.run import flask_command, free_port, start_server

CLIENTS = int(os.environ.get("LOAD_CLIENTS", "64"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
WORDS = ["больница", "клиника", "Борисов", "Слуцк", "chongqing", "重庆", "hospital", "минск"]


class Client:
    """One keep-alive HTTP connection with a bearer key."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body=None, headers=None, raw=None):
        head = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        if data is not None:
            head.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=data, headers=head)
                response = self.connection.getresponse()
                payload = response.read()
                return response.status, dict(response.getheaders()), payload
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def institution(rng: random.Random, tag: str) -> dict:
    return {
        "names": {"ru": f"{rng.choice(WORDS)} {tag}", "en": f"Load {tag}"},
        "kind": "clinic",
        "country": "BY",
        "region": "BY-MI",
    }


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.created: dict[str, int] = {}  # id -> acknowledged version
        self.imported = 0
        self.latencies: list[float] = []

    def note(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1
            self.latencies.append(seconds)


def worker(n: int, port: int, key: str, deadline: float, tally: Tally) -> None:
    rng = random.Random(n)
    client = Client(port, key)
    mine: list[str] = []
    while time.monotonic() < deadline:
        roll = rng.random()
        started = time.monotonic()
        if not mine and 0.75 <= roll < 0.98:
            roll = 0.5  # nothing of its own to patch yet: create instead
        if roll < 0.45:
            word = rng.choice(WORDS)
            status, _, _ = client.call("GET", f"/api/v1/institutions?limit=20&q={_quote(word)}")
            tally.note("search", status, time.monotonic() - started)
        elif roll < 0.75:
            body = institution(rng, f"{n}-{uuid.uuid4().hex[:8]}")
            status, _, payload = client.call(
                "POST", "/api/v1/institutions", body, {"Idempotency-Key": str(uuid.uuid4())}
            )
            tally.note("create", status, time.monotonic() - started)
            if status == 201:
                record = orjson.loads(payload)
                mine.append(record["id"])
                with tally.lock:
                    tally.created[record["id"]] = record["version"]
        elif roll < 0.98:
            record_id = rng.choice(mine)
            status, headers, payload = client.call("GET", f"/api/v1/institutions/{record_id}")
            etag = headers.get("ETag", '"0"')
            status, _, payload = client.call(
                "PATCH",
                f"/api/v1/institutions/{record_id}",
                {"city": f"Город {rng.randint(1, 10**6)}"},
                {"If-Match": etag},
            )
            tally.note("patch", status, time.monotonic() - started)
            if status == 200:
                with tally.lock:
                    tally.created[record_id] = max(
                        tally.created[record_id], orjson.loads(payload)["version"]
                    )
        else:
            rows = [
                institution(rng, f"i{n}-{uuid.uuid4().hex[:8]}")
                for _ in range(rng.randint(1, 1000))
            ]
            raw = b"\n".join(orjson.dumps(r) for r in rows)
            status, _, payload = client.call(
                "POST",
                "/api/v1/imports/institutions",
                raw=raw,
                headers={"Content-Type": "application/x-ndjson"},
            )
            tally.note("import", status, time.monotonic() - started)
            if status == 200:
                with tally.lock:
                    tally.imported += orjson.loads(payload)["created"]


def _quote(word: str) -> str:
    from urllib.parse import quote

    return quote(word)


def verify(url: str, tally: Tally, port: int, key: str) -> list[str]:
    """What the database says against what the clients were told."""
    problems = []
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, version FROM institutions")).all()
        events = connection.execute(
            text("SELECT seq, record_id, version, action FROM record_events ORDER BY seq")
        ).all()
    engine.dispose()
    stored = dict(rows)
    if len(stored) != len(rows):
        problems.append("duplicate ids")
    for record_id, version in tally.created.items():
        if record_id not in stored:
            problems.append(f"acknowledged {record_id} missing")
        elif stored[record_id] < version:
            problems.append(f"{record_id} at version {stored[record_id]} < acknowledged {version}")
    expected = len(tally.created) + tally.imported
    if len(stored) != expected:
        problems.append(f"{len(stored)} institutions stored, {expected} acknowledged")
    history: dict[str, list[int]] = {}
    for _, record_id, version, _ in events:
        history.setdefault(record_id, []).append(version)
    for record_id, version in stored.items():
        if history.get(record_id) != list(range(1, version + 1)):
            problems.append(f"{record_id}: history versions {history.get(record_id)} vs {version}")
    client, since, seen = Client(port, key), 0, []
    while True:
        status, _, payload = client.call("GET", f"/api/v1/changes?since={since}&limit=1000")
        page = orjson.loads(payload)
        seen.extend(item["seq"] for item in page["items"])
        if not page["items"]:
            break
        since = page["next_since"]
    if seen != [e[0] for e in events]:
        problems.append(f"feed returned {len(seen)} entries, the table holds {len(events)}")
    return problems


def run(kind: str, folder: Path) -> str:
    url = scratch_database(kind, "registry_load", folder)
    flask_db(url, "upgrade")
    key = flask_command(url, "keys", "create", "--name", "load", "--role", "admin")
    port = free_port()
    server = start_server(url, port, folder / f"load-{kind}.log")
    tally = Tally()
    deadline = time.monotonic() + SECONDS
    try:
        threads = [
            threading.Thread(target=worker, args=(n, port, key, deadline, tally))
            for n in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        problems = verify(url, tally, port, key)
    finally:
        server.terminate()
        server.wait()
    total = sum(tally.statuses.values())
    errors = sum(c for (_, s), c in tally.statuses.items() if s >= 500)
    lat = sorted(tally.latencies)
    lines = [
        f"{kind}: {CLIENTS} clients x {SECONDS} s: {total} requests, {total / SECONDS:,.0f}/s, "
        f"p50 {lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms",
        f"  5xx: {errors}; statuses: {dict(sorted(tally.statuses.items()))}",
        f"  acknowledged: {len(tally.created)} created by POST, {tally.imported} by import",
        f"  lost or duplicated writes / inconsistencies: {len(problems)}",
        *(f"    {p}" for p in problems[:20]),
    ]
    return "\n".join(lines), errors + len(problems)


def main() -> None:
    print(machine())
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for kind in os.environ.get("LOAD_DATABASES", "sqlite").split():
            report, bad = run(kind, Path(folder))
            print(report, flush=True)
            failures += bad
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
