"""What core needs from persistence: repositories and a unit of work, as Protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, tzinfo
from types import TracebackType
from typing import Protocol, Self

from core.channel_health import ChannelRecord, ChannelState
from core.figures import Kept, Month, MonthCoverage, ReportInput, Stale
from core.importing import ResidentExport
from core.model import (
    AuditEntry,
    Case,
    ChatState,
    FailureCount,
    FollowUp,
    GuidanceSession,
    Handover,
    HandoverExport,
    Holdings,
    Household,
    Invite,
    LedgerEntry,
    Official,
    OutboxMessage,
    Pledge,
    PledgeStatus,
    Receipt,
    Resident,
    Support,
    Task,
    Transfer,
    Unit,
)
from core.page_views import (
    AuditLine,
    AuditQuery,
    HouseholdLine,
    InvitationLine,
    OfficialQuery,
    Place,
    ReceiptLine,
    ResidentLine,
    ResidentQuery,
    TokenInfo,
)
from core.posting import Objection, Posting, Verdict
from core.priority import Candidate
from core.report_runs import ReportNotes, ReportRun

# commune -> its waiting candidates, and commune -> resident -> household
Waiting = tuple[dict[int, list[Candidate]], dict[int, dict[int, int]]]


class UnitRepository(Protocol):
    async def get(self, unit_id: int) -> Unit | None: ...
    async def by_code(self, dataset: str, code: str) -> Unit | None: ...
    async def matching(self, dataset: str, name_key: str) -> list[Unit]:
        """Units whose folded name equals name_key or ends with it (" con minh")."""
        ...
    async def children(self, unit_id: int) -> list[Unit]: ...
    async def all(self, dataset: str) -> list[Unit]: ...
    async def datasets(self) -> list[str]: ...
    async def save(self, unit: Unit) -> Unit:
        """Insert (unit.id == 0) or update by id; returns the stored unit."""
        ...
    async def add_mapping(self, from_id: int, to_id: int) -> bool:
        """Record that from_id became to_id; False if already known."""
        ...
    async def mapped_to(self, unit_id: int) -> list[Unit]: ...


class HouseholdRepository(Protocol):
    async def get(self, household_id: int) -> Household | None: ...
    async def by_code(self, commune_id: int, code: str) -> Household | None: ...
    async def in_village(self, village_id: int) -> list[Household]: ...
    async def add(self, household: Household) -> Household: ...
    async def update(self, household: Household) -> None: ...
    async def count_in_commune(self, commune_id: int) -> int: ...
    async def by_codes(self, commune_id: int, codes: Sequence[str]) -> dict[str, Household]:
        """The commune's households of these codes, by code, in a few queries."""
        ...
    async def get_many(self, household_ids: Sequence[int]) -> dict[int, Household]: ...
    async def add_many(self, households: Sequence[Household]) -> list[Household]:
        """Add them in one statement; the same households with their ids, in order."""
        ...


class ResidentRepository(Protocol):
    async def get(self, resident_id: int) -> Resident | None: ...
    async def by_citizen_id(self, citizen_id: str) -> Resident | None: ...
    async def same_person(self, commune_id: int, name_key: str, born: date) -> list[Resident]: ...
    async def by_citizen_ids(self, citizen_ids: Sequence[str]) -> dict[str, Resident]:
        """by_citizen_id for many IDs in a few queries: the holders by ID."""
        ...
    async def same_people(
        self, commune_id: int, people: Sequence[tuple[str, date]]
    ) -> dict[tuple[str, date], list[Resident]]:
        """same_person for many (name key, birth date) pairs in a few queries."""
        ...
    async def add_many(self, residents: Sequence[Resident]) -> list[Resident]:
        """Add them and their name tails in a few statements; with their ids, in order."""
        ...
    async def in_household(self, household_id: int) -> list[Resident]: ...
    async def in_units(self, unit_ids: Sequence[int]) -> list[Resident]:
        """Residents whose commune or village is one of unit_ids, in id order."""
        ...
    async def add(self, resident: Resident) -> Resident: ...
    async def update(self, resident: Resident) -> None: ...
    async def export_rows(self, unit_ids: Sequence[int] | None) -> list[ResidentExport]:
        """Residents with their units and household, in id order, in one query; all when
        unit_ids is None, else those whose commune or village is one of them."""
        ...
    async def waiting_in(self, commune_ids: Sequence[int]) -> Waiting:
        """The candidates who may stand in a queue (approved, poor or near-poor, without a
        smartphone, not served; their age is rank()'s to check), of many communes in a few
        queries: (commune -> its candidates in id order, commune -> resident -> household)."""
        ...
    async def candidates(self, commune_id: int) -> list[Candidate]:
        """The commune's residents with their household's facts, for ranking; in id order."""
        ...


