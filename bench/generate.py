"""Build the benchmark's data set once: 2,000 suppliers and their listings, bulk-loaded.

Rows are made with the lifecycle's own ``record_state`` (doc, search_text, sort_name and
columns exactly as an API write makes them) and inserted in large batches, with no history
entries. The database is migrated to 0001 first and to the head afterwards, so that the
search indexes of 0002 are built once over the loaded rows instead of row by row.
"""

import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, func, make_url, select, text

from bench.vocabulary import (
    ANALYTES,
    RU_METHODS,
    RU_PREFIXES,
    SUBSTITUTED,
    SUPPLIER_PLACES,
    SUPPLIER_WORDS,
    TESTS,
    TNVED,
)
from registry import create_app
from registry.config import Config
from registry.database import recreate_postgres_database
from registry.extensions import db
from registry.institutions.api import institutions
from registry.reagents.api import reagents
from registry.reagents.model import Reagent, ReagentSubstitute
from registry.records.lifecycle import load_body, record_state
from registry.records.model import new_id

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
SUPPLIERS = 2000
BATCH = 20_000
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The data set's version: a cached database of another is made again (2: _moments).
GENERATION = 2


class BenchConfig(Config):
    def __init__(self, url: str) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = url


def database_url(kind: str, rows: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{DATA / f'registry-{rows}.sqlite3'}"
    base = make_url(os.environ.get("REGISTRY_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES)
    return base.set(database="registry_bench").render_as_string(hide_password=False)


def flask_db(url: str, *args: str) -> None:
    env = {**os.environ, "REGISTRY_DATABASE_URL": url}
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "registry", "db", *args],
        check=True,
        env=env,
        cwd=ROOT,
    )


def recreate_database(kind: str, url: str) -> None:
    """An empty database at url (a PostgreSQL one with a UTF-8 LC_CTYPE, for pg_trgm)."""
    if kind == "sqlite":
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    recreate_postgres_database(url)


def scratch_database(kind: str, name: str, folder: Path) -> str:
    """A new, empty database for one run: a file in folder, or a PostgreSQL database `name`."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / f'{name}.sqlite3'}"
    else:
        base = make_url(os.environ.get("REGISTRY_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES)
        url = base.set(database=name).render_as_string(hide_password=False)
    recreate_database(kind, url)
    return url


def supplier_body(rng: random.Random, n: int) -> dict:
    country = rng.choices(("BY", "CN", "RU"), weights=(35, 45, 20))[0]
    region, ru_city, en_city, zh_city = SUPPLIER_PLACES[country]
    ru, en, zh = rng.choice(SUPPLIER_WORDS)
    ru2, en2, zh2 = rng.choice(SUPPLIER_WORDS)
    names = {"ru": f"ООО «{ru}{ru2.lower()}-{n}» ({ru_city})", "en": f"{en}{en2.lower()} {n} Ltd"}
    if country == "CN":
        names["zh"] = f"{zh_city}{zh}{zh2}科技有限公司{n}号"
    kind = rng.choice(("manufacturer", "distributor"))
    return {"names": names, "kind": kind, "country": country, "region": region, "status": "active"}


def listing_body(rng: random.Random, n: int, supplier: dict, today) -> dict:
    category = rng.choice(list(ANALYTES))
    ru, en, zh = rng.choice(ANALYTES[category])
    tests = rng.choice(TESTS)
    method = rng.choice(RU_METHODS)
    names = {"ru": f"{rng.choice(RU_PREFIXES)} {ru} {method}".strip() + f", {tests} определений"}
    if rng.random() < 0.9:
        names["en"] = f"{en} assay kit, {tests} tests"
    if supplier["country"] == "CN" or rng.random() < 0.2:
        names["zh"] = f"{zh}检测试剂盒（{tests}人份）"
    if rng.random() < 0.1:
        names["be"] = f"Набор рэагентаў {en}"
    body = {
        "supplier_id": supplier["id"],
        "names": names,
        "category": category,
        "catalog_number": f"{category[:3].upper()}-{n:07d}",
        "tnved_code": rng.choice(TNVED),
        "origin_country": supplier["country"],
    }
    status = rng.choices(("valid", "expiring", "expired", "none"), weights=(50, 10, 15, 25))[0]
    if status != "none":
        days = {"valid": (91, 1800), "expiring": (0, 90), "expired": (-1500, -1)}[status]
        until = today + timedelta(days=rng.randint(*days))
        body["registration"] = {
            "number": f"ИМ-7.{n}/{until.year}",
            "valid_until": until.isoformat(),
        }
    if rng.random() < 0.2:
        body["substitutes"] = [
            {"product": f"{product} {en}", "manufacturer": maker, "country": country}
            for product, maker, country in rng.sample(SUBSTITUTED, rng.choice((1, 1, 2)))
        ]
    currency = rng.choices(("BYN", "CNY", "USD"), weights=(40, 35, 25))[0]
    body["price"] = {"amount": f"{rng.randint(500, 500_000) / 100:.2f}", "currency": currency}
    body["pack"] = tests
    body["min_order_qty"] = rng.choice((1, 1, 5, 10))
    body["lead_time_days"] = rng.choice((0, 7, 14, 30, 60))
    body["availability"] = rng.choices(("in_stock", "on_order", "discontinued"), (60, 35, 5))[0]
    return body


def _moments(rng: random.Random, now: datetime) -> tuple[datetime, datetime]:
    """When a listing was created and last changed: changed within 200 days of its creation,
    and never later than now. (Cutting a later change off at now put 9% of the listings in
    now's second, which no registry sees: an import of 100,000 rows takes 20 seconds.)"""
    age = rng.randint(3600, 3 * 365 * 86400)
    created = now - timedelta(seconds=age)
    return created, created + timedelta(seconds=rng.randint(0, min(age, 200 * 86400)))


def _states(resource, bodies: list[dict], rng: random.Random, now: datetime) -> list[dict]:
    states = []
    for body in bodies:
        created, updated = _moments(rng, now)
        state = record_state(
            resource, body, record_id=new_id(), version=1, created_at=created, now=updated
        )
        states.append(state)
    return states


def _tune_bulk_load(engine) -> None:
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def bulk_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()


# A worker process of the loader: the app, and every supplier kept in its session's identity
# map so that `columns` finds them without a query.
_worker: dict = {}


def _start_worker(url: str) -> None:
    app = create_app(BenchConfig(url))
    context = app.app_context()
    context.push()
    session = db.session()
    session.expire_on_commit = False
    kept = session.scalars(select(institutions.model)).all()
    session.commit()
    _worker.update(
        context=context,
        kept=kept,
        suppliers=[{"id": i.id, "country": i.country} for i in kept],
    )


def _listing_batch(job: tuple[int, int, int, datetime]) -> tuple[list[dict], list[dict]]:
    """Rows of listings start..stop (and their substitutes), the same whichever process."""
    start, stop, seed, now = job
    rng = random.Random(seed * 1_000_003 + start)
    suppliers = _worker["suppliers"]
    bodies = [listing_body(rng, n, rng.choice(suppliers), now.date()) for n in range(start, stop)]
    if start == 0:
        for body in bodies[:50]:
            assert load_body(reagents, body) == body, body  # canonical, as the API stores it
    states = _states(reagents, bodies, rng, now)
    substitutes = [
        {**row, "reagent_id": state["id"]}
        for body, state in zip(bodies, states, strict=True)
        for row in reagents.children[0].rows(body)
    ]
    return states, substitutes


def load(url: str, rows: int, seed: int = 4) -> None:
    """Suppliers, then listings in batches made by a process per CPU, inserted by this one."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    app = create_app(BenchConfig(url))
    with app.app_context():
        _tune_bulk_load(db.engine)
        session = db.session()
        bodies = [load_body(institutions, supplier_body(rng, n)) for n in range(SUPPLIERS)]
        session.execute(
            institutions.model.__table__.insert(), _states(institutions, bodies, rng, now)
        )
        session.commit()
        jobs = [(start, min(rows, start + BATCH), seed, now) for start in range(0, rows, BATCH)]
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(
            os.cpu_count(), initializer=_start_worker, initargs=(url,)
        ) as pool:
            for (_, stop, _, _), (states, substitutes) in zip(
                jobs, pool.imap(_listing_batch, jobs), strict=True
            ):
                session.execute(Reagent.__table__.insert(), states)
                if substitutes:
                    session.execute(ReagentSubstitute.__table__.insert(), substitutes)
                session.commit()
                rate = stop / (time.perf_counter() - started)
                print(f"\r  {stop:,} listings ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        db.session.remove()
        db.engine.dispose()


def _count(url: str) -> int | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Reagent.__table__))
    except Exception:  # noqa: BLE001 (a missing or half-made database: generate again)
        return None
    finally:
        engine.dispose()


def ensure(kind: str, rows: int) -> str:
    """The URL of a database of `rows` listings, made unless a finished one is cached."""
    DATA.mkdir(parents=True, exist_ok=True)
    url = database_url(kind, rows)
    marker = DATA / f"{kind}-{rows}.json"
    about = json.loads(marker.read_text()) if marker.exists() else {}
    cached = about.get("url") == url and about.get("generation") == GENERATION
    if cached and _count(url) == rows:
        flask_db(url, "upgrade")
        return url
    marker.unlink(missing_ok=True)
    print(
        f"Generating {rows:,} listings on {kind} (once; cached under bench/data/)", file=sys.stderr
    )
    started = time.perf_counter()
    recreate_database(kind, url)
    flask_db(url, "upgrade", "0001")
    load(url, rows)
    indexing = time.perf_counter()
    flask_db(url, "upgrade")  # 0002: search indexes built over the loaded rows
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        # VACUUM too on PostgreSQL: index-only scans need the visibility map it writes.
        connection.execute(text("ANALYZE" if kind == "sqlite" else "VACUUM ANALYZE"))
    engine.dispose()
    took = {
        "load_s": round(indexing - started, 1),
        "index_s": round(time.perf_counter() - indexing, 1),
    }
    print(f"  loaded in {took['load_s']} s, indexed in {took['index_s']} s", file=sys.stderr)
    marker.write_text(json.dumps({"url": url, "rows": rows, "generation": GENERATION, **took}))
    return url


if __name__ == "__main__":
    ensure(
        sys.argv[1] if len(sys.argv) > 1 else "sqlite", int(os.environ.get("BENCH_ROWS", 1_000_000))
    )
