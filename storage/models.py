"""SQLAlchemy tables. ORM classes stay inside storage/: repositories turn them into core records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UnitRow(Base):
    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("dataset", "code", name="uq_units_dataset_code"),
        Index("ix_units_parent", "parent_id"),
        Index("ix_units_dataset_name_key", "dataset", "name_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    adult_population: Mapped[int | None] = mapped_column(Integer)
    household_population: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(400))
    sample: Mapped[bool] = mapped_column(Boolean, default=False)


class UnitMappingRow(Base):
    __tablename__ = "unit_mappings"
    __table_args__ = (UniqueConstraint("from_unit_id", "to_unit_id", name="uq_unit_mappings_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))


class OfficialRow(Base):
    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    login: Mapped[str | None] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HouseholdRow(Base):
    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("commune_id", "code", name="uq_households_commune_code"),
        Index("ix_households_village", "village_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    code: Mapped[str] = mapped_column(String(40))
    head_name: Mapped[str] = mapped_column(String(200))
    poverty: Mapped[str] = mapped_column(String(16))
    policy: Mapped[str] = mapped_column(String(16))
    has_smartphone: Mapped[bool] = mapped_column(Boolean, default=False)
    class_source: Mapped[str] = mapped_column(String(16))
    review_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResidentRow(Base):
    __tablename__ = "residents"
    __table_args__ = (
        Index("ix_residents_duplicate", "commune_id", "name_key", "date_of_birth"),
        Index("ix_residents_commune_status", "commune_id", "status", "id"),
        Index("ix_residents_household", "household_id"),
        Index("ix_residents_name_key", "name_key", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(8))
    citizen_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    legacy_id: Mapped[str | None] = mapped_column(String(9))
    has_smartphone: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    consent: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    before: Mapped[dict[str, object] | None] = mapped_column(JSON)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON)