class OfficialRepository(Protocol):
    async def get(self, official_id: int) -> Official | None: ...
    async def by_login(self, login: str) -> Official | None: ...
    async def in_unit(self, unit_id: int) -> list[Official]:
        """The active officials of exactly this unit, in id order."""
        ...
    async def add(self, official: Official) -> Official: ...
    async def update(self, official: Official) -> None: ...


class AuditRepository(Protocol):
    async def append(self, *entries: AuditEntry) -> None: ...
    async def keep(self, *entries: AuditEntry) -> None:
        """Entries that stay whatever becomes of this transaction: written with it on
        commit, or on their own after a rollback (a refused check, a dry run, a savepoint
        undone). For the reads and look-ups the trail must show even when nothing changed."""
        ...
    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]: ...
    async def redact(self, entity: str, entity_id: int, fields: Sequence[str]) -> None:
        """Blank these fields in the entity's earlier entries: the one change the trail
        allows, for an erasure the law requires (core.services.privacy)."""
        ...


class ChatRepository(Protocol):
    async def get_or_create(self, channel: str, chat_id: str, now: datetime) -> ChatState:
        """The chat's state, locked for this transaction; created on first contact."""
        ...
    async def save(self, chat: ChatState) -> None: ...
    async def get(self, chat_ref: int) -> ChatState | None:
        """A chat by our own id (what pledges and officials keep), not the channel's."""
        ...
    async def open(
        self, channel: str, chat_id: str, now: datetime, update_id: str | None = None
    ) -> tuple[ChatState, list[dict[str, object]] | None]:
        """get_or_create, and what was answered to update_id when it was handled before
        (None: the first time it is seen here), in one round trip."""
        ...
    async def record_update(
        self, channel: str, update_id: str, now: datetime, replies: list[dict[str, object]]
    ) -> bool:
        """Record an update id with its answer; False when another transaction recorded it
        first (a replay that overtook the check in open())."""
        ...
    async def linked_to(self, official_id: int) -> list[ChatState]: ...
    async def earlier_replies(self, channel: str, update_id: str) -> list[dict[str, object]]: ...
    async def forget_updates(self, before: datetime) -> int:
        """Delete the replay records made before this moment; how many went."""
        ...
    async def forget_replies(self) -> None:
        """Blank every stored answer, keeping the update ids (an erasure: an answer may
        name the person)."""
        ...


class InviteRepository(Protocol):
    async def add(
        self, code_hash: str, official_id: int, now: datetime, expires_at: datetime,
        created_by: int | None = None,
    ) -> Invite: ...
    async def by_hash(self, code_hash: str) -> Invite | None: ...
    async def get(self, invite_id: int) -> Invite | None: ...
    async def revoke(self, invite_id: int, by: int | None, now: datetime) -> bool:
        """Revoke an invite neither used nor revoked; False when it was (a second click)."""
        ...
    async def mark_used(self, invite_id: int, chat_ref: int, now: datetime) -> bool:
        """Use the invite; False when somebody used it first."""
        ...
    async def add_failure(self, source: str, at: datetime) -> None:
        """A wrong, used or expired code typed from a source (channel and chat, or address)."""
        ...
    async def forget_failures(self, before: datetime) -> None:
        """Drop wrong codes older than before (an address is personal data: kept no longer)."""
        ...
    async def failures_since(self, source: str, since: datetime
                             ) -> tuple[FailureCount, FailureCount]:
        """Wrong codes since a moment: (from this source, from anywhere)."""
        ...


