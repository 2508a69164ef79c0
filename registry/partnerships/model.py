"""Partnership rows: both sides, the status, and the areas table the `area` filter reads."""

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db
from registry.records import RecordMixin

# One pair has at most one partnership that is not terminated; the database guarantees it,
# so two concurrent creates cannot both pass.
OPEN = text("status <> 'terminated'")


class Partnership(RecordMixin, db.Model):
    __tablename__ = "partnerships"
    __extra_indexes__ = (
        Index(
            "uq_partnerships_open_pair",
            "minsk_institution_id",
            "chongqing_institution_id",
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        ),
        Index("ix_partnerships_minsk", "minsk_institution_id"),
        Index("ix_partnerships_chongqing", "chongqing_institution_id"),
        Index("ix_partnerships_status", "status", "updated_at"),
    )

    minsk_institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    chongqing_institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    status: Mapped[str] = mapped_column(String(16))


class PartnershipArea(db.Model):
    __tablename__ = "partnership_areas"

    partnership_id: Mapped[str] = mapped_column(
        ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True
    )
    area: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
