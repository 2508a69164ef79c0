"""Keyset paging: every sort, no record twice, none skipped, opaque cursors, Link headers."""

import pytest
from werkzeug.datastructures import MultiDict

from registry.reagents.api import reagents
from registry.records.listing import args_schema, parse_args
from tests.builders import institution, post

URL = "/api/v1/institutions"


def walk(client, headers, query):
    seen, url, pages = [], f"{URL}?{query}", 0
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        seen.extend(body["items"])
        pages += 1
        if body["next_cursor"]:
            link = response.headers["Link"]
            assert link.endswith('>; rel="next"')
            url = link[1 : link.index(">")]
        else:
            assert "Link" not in response.headers
            url = None
    return seen, pages


@pytest.mark.parametrize(
    "sort", ["-updated_at", "updated_at", "created_at", "-created_at", "name", "-name"]
)
def test_every_sort_pages_without_gaps(client, keys, sort):
    names = ["Яблоня", "апрель", "Апрель", "Zeta", "alpha", "重庆", "Минск", "минск"] * 3
    made = [post(client, URL, institution(names={"ru": n}), keys["clerk"])["id"] for n in names]
    seen, pages = walk(client, keys["procurement"], f"limit=5&sort={sort}")
    ids = [r["id"] for r in seen]
    assert sorted(ids) == sorted(made) and len(set(ids)) == len(ids)
    assert pages == 5
    key = sort.lstrip("-")
    if key == "name":
        values = [r["names"]["ru"].casefold() for r in seen]
    else:
        values = [r[key] for r in seen]
    assert values == sorted(values, reverse=sort.startswith("-"))


def test_default_sort_is_newest_update_first(client, keys):
    a = post(client, URL, institution(), keys["clerk"])
    b = post(client, URL, institution(), keys["clerk"])
    client.patch(f"{URL}/{a['id']}", json={"city": "Копыль"}, headers=keys["clerk"])
    items = client.get(URL, headers=keys["clerk"]).get_json()["items"]
    assert [i["id"] for i in items] == [a["id"], b["id"]]


@pytest.mark.parametrize(
    "first, then",
    [
        ("sort=name", "sort=created_at"),
        ("sort=name&kind=hospital", "sort=name&kind=clinic"),
        ("sort=name&q=минск", "sort=name&q=слуцк"),
        ("sort=name&q=минск", "sort=name"),
    ],
)
def test_cursor_of_another_sort_or_filter_is_422(client, keys, first, then):
    for _ in range(3):
        post(client, URL, institution(names={"ru": "Минская ЦРБ"}), keys["clerk"])
    page = client.get(f"{URL}?limit=1&{first}", headers=keys["clerk"]).get_json()
    response = client.get(
        f"{URL}?limit=1&{then}&cursor={page['next_cursor']}", headers=keys["clerk"]
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "cursor"
    # The page size may change between pages.
    more = client.get(f"{URL}?limit=2&{first}&cursor={page['next_cursor']}", headers=keys["clerk"])
    assert more.status_code == 200 and len(more.get_json()["items"]) == 2


def test_query_strings_read_once_are_not_shared_between_requests(app):
    """A list's query string is read once and kept; each request gets values of its own."""
    schema = args_schema(reagents, extra=reagents.list_extra)
    query = MultiDict({"facets": "category,currency", "category": "pcr"})
    first = parse_args(schema, query)
    first["facets"].append("availability")
    first["cursor"] = "changed"
    again = parse_args(schema, query)
    assert again["facets"] == ["category", "currency"] and "cursor" not in again
    assert again["category"] == "pcr" and again["limit"] == 50
