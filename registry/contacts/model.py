"""Contact rows: the institution, what other roles may search, roles and languages tables."""

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.records import RecordMixin


class Contact(RecordMixin, db.Model):
    __tablename__ = "contacts"

    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    # search_text without what a role may not see (e-mail without consent): `q` must not
    # reveal through matches what the record hides.
    public_search_text: Mapped[str] = mapped_column(Text)


class ContactRole(db.Model):
    __tablename__ = "contact_roles"

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ContactLanguage(db.Model):
    __tablename__ = "contact_languages"

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)
