"""Institutions, declared on the shared record lifecycle."""

from sqlalchemy import select

from registry import reference
from registry.contacts.model import Contact
from registry.exchanges.model import ExchangeInstitution
from registry.institutions.model import Institution, InstitutionIdentifier, InstitutionSpecialty
from registry.institutions.rules import identifiers_free
from registry.partnerships.model import Partnership
from registry.reagents.model import Reagent
from registry.records import Children, Filter, NaturalKey, Reference, Resource
from registry.search.index import indexed_search
from schemas.common import Country, code, first_name, text
from schemas.institutions import institution_schema


def _equals(column):
    return lambda stmt, value: stmt.where(column == value)


def _with_specialty(stmt, value):
    holders = select(InstitutionSpecialty.institution_id).where(
        InstitutionSpecialty.specialty == value
    )
    return stmt.where(Institution.id.in_(holders))


institutions = Resource(
    name="institutions",
    model=Institution,
    schema=institution_schema,
    write="write_core",
    description="Partner institutions in the Minsk region, Chongqing and elsewhere.",
    columns=lambda body: {
        "kind": body["kind"],
        "country": body["country"],
        "region": body["region"],
        "district": body.get("district"),
        "status": body["status"],
    },
    names=lambda body: first_name(body["names"]),
    searchable=lambda body: [
        *first_name(body["names"]),
        *(item["value"] for item in body.get("identifiers") or []),
    ],
    filters={
        "kind": Filter(code(reference.INSTITUTION_KINDS), _equals(Institution.kind)),
        "country": Filter(Country(), _equals(Institution.country)),
        "region": Filter(text(16), _equals(Institution.region)),
        "district": Filter(text(64), _equals(Institution.district)),
        "status": Filter(code(reference.INSTITUTION_STATUSES), _equals(Institution.status)),
        "specialty": Filter(text(64), _with_specialty),
    },
    children=[
        Children(
            InstitutionIdentifier, "institution_id", lambda body: body.get("identifiers") or []
        ),
        Children(
            InstitutionSpecialty,
            "institution_id",
            lambda body: [{"specialty": s} for s in dict.fromkeys(body.get("specialties") or [])],
        ),
    ],
    references=[
        Reference(Partnership.minsk_institution_id, "partnerships"),
        Reference(Partnership.chongqing_institution_id, "partnerships"),
        Reference(Contact.institution_id, "contacts"),
        Reference(ExchangeInstitution.institution_id, "exchanges"),
        Reference(Reagent.supplier_id, "reagents"),
    ],
    rules=identifiers_free,
    natural_key=NaturalKey(
        keys=lambda body: [(i["scheme"], i["value"]) for i in body.get("identifiers") or []],
        columns=(InstitutionIdentifier.scheme, InstitutionIdentifier.value),
        owner=InstitutionIdentifier.institution_id,
        field="identifiers",
    ),
    search=indexed_search(Institution),
)
