"""Short builders for request bodies, with sequence-unique fields."""

import itertools

_n = itertools.count(1)


def institution(**overrides) -> dict:
    n = next(_n)
    body = {
        "names": {"ru": f"Больница №{n}", "en": f"Hospital {n}"},
        "kind": "hospital",
        "country": "BY",
        "region": "BY-MI",
    }
    return {**body, **overrides}


def chongqing_institution(**overrides) -> dict:
    n = next(_n)
    body = {
        "names": {"zh": f"重庆市第{n}人民医院", "en": f"Chongqing People's Hospital {n}"},
        "kind": "hospital",
        "country": "CN",
        "region": "CN-CQ",
    }
    return {**body, **overrides}


def post(client, path: str, body: dict, headers: dict, status: int = 201) -> dict:
    """POST and return the JSON, asserting the status."""
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def every_id(client, path: str, headers: dict, **query) -> list[str]:
    """Every id of a list, page after page by cursor."""
    ids, cursor = [], None
    while True:
        response = client.get(path, query_string={**query, "cursor": cursor or ""}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        ids += [item["id"] for item in body["items"]]
        if not (cursor := body["next_cursor"]):
            return ids


def partnership(minsk_id: str, chongqing_id: str, **overrides) -> dict:
    return {
        "minsk_institution_id": minsk_id,
        "chongqing_institution_id": chongqing_id,
        "areas": ["tcm"],
        **overrides,
    }


def agreement(**overrides) -> dict:
    n = next(_n)
    return {"number": f"AG-{n}", "signed_on": "2023-08-10", **overrides}


def contact(institution_id: str, **overrides) -> dict:
    n = next(_n)
    body = {"institution_id": institution_id, "full_name": {"en": f"Person {n}"}}
    return {**body, **overrides}


def exchange(institution_ids: list[str], **overrides) -> dict:
    n = next(_n)
    body = {
        "kind": "meeting",
        "title": f"Meeting {n}",
        "starts_on": "2023-06-29",
        "institution_ids": institution_ids,
    }
    return {**body, **overrides}


def error_fields(response, status: int = 422) -> set[str]:
    """The fields a problem response names, asserting its status and type."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return {e["field"] for e in response.get_json().get("errors") or []}


def reagent(supplier_id: str, **overrides) -> dict:
    n = next(_n)
    body = {
        "supplier_id": supplier_id,
        "names": {"ru": f"Набор реагентов №{n}", "en": f"Reagent kit {n}"},
        "category": "pcr",
        "catalog_number": f"CAT-{n}",
    }
    return {**body, **overrides}