class PledgeRepository(Protocol):
    async def add(self, pledge: Pledge) -> Pledge: ...
    async def by_code(self, code: str) -> Pledge | None: ...
    async def get(self, pledge_id: int) -> Pledge | None: ...
    async def all(self, commune_ids: Sequence[int] | None = None) -> list[Pledge]: ...
    async def update_status(self, pledge_id: int, status: PledgeStatus) -> None: ...


class ReceiptRepository(Protocol):
    """Receipts and transfers, and the stock computed from them (never a stored counter)."""

    async def add(self, receipt: Receipt) -> Receipt: ...
    async def get(self, receipt_id: int) -> Receipt | None: ...
    async def for_pledge(self, pledge_id: int) -> list[Receipt]: ...
    async def add_transfers(self, *transfers: Transfer) -> list[Transfer]:
        """The transfers with their ids, in the order given."""
        ...
    async def by_number(self, number: str) -> Receipt | None: ...
    async def count_numbered(self, prefix: str) -> int:
        """How many receipt numbers start with prefix (for the next generated number)."""
        ...
    async def by_donor(self) -> list[tuple[str | None, int, int]]:
        """(donor's name as they chose it, None for anonymous; phones; dong) received,
        largest first."""
        ...
    async def with_serials(self, serials: Sequence[str]) -> dict[str, Receipt]:
        """Each of these serials that an earlier receipt lists, with that receipt."""
        ...
    async def earmarks(self, receipt_ids: Sequence[int]) -> dict[int, int]:
        """receipt id -> the commune its pledge was earmarked for (earmarked ones only)."""
        ...
    async def holdings(self, unit_id: int) -> Holdings: ...
    async def holdings_by_unit(self, unit_ids: Sequence[int]) -> dict[int, Holdings]:
        """Every unit asked for, with zeros where nothing is held."""
        ...
    async def transfers_of(self, receipt_id: int) -> list[Transfer]:
        """Every transfer that moved phones or money of this receipt, oldest first."""
        ...


class SupportRepository(Protocol):
    async def add(self, *supports: Support) -> list[Support]:
        """The supports with their ids, in the order given. Raises
        core.errors.RuleError('support-already-served') if one of the residents has one."""
        ...
    async def get(self, support_id: int) -> Support | None: ...
    async def active_for(self, resident_id: int) -> Support | None: ...
    async def update(self, support: Support) -> None: ...
    async def assigned(self, commune_ids: Sequence[int], offset: int = 0,
                       limit: int | None = None) -> list[Support]:
        """Whole-phone and part-of-the-price supports still waiting for their handover in
        these communes, in the order they were assigned (the queue's order); limit: a page
        of them from offset."""
        ...
    async def count_assigned(self, commune_ids: Sequence[int], limit: int | None = None
                             ) -> int:
        """How many assigned() would list, counted in the database up to limit."""
        ...
    async def drawn_from(self, receipt_ids: Sequence[int]) -> list[Support]:
        """Supports not cancelled whose phone came from one of these receipts, in id order."""
        ...
    async def using_pledge(self, pledge_id: int) -> int:
        """How many people a shop's offer pledge served (supports not cancelled)."""
        ...


