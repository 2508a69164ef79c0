"""Exchange rules that need the database: what it names must exist when it is written."""

from registry.contacts.model import Contact
from registry.institutions.model import Institution
from registry.partnerships.model import Partnership
from registry.records.links import invalid, unknown_ids


def check_exchange(body: dict, record) -> None:
    """422 naming each id that names nothing; contacts erased since keep their bare id."""
    kept = set(record.doc.get("contact_ids") or []) if record is not None else set()
    institutions = [(f"institution_ids.{i}", v) for i, v in enumerate(body["institution_ids"])]
    contacts = [
        (f"contact_ids.{i}", v)
        for i, v in enumerate(body.get("contact_ids") or [])
        if v not in kept
    ]
    partnership = [("partnership_id", body["partnership_id"])] if body.get("partnership_id") else []
    invalid(
        unknown_ids(Institution, institutions)
        + unknown_ids(Contact, contacts)
        + unknown_ids(Partnership, partnership)
    )
