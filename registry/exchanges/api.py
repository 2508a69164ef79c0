"""Exchanges, declared on the shared record lifecycle."""

from datetime import date

from registry import reference
from registry.exchanges.model import Exchange, ExchangeContact, ExchangeInstitution
from registry.exchanges.rules import check_exchange
from registry.records import Children, Filter, Resource
from registry.records.links import equals, linked
from schemas.common import Day, Id, code
from schemas.exchanges import exchange_schema


def _columns(body: dict) -> dict:
    starts_on = date.fromisoformat(body["starts_on"])
    return {
        "kind": body["kind"],
        "status": body["status"],
        "starts_on": starts_on,
        "last_day": date.fromisoformat(body["ends_on"]) if body.get("ends_on") else starts_on,
        "partnership_id": body.get("partnership_id"),
    }


exchanges = Resource(
    name="exchanges",
    model=Exchange,
    schema=exchange_schema,
    write="write_cooperation",
    description="Meetings, visits, calls and other contacts between the two sides.",
    columns=_columns,
    names=lambda body: [body["title"]],
    searchable=lambda body: [
        body["title"],
        body.get("summary"),
        body.get("location"),
        *(body.get("outcomes") or []),
    ],
    filters={
        "kind": Filter(code(reference.EXCHANGE_KINDS), equals(Exchange.kind)),
        "institution_id": Filter(
            Id(),
            linked(
                Exchange.id, ExchangeInstitution.exchange_id, ExchangeInstitution.institution_id
            ),
        ),
        "partnership_id": Filter(Id(), equals(Exchange.partnership_id)),
        "status": Filter(code(reference.EXCHANGE_STATUSES), equals(Exchange.status)),
        # Overlap with [from, to], bounds inclusive: starts by `to` and lasts until `from`.
        "from": Filter(
            Day(),
            lambda stmt, value: stmt.where(Exchange.last_day >= value),
            "Exchanges still running on or after this day (YYYY-MM-DD)",
        ),
        "to": Filter(
            Day(),
            lambda stmt, value: stmt.where(Exchange.starts_on <= value),
            "Exchanges begun on or before this day (YYYY-MM-DD)",
        ),
    },
    children=[
        Children(
            ExchangeInstitution,
            "exchange_id",
            lambda body: [{"institution_id": i} for i in body["institution_ids"]],
        ),
        Children(
            ExchangeContact,
            "exchange_id",
            lambda body: [{"contact_id": c} for c in body.get("contact_ids") or []],
        ),
    ],
    rules=check_exchange,
)