class HandoverRepository(Protocol):
    async def add(self, handover: Handover) -> Handover: ...
    async def by_code(self, code: str) -> Handover | None: ...
    async def for_support(self, support_id: int) -> Handover | None: ...
    async def for_supports(self, support_ids: Sequence[int]) -> dict[int, Handover]:
        """support id -> its handover, for those that have one."""
        ...
    async def update(self, handover: Handover) -> None: ...
    async def add_case(self, case: Case) -> Case: ...
    async def update_case(self, case: Case) -> None: ...
    async def get(self, handover_id: int) -> Handover | None: ...
    async def by_serial(self, serial: str) -> Handover | None: ...
    async def get_case(self, case_id: int) -> Case | None: ...
    async def cases_for(self, handover_id: int) -> list[Case]: ...
    async def open_cases(self, commune_ids: Sequence[int], offset: int = 0,
                         limit: int | None = None) -> list[Case]:
        """Cases not closed yet whose support lies in these communes, oldest first; limit: a
        page of them from offset."""
        ...
    async def count_open_cases(self, commune_ids: Sequence[int]) -> int: ...
    async def cases_in(self, commune_ids: Sequence[int]) -> list[Case]:
        """Every case, open or closed, whose support lies in these communes, oldest first."""
        ...
    async def export_rows(self, commune_ids: Sequence[int] | None) -> list[HandoverExport]:
        """Every handover (or those of these communes), oldest first."""
        ...
    async def newest(self, commune_ids: Sequence[int], offset: int, limit: int
                     ) -> list[HandoverExport]:
        """A page of these communes' handovers, newest first (a page of export_rows, read
        backwards)."""
        ...
    async def count_in(self, commune_ids: Sequence[int]) -> int:
        """How many handovers these communes have, counted in the database."""
        ...


