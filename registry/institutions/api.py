"""Institutions, declared on the shared record lifecycle."""

from registry import reference
from registry.contacts.model import Contact
from registry.exchanges.model import ExchangeInstitution
from registry.institutions.model import Institution, InstitutionIdentifier, InstitutionSpecialty
from registry.institutions.rules import check_institution
from registry.partnerships.model import Partnership
from registry.reagents.model import Reagent
from registry.records import Children, Filter, NaturalKey, Reference, Resource
from registry.records.links import equals, linked
from registry.search.index import indexed_search
from schemas.common import Country, District, Region, code, first_name, text
from schemas.institutions import institution_schema

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
        "kind": Filter(code(reference.INSTITUTION_KINDS), equals(Institution.kind)),
        "country": Filter(Country(), equals(Institution.country)),
        "region": Filter(Region(), equals(Institution.region)),
        "district": Filter(District(), equals(Institution.district)),
        "status": Filter(code(reference.INSTITUTION_STATUSES), equals(Institution.status)),
        "specialty": Filter(
            text(64),
            linked(
                Institution.id, InstitutionSpecialty.institution_id, InstitutionSpecialty.specialty
            ),
        ),
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
    rules=check_institution,
    natural_key=NaturalKey(
        keys=lambda body: [(i["scheme"], i["value"]) for i in body.get("identifiers") or []],
        columns=(InstitutionIdentifier.scheme, InstitutionIdentifier.value),
        owner=InstitutionIdentifier.institution_id,
        field="identifiers",
    ),
    search=indexed_search(Institution),
)
