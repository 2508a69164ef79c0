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