class OutboxRepository(Protocol):
    async def add(self, message: OutboxMessage) -> bool:
        """Queue a message; False when one with the same dedupe_key exists (sent once)."""
        ...
    async def add_all(self, messages: Sequence[OutboxMessage]) -> set[str]:
        """Queue many at once; the dedupe keys of those queued (not there before)."""
        ...
    async def claim(
        self, channels: Sequence[str], now: datetime, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Lease due messages until `until`: only the head of each chat's queue, so a chat's
        messages go out in order; a message leased by another sender is skipped."""
        ...
    async def mark_sent(self, message_id: int, now: datetime) -> None: ...
    async def mark_failed(
        self, message_id: int, error: str, retry_at: datetime, dead: bool
    ) -> None: ...
    async def pull(
        self, channel: str, chat_id: str, after: int, now: datetime, limit: int
    ) -> list[OutboxMessage]:
        """A chat's messages after id `after` (a channel without push); marks them sent."""
        ...


class LedgerRepository(Protocol):
    async def last(self) -> LedgerEntry | None:
        """The newest entry, locked until the transaction ends, so appends take turns."""
        ...
    async def add(self, *entries: LedgerEntry) -> list[LedgerEntry]: ...
    async def all(self) -> list[LedgerEntry]: ...
    async def page(self, after: int, limit: int) -> list[LedgerEntry]:
        """Entries with id > after, oldest first, at most limit."""
        ...
    async def mentioning(self, values: Sequence[str]) -> list[LedgerEntry]:
        """Entries whose payload has one of these values (a pledge code, "S-12"), in order."""
        ...


class PlanRepository(Protocol):
    async def add(self, at: datetime, by: int | None, fingerprint: str,
                  summary: dict[str, object]) -> int:
        """Record a committed allocation plan; its id."""
        ...


class PostingRepository(Protocol):
    """Each commune's postings of its list, what they showed, and the objections to them."""

    async def add(self, posting: Posting) -> Posting:
        """Record a posting and its lines; the posting with its id."""
        ...
    async def get(self, posting_id: int) -> Posting | None: ...
    async def current(self, commune_id: int) -> Posting | None:
        """The commune's posting whose list is not committed yet, if any."""
        ...
    async def current_in(self, commune_ids: Sequence[int]) -> list[Posting]:
        """The postings not committed yet of any of these communes."""
        ...
    async def latest(self, commune_id: int) -> Posting | None:
        """The commune's most recent posting, committed or not."""
        ...
    async def close(self, posting_id: int, at: datetime, plan_id: int) -> None:
        """The posting's list was committed by this plan."""
        ...
    async def forget(self, resident_id: int, name: str) -> None:
        """An erased person's posted lines show `name` (their pseudonym) from now on."""
        ...
    async def add_objection(self, objection: Objection) -> Objection: ...
    async def objection(self, objection_id: int) -> Objection | None: ...
    async def objections(self, posting_id: int) -> list[Objection]:
        """The posting's objections, oldest first."""
        ...
    async def answer(self, objection_id: int, verdict: Verdict, answer: str, at: datetime,
                     by: int | None) -> bool:
        """Record the answer if the objection has none yet; False if it had one."""
        ...


class AccountRepository(Protocol):
    """The admin web's own records: API tokens, shared secrets, refused logins."""

    async def add_token(
        self, official_id: int, token_hash: str, label: str, now: datetime
    ) -> TokenInfo: ...
    async def revoke_token(self, official_id: int, token_id: int, now: datetime) -> bool:
        """Revoke one of the official's live tokens; False if there is none of that id."""
        ...
    async def official_for_token(self, token_hash: str, now: datetime, made_after: datetime
                                 ) -> int | None:
        """The official a live token made after made_after belongs to (marked used), or None."""
        ...
    async def revoke_tokens(self, official_id: int, now: datetime) -> int:
        """Revoke all the official's live tokens; how many."""
        ...
    async def session_generation(self, official_id: int) -> int:
        """The generation a session of the official must carry to be alive (0 at first)."""
        ...
    async def end_sessions(self, official_id: int, now: datetime) -> int:
        """Bump the official's session generation: every session made before ends; the new one."""
        ...
    async def shared_secret(self, name: str, fresh: str, now: datetime) -> str:
        """The stored secret called name; the first caller stores fresh, later ones read it."""
        ...
    async def recent_failures(self, login: str, address: str, since: datetime
                              ) -> tuple[int, datetime | None]:
        """Failures of this login from this address since a moment: (how many, the last)."""
        ...
    async def add_failure(self, login: str, address: str, at: datetime) -> None: ...
    async def forget_failures(self, login: str, address: str, before: datetime) -> None:
        """Drop this login's failures from this address, and anyone's older than before."""
        ...


class LockRepository(Protocol):
    async def take(self, name: str) -> int:
        """Take the named programme lock for this transaction; returns its version."""
        ...
    async def bump(self, name: str) -> None: ...


class ReportRunRepository(Protocol):
    """Monthly reports built: one row per (unit, month), whoever builds it first."""

    async def claim(self, runs: Sequence[ReportRun]) -> dict[int, ReportRun]:
        """Store each run, whole, unless its (unit, month) was stored before: those stored,
        with their ids, by unit id. Taken for this transaction: another waits or skips."""
        ...
    async def get(self, run_id: int) -> ReportRun | None: ...
    async def for_unit(self, unit_id: int, month: str) -> ReportRun | None: ...
    async def finish(self, runs: Sequence[ReportRun]) -> None:
        """Store again the recipients and time sent of runs claimed in this transaction."""
        ...
    async def recipients(self, unit_ids: Sequence[int]
                         ) -> dict[int, list[tuple[Official, ChatState]]]:
        """Each unit's active officials in id order, with the chat each used last; an
        official without a linked chat is left out."""
        ...
    async def built(self, month: str, unit_ids: Sequence[int]) -> set[int]:
        """Which of these units have the month's report."""
        ...
    async def staffed(self, dataset: str) -> set[int]:
        """The dataset's units with at least one active official: those that get a report."""
        ...
    async def listing(self, unit_ids: Sequence[int], limit: int) -> list[ReportRun]:
        """These units' reports, newest month first, without their figures."""
        ...
    async def programme_start(self) -> datetime | None:
        """The first registration or receipt: the programme's first day (None: none yet)."""
        ...
    async def notes(self, month: str, unit_ids: Sequence[int] | None = None
                    ) -> dict[int, ReportNotes]:
        """Sections II and III written for these units' (None: every unit's) reports of the
        month, by unit id; a unit without any is left out."""
        ...
    async def save_notes(self, notes: ReportNotes) -> None:
        """Store the unit's and month's sections II and III, replacing what was there."""
        ...


class ReminderRepository(Protocol):
    async def stop(self, chat_ref: int, now: datetime) -> bool:
        """No more pledge reminders to this chat; False if it had asked before."""
        ...
    async def stopped(self, chat_refs: Sequence[int]) -> set[int]: ...


class AftercareRepository(Protocol):
    """After the handover: follow-up questions, guidance sessions, set-up tasks."""

    async def due(self, now: datetime, day: int, limit: int) -> list[Handover]:
        """Confirmed handovers made `day` days or more before `now` that have no follow-up of
        this day or a later one, oldest first."""
        ...
    async def add(self, follow_up: FollowUp) -> FollowUp | None:
        """None when this handover's follow-up of that day exists (another process asked)."""
        ...
    async def get(self, follow_up_id: int) -> FollowUp | None: ...
    async def update(self, follow_up: FollowUp) -> None: ...
    async def waiting_answer(self, channel: str, chat_id: str) -> list[FollowUp]:
        """Follow-ups asked of this chat and not answered yet, oldest first."""
        ...
    async def of_handovers(self, handover_ids: Sequence[int]) -> list[FollowUp]: ...
    async def add_session(self, session: GuidanceSession) -> GuidanceSession: ...
    async def sessions(self, village_ids: Sequence[int]) -> list[GuidanceSession]:
        """Newest first, each with its attendees."""
        ...
    async def wanting_help(self, village_ids: Sequence[int]) -> list[tuple[FollowUp, int]]:
        """(follow-up, resident id) answered 'wants help' whose resident has come to no
        guidance session held on or after the answer's day."""
        ...
    async def tasks(self, village_ids: Sequence[int]) -> list[Task]:
        """Set-up items unticked at handovers in these villages, with when they were done."""
        ...
    async def task_done(self, handover_id: int, item: str, at: datetime,
                        by: int | None) -> bool:
        """False when it was marked done before."""
        ...


class CommuneFiguresRepository(Protocol):
    """Each commune's month kept summed for the dashboards, and which are stale: their rows
    changed since (the database marks every such write) (storage/commune_figures.py)."""

    async def stale(self, dataset: str, communes: Sequence[int]) -> Stale:
        """Which of these communes' rows changed since their figures were kept."""
        ...
    async def keep(self, stale: Stale, month: str, kept: Mapping[int, Kept]) -> bool:
        """Keep these sums and drop the marks read with stale; False, keeping nothing, when
        another dashboard kept figures since stale was read."""
        ...
    async def kept(self, month: str, communes: Sequence[int]) -> dict[int, Kept]:
        """These communes' figures kept for the month (none for a commune kept for another)."""
        ...
    async def statuses(self, communes: Sequence[int]) -> dict[int, dict[str, int]]:
        """Each commune's residents by status."""
        ...


class ReportViews(Protocol):
    """The monthly report's reads: sums over many tables, shaped for core.figures
    (storage/report_views.py)."""

    async def report_input(self, dataset: str, month: Month,
                           within: Sequence[int] | None = None) -> ReportInput:
        """Every sum the month's report needs, for every unit of the dataset; within: for
        these units only (a unit and all below it: its figures are the same, from its rows)."""
        ...
    async def above_communes_input(self, dataset: str, month: Month, root: int,
                                   above: Sequence[int], within: Sequence[int] | None = None
                                   ) -> ReportInput:
        """The sums of these units above the communes, and the movements of stock touching
        within (None: all) between root's children: what a roll-up of root adds to the
        communes' kept sums (core.figures.roll_up's summed). Root's and its children's
        figures come out right, not any unit's own."""
        ...
    async def coverage_by_month(self, dataset: str, unit_id: int, now: datetime,
                                tz: tzinfo) -> list[MonthCoverage]:
        """The unit's coverage at the end of each month from the programme's first to now's."""
        ...


class PageViews(Protocol):
    """What the officials' pages read: lists and counts shaped for a page
    (storage/page_views.py)."""

    async def resident_page(self, q: ResidentQuery, limit: int) -> list[ResidentLine]:
        """Up to limit residents after q.after_id (and q.offset more), in id order."""
        ...
    async def resident_count(self, q: ResidentQuery, limit: int | None = None) -> int:
        """How many residents the query finds after q.after_id (its offset aside), counted
        up to limit."""
        ...
    async def resident_lines(self, resident_ids: Sequence[int]) -> dict[int, ResidentLine]:
        """These residents with their household, village and commune names, by id."""
        ...
    async def status_counts(self, place: Place) -> dict[str, int]:
        """How many residents of the place have each status."""
        ...
    async def households_in_village(self, village_id: int) -> list[tuple[Household, int]]:
        """The village's households with how many of their people are registered."""
        ...
    async def household_page(self, place: Place, offset: int, limit: int
                             ) -> list[HouseholdLine]:
        """The place's households by commune, village and code: up to limit after offset."""
        ...
    async def household_count(self, place: Place, limit: int | None = None) -> int:
        """How many households the place holds, counted up to limit."""
        ...
    async def audit_page(self, q: AuditQuery, limit: int) -> list[AuditLine]:
        """Newest first, before q.before_id (keyset)."""
        ...
    async def officials_in(self, unit_ids: Sequence[int]) -> list[Official]:
        """Every official of these units, active or not, by unit then id."""
        ...
    async def official_page(self, q: OfficialQuery, offset: int, limit: int) -> list[Official]:
        """The query's officials by unit then id: up to limit after offset."""
        ...
    async def official_count(self, q: OfficialQuery) -> int:
        ...
    async def chats_of(self, official_ids: Sequence[int]) -> dict[int, list[ChatState]]:
        """official id -> the chats linked to them, in id order."""
        ...
    async def tokens_of(self, official_id: int) -> list[TokenInfo]:
        """The official's API tokens not revoked, in id order."""
        ...
    async def receipts_at(self, unit_ids: Sequence[int]) -> list[ReceiptLine]:
        """What these units received, newest first."""
        ...
    async def pending_invitations(self, unit_ids: Sequence[int], now: datetime
                                  ) -> list[InvitationLine]:
        """Invitations of officials of these units neither used, revoked nor expired at
        now, soonest to expire first."""
        ...
    async def unit_revision(self) -> int:
        """A number that moves with every change to a unit: a kept units tree is stale
        once it moved."""
        ...


class HealthViews(Protocol):
    """What the channels' health page reads from the database (storage/health_views.py)."""

    async def channel_records(self, since: datetime, now: datetime) -> dict[str, ChannelRecord]:
        """By channel name: the last update and send stored, failures since `since` by code,
        the outbox's waiting messages and those given up since then, the OA token's expiry,
        the month's (of `now`) proactive messages and the plain-text choice of Zalo OA."""
        ...


class ChannelStates(Protocol):
    """The channels of this process as they run now (bot/channels/base.py keeps them)."""

    def states(self) -> list[ChannelState]: ...


class Views(PageViews, ReportViews, HealthViews, Protocol):
    """The read side, as cosmicpython's views.py: queries shaped for a page or a report,
    never a write. Reached as uow.views inside a unit of work."""


class UnitOfWork(Protocol):
    """One transaction: leaving the block without commit() rolls everything back."""

    units: UnitRepository
    households: HouseholdRepository
    residents: ResidentRepository
    officials: OfficialRepository
    audit: AuditRepository
    chats: ChatRepository
    invites: InviteRepository
    pledges: PledgeRepository
    receipts: ReceiptRepository
    supports: SupportRepository
    handovers: HandoverRepository
    outbox: OutboxRepository
    ledger: LedgerRepository
    locks: LockRepository
    plans: PlanRepository
    postings: PostingRepository
    reports: ReportRunRepository
    reminders: ReminderRepository
    accounts: AccountRepository
    aftercare: AftercareRepository
    figures: CommuneFiguresRepository
    views: Views

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def savepoint(self) -> AbstractAsyncContextManager[object]:
        """A nested transaction: an error inside undoes only what was done inside."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
