"""Institution rows: the columns lists filter on, and the identifier and specialty tables."""

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.records import RecordMixin


class Institution(RecordMixin, db.Model):
    __tablename__ = "institutions"
    __extra_indexes__ = (
        Index("ix_institutions_place", "country", "region", "district"),
        Index("ix_institutions_kind", "kind", "updated_at"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))


class InstitutionIdentifier(db.Model):
    """A scheme+value pair belongs to one institution only: the database says so."""

    __tablename__ = "institution_identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value", name="uq_institution_identifiers"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    institution_id: Mapped[str] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))


class InstitutionSpecialty(db.Model):
    __tablename__ = "institution_specialties"

    institution_id: Mapped[str] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True
    )
    specialty: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
