"""Idempotency-Key on POST: a repeat replays the first response and writes nothing."""

import io
import threading
import time

from tests.builders import chongqing_institution, institution, partnership, post, reagent
from tests.builders_integration import csv_body, written

URL = "/api/v1/institutions"


def keyed(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key}


def test_a_repeat_returns_the_first_response_and_writes_nothing(client, keys):
    body = institution()
    first = client.post(URL, json=body, headers=keyed(keys["clerk"], "create-1"))
    assert first.status_code == 201
    before = written(client, keys["admin"])
    again = client.post(URL, json=body, headers=keyed(keys["clerk"], "create-1"))
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    for name in ("Location", "ETag", "Content-Type"):
        assert again.headers[name] == first.headers[name]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert written(client, keys["admin"]) == before


def test_the_same_key_with_another_body_is_a_conflict(client, keys):
    assert (
        client.post(URL, json=institution(), headers=keyed(keys["clerk"], "k")).status_code == 201
    )
    before = written(client, keys["admin"])
    response = client.post(URL, json=institution(), headers=keyed(keys["clerk"], "k"))
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    # Another collection under the same key is another request too.
    supplier = post(client, URL, institution(), keys["admin"])
    response = client.post(
        "/api/v1/reagents", json=reagent(supplier["id"]), headers=keyed(keys["clerk"], "k")
    )
    assert response.status_code == 409
    assert written(client, keys["admin"])[1:] == (before[1], before[2] + 1)


def test_key_holders_are_independent(client, keys):
    body = institution()
    one = client.post(URL, json=body, headers=keyed(keys["clerk"], "shared"))
    two = client.post(URL, json=body, headers=keyed(keys["integration"], "shared"))
    assert one.status_code == two.status_code == 201
    assert one.get_json()["id"] != two.get_json()["id"]
    assert written(client, keys["admin"])[0] == 2


def test_a_failed_request_is_not_kept(client, keys):
    bad = institution(kind="spa")
    assert client.post(URL, json=bad, headers=keyed(keys["clerk"], "retry")).status_code == 422
    good = client.post(URL, json=institution(), headers=keyed(keys["clerk"], "retry"))
    assert good.status_code == 201


def test_key_length(client, keys):
    response = client.post(URL, json=institution(), headers=keyed(keys["clerk"], "x" * 256))
    assert 400 <= response.status_code < 500
    assert "Idempotency-Key" in response.get_json()["detail"]
    assert [e["field"] for e in response.get_json()["errors"]] == ["Idempotency-Key"]
    assert written(client, keys["admin"])[0] == 0
    ok = client.post(URL, json=institution(), headers=keyed(keys["clerk"], "x" * 255))
    assert ok.status_code == 201


def test_every_post_is_idempotent(client, keys):
    minsk = post(client, URL, institution(), keys["clerk"])
    chongqing = post(client, URL, chongqing_institution(), keys["clerk"])
    body = partnership(minsk["id"], chongqing["id"])
    headers = keyed(keys["clerk"], "tie")
    first = client.post("/api/v1/partnerships", json=body, headers=headers)
    again = client.post("/api/v1/partnerships", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    listed = client.get("/api/v1/partnerships", headers=keys["clerk"]).get_json()["items"]
    assert len(listed) == 1


def test_concurrent_requests_with_one_key_write_once(app, keys):
    body = institution()
    headers = keyed(keys["integration"], "race")
    for client in (app.test_client(), app.test_client()):
        client.get(URL, headers=keys["integration"])  # keys' last use noted: no write at auth
    start = threading.Barrier(2)
    responses = []

    def send() -> None:
        client = app.test_client()
        start.wait()
        responses.append(client.post(URL, json=body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses in ([201, 201], [201, 409]), [r.get_data(as_text=True) for r in responses]
    created = [r.get_json()["id"] for r in responses if r.status_code == 201]
    assert len(set(created)) == 1
    listed = app.test_client().get(URL, headers=keys["admin"]).get_json()["items"]
    assert [item["id"] for item in listed] == created[:1]


class GatedBody(io.BytesIO):
    """A request body that stops half-way until the test opens the gate."""

    def __init__(self, data: bytes, reached: threading.Event, gate: threading.Event) -> None:
        super().__init__(data)
        self.half, self.reached, self.gate = len(data) // 2, reached, gate

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.half:
            self.reached.set()
            self.gate.wait(30)
            return super().read(size)
        wanted = self.half - self.tell()
        return super().read(wanted if size is None or size < 0 else min(size, wanted))

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_an_import_in_progress_holds_its_key(app, keys):
    rows = [[f"Больница {n}", "hospital", "BY", "BY-MI"] for n in range(3000)]
    data = csv_body(["names.ru", "kind", "country", "region"], rows)
    headers = {**keyed(keys["integration"], "nightly"), "Content-Type": "text/csv"}
    url = "/api/v1/imports/institutions"
    app.test_client().get(URL, headers=keys["integration"])  # last use noted: no write at auth
    reached, gate, responses = threading.Event(), threading.Event(), {}

    def first() -> None:
        body = GatedBody(data, reached, gate)
        responses["first"] = app.test_client().post(
            url, input_stream=body, content_length=len(data), headers=headers
        )

    def second() -> None:
        responses["second"] = app.test_client().post(url, data=data, headers=headers)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert reached.wait(30)
    threads[1].start()
    time.sleep(0.5)  # let the second request meet the first one's claim (either outcome is right)
    gate.set()
    for thread in threads:
        thread.join(timeout=60)
    first_response, second_response = responses["first"], responses["second"]
    assert first_response.status_code == 200, first_response.get_data(as_text=True)
    assert first_response.get_json() == {"created": 3000, "updated": 0, "unchanged": 0}
    if second_response.status_code == 200:
        assert second_response.headers["Idempotent-Replayed"] == "true"
        assert second_response.get_json() == first_response.get_json()
    else:
        assert second_response.status_code == 409, second_response.get_data(as_text=True)
    stats = app.test_client().get("/api/v1/stats", headers=keys["admin"]).get_json()
    assert stats["institutions"]["total"] == 3000
