"""Institution search under gunicorn: `q` over 10,000 institutions next to /healthz, one run.

Run `.venv/bin/python -m bench.institutions_search` (SQLite; BENCH_DATABASES="sqlite postgresql"
for both). Institutions are written through the real lifecycle (validation, history, feed).
"""

import os
import random
import tempfile
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from bench.generate import BenchConfig, scratch_database
from bench.report import machine
from bench.run import flask_command, free_port, start_server
from bench.wrk import wrk
from registry import create_app
from registry.extensions import db
from registry.institutions.api import institutions
from registry.records.lifecycle import save_record

COUNT = int(os.environ.get("BENCH_INSTITUTIONS", "10000"))
WORDS = ["Городская", "Районная", "Областная", "Центральная", "Детская", "Клиническая"]
KINDS = ["больница", "поликлиника", "аптека", "лаборатория"]
PLACES = ["Борисов", "Слуцк", "Жодино", "Молодечно", "Солигорск", "Несвиж", "Вилейка"]


def load(url: str) -> None:
    rng = random.Random(7)
    app = create_app(BenchConfig(url))
    with app.app_context():
        upgrade()
        for n in range(COUNT):
            place = rng.choice(PLACES)
            body = {
                "names": {
                    "ru": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {place} №{n}",
                    "en": f"Institution {n}",
                },
                "kind": "hospital",
                "country": "BY",
                "region": "BY-MI",
            }
            save_record(institutions, payload=body, actor="bench")
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))  # as autovacuum would, before measuring
            db.session.commit()


def run(kind: str, folder: Path) -> list[str]:
    url = scratch_database(kind, "registry_inst_bench", folder)
    load(url)
    key = flask_command(url, "keys", "create", "--name", "bench", "--role", "procurement")
    port = free_port()
    server = start_server(url, port, folder / f"{kind}.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wrk("warm-up", f"{base}/api/v1/institutions?q=slutsk", key, 2, 16)
        health = wrk("/healthz", f"{base}/healthz", key, 10, 16)
        search = wrk(
            "q=борисов",
            f"{base}/api/v1/institutions?q=%D0%B1%D0%BE%D1%80%D0%B8%D1%81%D0%BE%D0%B2",
            key,
            10,
            16,
        )
        latin = wrk("q=slutsk", f"{base}/api/v1/institutions?q=slutsk", key, 10, 16)
    finally:
        server.terminate()
        server.wait()
    lines = [f"{kind}, {COUNT} institutions, wrk -c16 10 s, limit=50:"]
    for result in (health, search, latin):
        ratio = result.rps / health.rps
        lines.append(f"  {result.line()}  ({ratio:.0%} of /healthz, {result.errors} non-2xx)")
    return lines


def main() -> None:
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        for kind in os.environ.get("BENCH_DATABASES", "sqlite").split():
            print("\n".join(run(kind, Path(folder))))


if __name__ == "__main__":
    main()
