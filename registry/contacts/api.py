"""Contacts, declared on the shared record lifecycle."""

from registry import reference
from registry.contacts.model import Contact, ContactLanguage, ContactRole
from registry.contacts.rules import (
    check_contact,
    erase,
    present,
    present_version,
    search,
    searchable,
)
from registry.records import Children, Filter, Resource
from registry.records.links import equals, linked
from registry.search.text import search_text
from schemas.common import Id, code, first_name
from schemas.contacts import Language, contact_schema

contacts = Resource(
    name="contacts",
    model=Contact,
    schema=contact_schema,
    write="write_cooperation",
    description="People at institutions. E-mail, phone and messengers reach procurement and "
    "integration keys only with consent; DELETE erases the person.",
    columns=lambda body: {
        "institution_id": body["institution_id"],
        "public_search_text": search_text(searchable(body, private=False)),
    },
    names=lambda body: first_name(body["full_name"]),
    searchable=searchable,
    search=search,
    filters={
        "institution_id": Filter(Id(), equals(Contact.institution_id)),
        "role": Filter(
            code(reference.CONTACT_ROLES),
            linked(Contact.id, ContactRole.contact_id, ContactRole.role),
        ),
        "language": Filter(
            Language(), linked(Contact.id, ContactLanguage.contact_id, ContactLanguage.language)
        ),
    },
    children=[
        Children(
            ContactRole, "contact_id", lambda body: [{"role": r} for r in body.get("roles") or []]
        ),
        Children(
            ContactLanguage,
            "contact_id",
            lambda body: [{"language": lang} for lang in body.get("languages") or []],
        ),
    ],
    rules=check_contact,
    present=present,
    present_version=present_version,
    on_delete=erase,
    private_headers=True,
)
