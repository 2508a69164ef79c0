"""Builders for the integration tests: CSV bodies, import calls, and what has been written."""

import csv
import io

CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def csv_body(header: list[str], rows: list[list], delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def csv_table(data: bytes) -> list[dict]:
    """An export's CSV as dicts by column (BOM removed)."""
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def table_body(rows: list[dict]) -> bytes:
    """CSV of dicts in their keys' order (an export, edited)."""
    return csv_body(list(rows[0]), [list(row.values()) for row in rows])


def import_body(client, collection: str, data: bytes, headers: dict, kind: dict = CSV, query=""):
    return client.post(
        f"/api/v1/imports/{collection}{query}", data=data, headers={**headers, **kind}
    )


def imported(client, collection: str, data: bytes, headers: dict, kind: dict = CSV) -> dict:
    """Import and return the counts, asserting a 200."""
    response = import_body(client, collection, data, headers, kind)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def export(client, collection: str, headers: dict, query: str = "") -> bytes:
    response = client.get(f"/api/v1/{collection}?format=csv{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data()


def listed(client, collection: str, headers: dict) -> list[dict]:
    body = client.get(f"/api/v1/{collection}?limit=500", headers=headers).get_json()
    return body["items"]


def written(client, admin: dict) -> tuple[int, int, int]:
    """(institutions, reagents, change-feed entries): what a failed write must leave alone."""
    feed = client.get("/api/v1/changes?limit=1000", headers=admin).get_json()["items"]
    return (
        len(listed(client, "institutions", admin)),
        len(listed(client, "reagents", admin)),
        len(feed),
    )
