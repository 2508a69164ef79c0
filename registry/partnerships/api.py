"""Partnerships, declared on the shared record lifecycle."""

from sqlalchemy import or_

from registry import reference
from registry.exchanges.model import Exchange
from registry.institutions.model import Institution
from registry.partnerships.model import Partnership, PartnershipArea
from registry.partnerships.rules import check_partnership
from registry.records import Children, Filter, Reference, Resource
from registry.records.links import equals, held_or_read, linked
from schemas.common import Id, code, first_name
from schemas.partnerships import partnership_schema

SIDE_FIELDS = ("minsk_institution_id", "chongqing_institution_id")


def side_names(body: dict) -> list[list[str | None]]:
    """Both institutions' names, read at write time."""
    # The lifecycle asks while the new row is still half-filled: held_or_read does not flush.
    sides = [held_or_read(Institution, body[field]) for field in SIDE_FIELDS]
    return [first_name(side.doc["names"]) for side in sides]


def pair_name(body: dict) -> list[str]:
    firsts = [next((name for name in names if name), "") for names in side_names(body)]
    return [" – ".join(firsts)]


def _with_institution(stmt, value):
    return stmt.where(
        or_(
            Partnership.minsk_institution_id == value,
            Partnership.chongqing_institution_id == value,
        )
    )


partnerships = Resource(
    name="partnerships",
    model=Partnership,
    schema=partnership_schema,
    write="write_cooperation",
    description="Ties between a Minsk-region institution and a Chongqing one.",
    columns=lambda body: {
        "minsk_institution_id": body["minsk_institution_id"],
        "chongqing_institution_id": body["chongqing_institution_id"],
        "status": body["status"],
    },
    names=pair_name,
    searchable=lambda body: [
        body.get("notes"),
        (body.get("agreement") or {}).get("number"),
        *(name for names in side_names(body) for name in names),
    ],
    filters={
        "institution_id": Filter(Id(), _with_institution, "Either side"),
        "status": Filter(code(reference.PARTNERSHIP_STATUSES), equals(Partnership.status)),
        "area": Filter(
            code(reference.PARTNERSHIP_AREAS),
            linked(Partnership.id, PartnershipArea.partnership_id, PartnershipArea.area),
        ),
    },
    children=[
        Children(
            PartnershipArea, "partnership_id", lambda body: [{"area": a} for a in body["areas"]]
        ),
    ],
    references=[Reference(Exchange.partnership_id, "exchanges")],
    rules=check_partnership,
)
