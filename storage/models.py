"""SQLAlchemy tables. ORM classes stay inside storage/: repositories turn them into core records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.sql import UtcDateTime

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
    # one of the plan's pilot communes: the programme's totals count these only
    pilot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # a village whose survey (ra soat) is done: its coverage is known from then
    survey_done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # a village without mobile signal (vung lom song)
    no_signal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


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
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ResidentRow(Base):
    __tablename__ = "residents"
    __table_args__ = (
        Index("ix_residents_duplicate", "commune_id", "name_key", "date_of_birth"),
        Index("ix_residents_commune_status", "commune_id", "status", "id"),
        Index("ix_residents_household", "household_id"),
        Index("ix_residents_name_key", "name_key", "id"),
        # the programme's first day (storage/coverage.py): min() reads one entry, not the table
        Index("ix_residents_registered_at", "registered_at"),
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
    ethnicity: Mapped[str | None] = mapped_column(String(50))  # as the poverty review lists it
    status: Mapped[str] = mapped_column(String(16))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    consent: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ResidentNameTailRow(Base):
    """A resident's folded name from each of its words on ("nong van an", "van an", "an"): a
    name search is a prefix of one of them, which one B-tree index serves on every database.
    Written with the resident by SqlResidents; see storage/name_search.py."""

    __tablename__ = "resident_name_tails"
    __table_args__ = (Index("ix_resident_name_tails_tail", "tail", "resident_id"),)

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    # byte order on PostgreSQL too, so that a prefix is one range of the index
    tail: Mapped[str] = mapped_column(
        String(200).with_variant(String(200, collation="C"), "postgresql"), primary_key=True)


class UnitRevisionRow(Base):
    """One row whose number moves with every change to a unit, so that each process knows
    when its copy of the units tree is stale (storage/unit_tree.py)."""

    __tablename__ = "unit_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)


class AuditRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    before: Mapped[dict[str, object] | None] = mapped_column(JSON)
    after: Mapped[dict[str, object] | None] = mapped_column(JSON)


class ChatRow(Base):
    """One conversation on one channel: who it is linked to and where its dialog stands."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_chats_channel_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(100))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    dialog: Mapped[str | None] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    dialog_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    link_failures: Mapped[int] = mapped_column(Integer, default=0)
    link_blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProcessedUpdateRow(Base):
    """Update ids already handled: a replayed update finds its id here and changes nothing."""

    __tablename__ = "processed_updates"
    __table_args__ = (
        UniqueConstraint("channel", "update_id", name="uq_processed_updates_channel_update"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # What was answered, for a client that lost the answer and asks again (the web chat).
    replies: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)


class InviteRow(Base):
    """A one-time code that links a chat to an official; only its hash is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    used_by_chat: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class PledgeRow(Base):
    __tablename__ = "pledges"
    __table_args__ = (Index("ix_pledges_commune_status", "commune_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # phones | money | offer
    quantity: Mapped[int | None] = mapped_column(Integer)
    condition: Mapped[str | None] = mapped_column(String(8))  # new | used
    model: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[int | None] = mapped_column(BigInteger)  # whole dong
    offer: Mapped[str | None] = mapped_column(Text)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    donor_name: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(16))
    chat_ref: Mapped[int | None] = mapped_column(ForeignKey("chats.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


# ---- from gift to hand: receipts, transfers, supports, handovers, outbox, ledger ----------


class ReceiptRow(Base):
    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_unit", "unit_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    phones: Mapped[int] = mapped_column(Integer, default=0)
    money: Mapped[int] = mapped_column(BigInteger, default=0)
    model: Mapped[str | None] = mapped_column(String(200))
    condition: Mapped[str | None] = mapped_column(String(8))
    serials: Mapped[list[str]] = mapped_column(JSON, default=list)
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"), index=True)
    donor_name: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(16))  # plan IV: who gave it


class TransferRow(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_from", "from_unit_id"),
        Index("ix_transfers_to", "to_unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    phones: Mapped[int] = mapped_column(Integer, default=0)
    money: Mapped[int] = mapped_column(BigInteger, default=0)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_plans.id"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class AllocationPlanRow(Base):
    """A committed plan. The single 'programme lock' row serialises commits (see services)."""

    __tablename__ = "allocation_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    committed_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class PostingRow(Base):
    """A commune's list as it was posted for objections (niem yet cong khai)."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_plans.id"))


class PostingLineRow(Base):
    """One person as the posting showed them: shortened name, year of birth, village."""

    __tablename__ = "posting_lines"

    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    short_name: Mapped[str] = mapped_column(String(100))
    born_year: Mapped[int] = mapped_column(Integer)
    village: Mapped[str] = mapped_column(String(200))
    support: Mapped[str | None] = mapped_column(String(16))


class ObjectionRow(Base):
    """An objection to one posted line, and the commune's answer."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"), index=True)
    line_number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    chat_ref: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    verdict: Mapped[str | None] = mapped_column(String(16))
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class ProgrammeLockRow(Base):
    """One row per named lock; SELECT ... FOR UPDATE on it makes two commits take turns."""

    __tablename__ = "programme_locks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class SupportRow(Base):
    __tablename__ = "supports"
    __table_args__ = (
        # One person, one support: a second active one cannot be written, whatever the route.
        Index(
            "uq_supports_active_resident",
            "resident_id",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_supports_commune", "commune_id", "kind", "status"),
        # the handovers page's queue order: an allocation writes thousands at one instant
        Index("ix_supports_created_at_id", "created_at", "id"),
        Index("ix_supports_receipt", "receipt_id"),
        Index("ix_supports_pledge", "pledge_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    kind: Mapped[str] = mapped_column(String(16))
    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    holder_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_plans.id"))
    giver: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("pledges.id"))  # a shop's offer


class HandoverRow(Base):
    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    support_id: Mapped[int] = mapped_column(ForeignKey("supports.id"), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    handed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    serial: Mapped[str | None] = mapped_column(String(40))
    checklist: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    handed_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    confirmation: Mapped[str | None] = mapped_column(String(16))
    confirmed_via: Mapped[str | None] = mapped_column(String(16))
    # not a foreign key: a chat may be forgotten (erasure, retention), the handover stays
    confirmed_chat: Mapped[int | None] = mapped_column(Integer)


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    resolution: Mapped[str | None] = mapped_column(Text)


class OutboxRow(Base):
    """Notifications, written in the transaction of the event they report; sent after."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "dead", "not_before"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8))
    reply: Mapped[dict[str, object]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    dead: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LedgerRow(Base):
    """The public hash chain: each entry's hash covers the previous hash and its payload."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# ---- admin web: shared secret, login throttling, API tokens ------------------------------


class AdminSecretRow(Base):
    """Secrets the admin web makes once and every process shares (the session cookie key)."""

    __tablename__ = "admin_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoginFailureRow(Base):
    """One refused login; counted per login and per address over a sliding window."""

    __tablename__ = "admin_login_failures"
    __table_args__ = (
        Index("ix_admin_login_failures_login", "login", "at"),
        Index("ix_admin_login_failures_address", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    login: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionGenerationRow(Base):
    """An official's admin sessions carry this number; logout and a password change bump it,
    so that every session made before ends, in every process and after a restart."""

    __tablename__ = "admin_session_generations"

    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LinkFailureRow(Base):
    """A wrong invite code, counted per source (channel and chat, or the web chat's address)
    and over all sources."""

    __tablename__ = "link_failures"
    __table_args__ = (
        Index("ix_link_failures_source", "source", "at"),
        Index("ix_link_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    """A per-official API token; only its SHA-256 is kept."""

    __tablename__ = "admin_api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# ---- Zalo Official Account: the token pair, refused deliveries --------------------------


class ZaloOATokenRow(Base):
    """The OA's access/refresh token pair: one row, replaced by compare-and-swap on refresh.

    The refresh token works once, so the new pair is written here before it is used, and a
    lease (refreshing_until) lets exactly one process spend the old one.
    """

    __tablename__ = "zalo_oa_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    refreshing_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RefusedDeliveryRow(Base):
    """A reply a chat platform refused for good (Zalo OA -230: outside the interaction
    window); kept for the admin to see, never retried. The catalogue key, never the text."""

    __tablename__ = "refused_deliveries"
    __table_args__ = (Index("ix_refused_deliveries_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(100))
    error_code: Mapped[int] = mapped_column(Integer)
    reply_key: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


# ---- Zalo (Bot Platform and OA): events recorded before they are handled; channel health ---


class ZaloEventRow(Base):
    """A webhook event (or a polled update) recorded before the 200: handled afterwards in the
    background, claimed with a lease, so that a crash after the answer loses nothing; the
    unique (channel, event_key) makes a delivery Zalo repeats a duplicate."""

    __tablename__ = "zalo_events"
    __table_args__ = (
        UniqueConstraint("channel", "event_key", name="uq_zalo_events_channel_key"),
        Index("ix_zalo_events_pending", "handled_at", "claimed_until"),
        Index("ix_zalo_events_user", "channel", "user_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))


class ZaloChannelStatusRow(Base):
    """One row per Zalo channel: what its health page shows (last update in, last send out)
    and whether the OA takes only plain text (it refused a message with buttons)."""

    __tablename__ = "zalo_channel_status"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_update_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_send_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    plain_text: Mapped[bool] = mapped_column(Boolean, default=False)
    plain_text_since: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ZaloErrorRow(Base):
    """An error code a Zalo platform answered, with its time (the health page counts them)."""

    __tablename__ = "zalo_errors"
    __table_args__ = (Index("ix_zalo_errors_channel_at", "channel", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    code: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class ZaloProactiveRow(Base):
    """Proactive (paid) OA messages sent in a month: counted against the monthly cap."""

    __tablename__ = "zalo_proactive"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    sent: Mapped[int] = mapped_column(Integer, default=0)


# ---- monthly reports: built once per unit and month; donors who asked for no reminders ---


class ReportRunRow(Base):
    """A monthly report built and sent: the unique (unit, month) is what makes it happen
    once, whichever process or command claims it first."""

    __tablename__ = "report_runs"
    __table_args__ = (UniqueConstraint("unit_id", "month", name="uq_report_runs_unit_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    built_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    trigger: Mapped[str] = mapped_column(String(100))
    recipients: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    figures: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class ReportNotesRow(Base):
    """Sections II and III of a unit's monthly report, written by its officer before it is
    sent: one row per unit and month."""

    __tablename__ = "report_notes"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    difficulties: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReminderStopRow(Base):
    """A chat that asked not to be reminded of its pledges any more."""

    __tablename__ = "reminder_stops"

    chat_ref: Mapped[int] = mapped_column(ForeignKey("chats.id"), primary_key=True)
    stopped_at: Mapped[datetime] = mapped_column(UtcDateTime())


# ---- after the handover (plan III.5, VI.2): follow-ups, guidance sessions, set-up tasks ----


class FollowUpRow(Base):
    """A question asked 7, 30 or 90 days after a handover: the unique (handover, day) is what
    makes it asked once, whichever process's tick comes first."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("handover_id", "day", name="uq_follow_ups_handover_day"),
        Index("ix_follow_ups_chat", "channel", "chat_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"))
    day: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    channel: Mapped[str | None] = mapped_column(String(16))
    chat_id: Mapped[str | None] = mapped_column(String(100))
    for_village_head: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    phone_state: Mapped[str | None] = mapped_column(String(16))
    uses: Mapped[list[str]] = mapped_column(JSON, default=list)
    wants_help: Mapped[bool | None] = mapped_column(Boolean)


class GuidanceSessionRow(Base):
    """A 'huong dan su dung' session held in a village."""

    __tablename__ = "guidance_sessions"
    __table_args__ = (Index("ix_guidance_sessions_village", "village_id", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    held_on: Mapped[date] = mapped_column(Date)
    led_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class GuidanceAttendeeRow(Base):
    __tablename__ = "guidance_attendees"

    session_id: Mapped[int] = mapped_column(ForeignKey("guidance_sessions.id"),
                                            primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True,
                                             index=True)


class TaskDoneRow(Base):
    """A set-up item left undone at a handover and finished later by the village head."""

    __tablename__ = "tasks_done"

    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class FigureChangeRow(Base):
    """A unit whose report figures a write may have changed, written by the database's own
    triggers (migration 0018) on every table the report sums, so that no path of the code can
    forget it. The dashboards read and delete these to know which communes' kept figures
    are stale (storage/commune_figures.py)."""

    __tablename__ = "figure_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)


class CommuneFiguresRow(Base):
    """A commune's month so far, everything below it summed (core.figures.Summed), and its
    residents by status: what a district's or a province's dashboard adds up."""

    __tablename__ = "commune_figures"

    commune_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    generation: Mapped[int] = mapped_column(Integer)  # figure_generation's, when written
    sums: Mapped[list[list[int]]] = mapped_column(JSON)
    statuses: Mapped[dict[str, int]] = mapped_column(JSON)


class FigureGenerationRow(Base):
    """One row whose number moves each time kept figures are written: a dashboard that
    summed the rows while another wrote keeps nothing (its figures may be the older)."""

    __tablename__ = "figure_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
