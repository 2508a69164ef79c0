"""Partnership rules that need the database: its sides, status moves, agreement, the pair."""

from sqlalchemy import select

from registry.errors import ApiError
from registry.extensions import db
from registry.institutions.model import Institution
from registry.partnerships.model import Partnership
from registry.records.links import held_or_read, invalid, unknown_ids
from registry.reference import PARTNERSHIP_TRANSITIONS

# Field -> (region the institution must be in, how to say it).
SIDES = {
    "minsk_institution_id": (
        "BY-MI",
        "the Minsk region (BY-MI; Minsk city, BY-HM, does not count)",
    ),
    "chongqing_institution_id": ("CN-CQ", "Chongqing (CN-CQ)"),
}


def side_errors(body: dict) -> list[dict]:
    errors = []
    for field, (region, where) in SIDES.items():
        institution = held_or_read(Institution, body[field])
        if institution is None:
            errors.extend(unknown_ids(Institution, [(field, body[field])]))
        elif institution.region != region:
            errors.append(
                {
                    "field": field,
                    "message": f"The institution is in {institution.region}; "
                    f"this side must be in {where}.",
                }
            )
    return errors


def status_move(body: dict, record) -> None:
    """A new partnership may start anywhere but terminated; a change follows the table."""
    to_status = body["status"]
    if record is None:
        if to_status == "terminated":
            invalid([{"field": "status", "message": "A new partnership cannot start terminated."}])
        return
    from_status = record.status
    if to_status != from_status and to_status not in PARTNERSHIP_TRANSITIONS[from_status]:
        allowed = ", ".join(PARTNERSHIP_TRANSITIONS[from_status]) or "none (it is final)"
        raise ApiError(
            409,
            f"A {from_status} partnership cannot become {to_status}; allowed: {allowed}.",
            errors=[{"field": "status", "message": f"Not allowed from {from_status}."}],
            title="Forbidden status change",
        )


def agreement_kept(body: dict, record) -> None:
    """Terminating does not need an agreement, but one that was signed is not dropped."""
    dropped = record is not None and record.doc.get("agreement") and not body.get("agreement")
    if dropped and body["status"] == "terminated":
        invalid([{"field": "agreement", "message": "A signed agreement stays on record."}])


# What a terminated partnership may still change; the rest of it is history.
EDITABLE_WHEN_TERMINATED = frozenset({"notes"})
RECORD_FIELDS = frozenset({"id", "version", "created_at", "updated_at"})


def final_kept(body: dict, record) -> None:
    """409 for a change to a terminated partnership other than its notes."""
    if record is None or record.status != "terminated":
        return
    kept = RECORD_FIELDS | EDITABLE_WHEN_TERMINATED
    stored = {k: v for k, v in record.doc.items() if k not in kept}
    changed = sorted(k for k in body.keys() - kept | stored.keys() if body.get(k) != stored.get(k))
    if changed:
        raise ApiError(
            409,
            f"The partnership is terminated, which is final; only its notes may change, "
            f"not {', '.join(changed)}.",
            errors=[{"field": field, "message": "Terminated: final."} for field in changed],
            title="Terminated partnership",
        )


def pair_free(body: dict, record) -> None:
    """The friendly 409; the partial unique index is what guarantees it under concurrency."""
    if body["status"] == "terminated":
        return
    stmt = select(Partnership.id).where(
        Partnership.minsk_institution_id == body["minsk_institution_id"],
        Partnership.chongqing_institution_id == body["chongqing_institution_id"],
        Partnership.status != "terminated",
    )
    if record is not None:
        stmt = stmt.where(Partnership.id != record.id)
    holder = db.session.scalar(stmt)
    if holder is not None:
        raise ApiError(
            409,
            f"These two institutions already have partnership {holder} that is not "
            "terminated; change that one, or terminate it first.",
            title="Duplicate partnership",
        )


def check_partnership(body: dict, record) -> None:
    invalid(side_errors(body))
    status_move(body, record)
    agreement_kept(body, record)
    final_kept(body, record)
    pair_free(body, record)
