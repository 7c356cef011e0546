"""Monthly reports built and sent exactly once, and the scheduler's tick under a test clock.

The data set is tests/storage/test_report_views.py's story (August to October 2023) with
officials whose chats are linked, and donors whose pledges wait for their gift. The scheduler
is driven by Jobs.tick(now) with the clock the test chooses: twice a day from August to
December, with a restart and three days down over the report day.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.report_delivery import report_builder
from bot.runtime import Runtime
from bot.scheduler import Jobs, make_scheduler
from bot.settings import Settings
from core.errors import RuleError
from core.figures import Month
from core.i18n import load_catalogue
from core.messages import Channel, Inbound, Kind, Reply
from core.model import OutboxMessage, Pledge, PledgeKind, PledgeStatus, Role, Unit
from core.priority import VIETNAM
from core.report_runs import due_month, reminder_due, run_time
from core.services.officials import add_official
from core.services.outbox import enqueue_all
from core.services.reports import build_and_send, monthly_report, send_due_reports
from documents.report_json import report_from_json, report_json
from documents.report_text import report_text
from handlers.setup import build_dispatcher
from storage.db import make_engine, make_sessionmaker
from storage.models import OutboxRow, ReportRunRow
from storage.outbox import message_from_row
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.test_figures import A, B, D, P
from tests.storage.test_report_views import Story, build_units, tell

TEXTS = load_catalogue()
BUILD = report_builder(TEXTS, "test")


def local(day: int, month: int, hour: int = 8, minute: int = 0) -> datetime:
    """A moment of 2023 in Vietnam's time, as UTC."""
    return datetime(2023, month, day, hour, minute, tzinfo=VIETNAM).astimezone(UTC)


@dataclass
class World:
    units: dict[str, Unit]
    officials: dict[str, int] = field(default_factory=dict)  # key -> official id
    chats: dict[str, str] = field(default_factory=dict)  # key -> the channel's chat id
    pledges: dict[str, int] = field(default_factory=dict)


async def _chat(uow: SqlUnitOfWorkFactory, chat_id: str, official_id: int | None = None,
                locale: str = "vi") -> int:
    async with uow() as u:
        chat = await u.chats.get_or_create(Channel.TELEGRAM.value, chat_id, local(1, 8))
        await u.chats.save(replace(chat, official_id=official_id, locale=locale))
        await u.commit()
    return chat.id


async def make_world(uow: SqlUnitOfWorkFactory) -> World:
    """The story, an official with a linked chat in the province and in each commune (A's
    reads English), one without a chat in B, none in the district; two donors waiting."""
    story = Story(uow, await build_units(uow))
    await tell(story)
    w = World(story.unit)
    async with uow() as u:
        for key, role, code in (("p", Role.PROVINCE, P), ("a", Role.COMMUNE, A),
                                ("b", Role.COMMUNE, B), ("b-silent", Role.COMMUNE, B)):
            official = await add_official(u, SYSTEM, f"Official {key}", role,
                                          w.units[code].id, local(1, 8))
            w.officials[key] = official.id
        await u.commit()
    for key in ("p", "a", "b"):
        w.chats[key] = f"chat-{key}"
        await _chat(uow, w.chats[key], w.officials[key], "en" if key == "a" else "vi")
    for key, status in (("waits", PledgeStatus.PLEDGED), ("stops", PledgeStatus.PLEDGED),
                        ("came", PledgeStatus.RECEIVED)):
        w.chats[key] = f"donor-{key}"
        ref = await _chat(uow, w.chats[key])
        async with uow() as u:
            pledge = await u.pledges.add(Pledge(
                id=0, code=f"UH-{key.upper()}", kind=PledgeKind.PHONES, status=status,
                created_at=local(1, 9, 10), quantity=1, chat_ref=ref, channel="telegram"))
            await u.commit()
        w.pledges[key] = pledge.id
    return w


@pytest.fixture
async def world(uow: SqlUnitOfWorkFactory) -> World:
    return await make_world(uow)


async def messages(uow: SqlUnitOfWorkFactory, prefix: str) -> list[OutboxMessage]:
    async with uow() as u:
        return [message_from_row(r) for r in await u.session.scalars(
            select(OutboxRow).where(OutboxRow.dedupe_key.startswith(prefix))
            .order_by(OutboxRow.id))]


async def runs(uow: SqlUnitOfWorkFactory) -> list[tuple[int, str]]:
    """(unit id, month) of every report stored."""
    async with uow() as u:
        return [(r.unit_id, r.month) for r in await u.session.scalars(
            select(ReportRunRow).order_by(ReportRunRow.id))]


# ---- when things are due ------------------------------------------------------------------


def test_the_report_is_due_on_the_day_at_eight_and_the_reminder_five_days_before() -> None:
    assert run_time(Month(2023, 9), 15) == local(15, 10)
    assert due_month(local(15, 10, 7, 59), 15, VIETNAM) == Month(2023, 8)
    assert due_month(local(15, 10), 15, VIETNAM) == Month(2023, 9)
    assert due_month(datetime(2024, 1, 20, tzinfo=UTC), 15, VIETNAM) == Month(2023, 12)
    assert reminder_due(local(10, 10, 7, 59), 15, VIETNAM) is None
    assert reminder_due(local(10, 10), 15, VIETNAM) == Month(2023, 9)
    assert reminder_due(local(15, 10), 15, VIETNAM) is None
    # A run on the 3rd: its officers are reminded on the 29th of the month it reports on.
    assert reminder_due(local(29, 10), 3, VIETNAM) == Month(2023, 10)
    assert reminder_due(local(3, 11, 7), 3, VIETNAM) == Month(2023, 10)
    assert reminder_due(local(28, 10, 23), 3, VIETNAM) is None


# ---- build and send --------------------------------------------------------------------------


async def test_a_report_is_stored_and_sent_once_then_says_when(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    september, province = Month(2023, 9), world.units[P]
    sent = local(15, 10, 8, 0)
    async with uow() as u:
        run = await build_and_send(u, province, september, build=BUILD, now=sent,
                                   trigger="cli")
        await u.commit()
    assert [r["official_id"] for r in run.recipients] == [world.officials["p"]]
    async with uow() as u:
        report = await monthly_report(u, "test", september, province.id)
        stored = await u.reports.for_unit(province.id, "2023-09")
    assert stored is not None and stored.sent_at == sent and stored.trigger == "cli"
    assert stored.figures == report_json(report)
    # The province's officer gets the province with its communes, in their language.
    [message] = await messages(uow, "report:")
    assert message.chat_id == world.chats["p"]
    assert message.reply["key"] == "reports-message"
    text = report_text(report, lambda key, **p: TEXTS.text(key, "vi", **p))[0]
    assert message.reply["params"] == {"text": text}
    assert all(world.units[c].name in text for c in (P, A, B))

    async with uow() as u:
        with pytest.raises(RuleError) as refused:
            await build_and_send(u, province, september, build=BUILD,
                                 now=sent + timedelta(days=1), trigger="cli")
    assert refused.value.key == "reports-already-sent"
    assert refused.value.params["when"] == "15/10/2023 08:00"
    assert "15/10/2023 08:00" in TEXTS.text(refused.value.key, "vi", **refused.value.params)
    assert len(await messages(uow, "report:")) == 1
    assert len(await runs(uow)) == 1


async def test_a_copy_queued_before_is_not_sent_again_nor_counted_as_sent_now(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    """The province's copy is in the outbox already (its row was taken away since): the
    report is stored, that copy is not queued twice, and the row says it went to nobody."""
    province, key = world.units[P], f"report:{world.units[P].id}:2023-09:{world.officials['p']}"
    async with uow() as u:
        chat = await u.chats.get_or_create(Channel.TELEGRAM.value, world.chats["p"],
                                           local(1, 8))
        await enqueue_all(u, [(chat, Reply("reports-message", {"text": "earlier"}), key)],
                          local(14, 10))
        await u.commit()
    async with uow() as u:
        run = await build_and_send(u, province, Month(2023, 9), build=BUILD,
                                   now=local(15, 10), trigger="cli")
        await u.commit()
    assert (run.recipients, run.sent_at) == ([], None)
    async with uow() as u:
        stored = await u.reports.for_unit(province.id, "2023-09")
    assert stored is not None and (stored.recipients, stored.sent_at) == ([], None)
    assert stored.figures["unit"] == P
    [message] = await messages(uow, "report:")
    assert message.reply["params"] == {"text": "earlier"}


async def test_a_commune_report_goes_to_its_linked_officials_in_their_language(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    async with uow() as u:
        run_a = await build_and_send(u, world.units[A], Month(2023, 10), build=BUILD,
                                     now=local(15, 11), trigger="scheduler")
        run_b = await build_and_send(u, world.units[B], Month(2023, 10), build=BUILD,
                                     now=local(15, 11), trigger="scheduler")
        report = await monthly_report(u, "test", Month(2023, 10), world.units[A].id)
        await u.commit()
    assert [r["official_id"] for r in run_b.recipients] == [world.officials["b"]]
    [to_a, to_b] = await messages(uow, "report:")
    english = report_text(report, lambda key, **p: TEXTS.text(key, "en", **p))[0]
    assert (to_a.chat_id, to_a.locale, to_a.reply["params"]) == (
        world.chats["a"], "en", {"text": english})
    assert to_b.chat_id == world.chats["b"]
    assert run_a.figures["unit"] == A


async def test_a_stored_report_lays_out_again_as_it_was_sent(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    async with uow() as u:
        run = await build_and_send(u, world.units[P], Month(2023, 9), build=BUILD,
                                   now=local(15, 10), trigger="cli")
        report = await monthly_report(u, "test", Month(2023, 9), world.units[P].id)
        await u.commit()
    again = report_from_json(run.figures, VIETNAM)
    assert report_json(again) == report_json(report)
    vi = lambda key, **p: TEXTS.text(key, "vi", **p)  # noqa: E731
    assert report_text(again, vi) == report_text(report, vi)


# ---- two processes on one database ------------------------------------------------------------


async def test_two_processes_racing_build_each_report_once(database_url: str,
                                                           world: World) -> None:
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        factories = [SqlUnitOfWorkFactory(make_sessionmaker(e)) for e in engines]
        claimed = asyncio.Event()

        async def slow_build(u, unit, month):  # type: ignore[no-untyped-def]
            claimed.set()  # the first has claimed the row and holds it while it builds
            await asyncio.sleep(0.2)
            return await BUILD(u, unit, month)

        async def send(factory: SqlUnitOfWorkFactory, build: object, wait: bool) -> str:
            if wait:
                await claimed.wait()
            async with factory() as u:
                try:
                    await build_and_send(u, world.units[P], Month(2023, 9), build=build,  # type: ignore[arg-type]
                                         now=local(15, 10), trigger="race")
                except RuleError as err:
                    return err.key
                await u.commit()
            return "built"

        outcomes = await asyncio.gather(send(factories[0], slow_build, False),
                                        send(factories[1], BUILD, True))
        assert sorted(outcomes) == ["built", "reports-already-sent"]

        # Two schedulers ticking at the same moment: every unit with officials, once.
        jobs = [Jobs(_runtime(database_url, e, f)) for e, f in zip(engines, factories,
                                                                    strict=True)]
        done = await asyncio.gather(*(j.tick(local(15, 11)) for j in jobs))
        built = sorted(r for d in done for r in d.reports)
        ids = sorted((world.units[c].id, "2023-10") for c in (P, A, B))
        assert built == ids
    finally:
        for e in engines:
            await e.dispose()
    u = SqlUnitOfWorkFactory(make_sessionmaker(make_engine(database_url)))
    keys = [m.dedupe_key for m in await messages(u, "report:")]
    assert len(keys) == len(set(keys)) == 4  # September's to p, October's to p, a and b
    assert len(await runs(u)) == 4


async def test_a_run_in_batches_skips_what_was_built_and_builds_the_rest_once(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    """The commune A's October was sent from the command line first; the run, a unit per
    transaction, builds the province and B, from one reading shared by both."""
    async with uow() as u:
        await build_and_send(u, world.units[A], Month(2023, 10), build=BUILD,
                             now=local(14, 11), trigger="cli")
        await u.commit()
    done = await send_due_reports(uow, local(15, 11), dataset="test", day=15, tz=VIETNAM,
                                  build=report_builder(TEXTS, "test"), batch=1)
    assert [r.unit_id for r in done] == [world.units[c].id for c in (P, B)]
    assert [r.trigger for r in done] == ["scheduler", "scheduler"]
    assert sorted(await runs(uow)) == sorted((world.units[c].id, "2023-10") for c in (P, A, B))
    keys = [m.dedupe_key for m in await messages(uow, "report:")]
    assert sorted(keys) == sorted(f"report:{world.units[c].id}:2023-10:{world.officials[k]}"
                                  for c, k in ((P, "p"), (A, "a"), (B, "b")))
    async with uow() as u:
        stored = await u.reports.for_unit(world.units[B].id, "2023-10")
        report = await monthly_report(u, "test", Month(2023, 10), world.units[B].id)
        whole = await monthly_report(u, "test", Month(2023, 10), world.units[P].id)
    # Entries kept from one report for the next (B's, in the province's, then in its own)
    # give each stored copy exactly what a report built alone gives.
    assert done[0].figures == report_json(whole)
    assert stored is not None and stored.figures == report_json(report)
    assert [r["official_id"] for r in stored.recipients] == [world.officials["b"]]
    province = {u["code"]: u for u in done[0].figures["units"]}  # type: ignore[attr-defined]
    assert province[B] == {**stored.figures["units"][0], "parent": D}  # type: ignore[index]
    # B's block, written once in the run, reads the same in B's message and the province's.
    texts = {m.dedupe_key.split(":")[1]: str(m.reply["params"]["text"])  # type: ignore[index]
             for m in await messages(uow, "report:")}
    own_block = texts[str(world.units[B].id)].split("\n\n")[1]
    assert world.units[B].name in own_block.splitlines()[0]
    assert own_block in texts[str(world.units[P].id)].split("\n\n")


def _runtime(url: str, engine: object, factory: SqlUnitOfWorkFactory) -> Runtime:
    settings = Settings(database_url=url, dataset="test", report_day=15)
    return Runtime(settings=settings, engine=engine, uow=factory,  # type: ignore[arg-type]
                   catalogue=TEXTS)


# ---- the scheduler, August to December ---------------------------------------------------------


def ticks(first: date, last: date) -> list[datetime]:
    """08:00 and 21:00 local on every day from first to last (21:00: no donor at night)."""
    out = []
    day = first
    while day <= last:
        out += [local(day.day, day.month, 8), local(day.day, day.month, 21)]
        day += timedelta(days=1)
    return out


async def test_the_scheduler_over_five_months_with_a_restart_and_a_missed_day(
    database_url: str, world: World, tmp_path: Path
) -> None:
    first = make_engine(database_url)
    factory = SqlUnitOfWorkFactory(make_sessionmaker(first))
    jobs = Jobs(_runtime(database_url, first, factory))
    dispatcher = build_dispatcher(factory, TEXTS, "test", VIETNAM)
    built: dict[tuple[int, str], datetime] = {}
    try:
        for now in ticks(date(2023, 8, 1), date(2023, 10, 14)):
            for unit_month in (await jobs.tick(now)).reports:
                built[unit_month] = now
            if now == local(9, 9, 8):  # the first reminder came: this donor has had enough
                await dispatcher.handle(Inbound(Channel.TELEGRAM, world.chats["stops"],
                                                text="/stop", update_id="stop-1"))
        assert (await jobs.tick(local(14, 10, 21))).reports == []  # the same tick again
    finally:
        await first.dispose()
    # Down from the 14th to the 17th of October: October 15th's run is missed. A new process
    # catches up at its first tick.
    second = make_engine(database_url)
    factory = SqlUnitOfWorkFactory(make_sessionmaker(second))
    jobs = Jobs(_runtime(database_url, second, factory))
    try:
        for now in ticks(date(2023, 10, 17), date(2023, 12, 31)):
            for unit_month in (await jobs.tick(now)).reports:
                built[unit_month] = now
    finally:
        await second.dispose()

    units = {world.units[c].id: c for c in (P, A, B)}  # the district has no official
    expected = {(u, m): at for u in units for m, at in (
        ("2023-08", local(15, 9)), ("2023-09", local(17, 10)), ("2023-10", local(15, 11)),
        ("2023-11", local(15, 12)))}
    assert built == expected  # July is before the programme began: no report
    assert sorted(await runs(factory)) == sorted(expected)

    # One message per official and month; the official without a chat gets none.
    reports = await messages(factory, "report:")
    assert sorted((m.chat_id, m.dedupe_key.rsplit(":", 2)[1]) for m in reports) == sorted(
        (world.chats[k], month) for k in ("p", "a", "b")
        for month in ("2023-08", "2023-09", "2023-10", "2023-11"))

    # Commune officers: once a month on the 10th at 08:00 (none for July, before the start).
    reminders = await messages(factory, "report-reminder:")
    assert sorted((m.chat_id, m.created_at.astimezone(VIETNAM).date()) for m in reminders) \
        == sorted((world.chats[k], date(2023, month, 10)) for k in ("a", "b")
                  for month in (9, 10, 11, 12))
    assert all(m.reply["key"] == "reports-reminder" for m in reminders)

    # Donors: weekly at most three times; the one who said /stop once; none once received.
    donors = await messages(factory, "pledge-reminder:")
    by_chat = {}
    for m in donors:
        by_chat.setdefault(m.chat_id, []).append(m.created_at.astimezone(VIETNAM))
    assert by_chat == {
        world.chats["waits"]: [datetime(2023, 9, d, 8, tzinfo=VIETNAM) for d in (9, 16, 23)],
        world.chats["stops"]: [datetime(2023, 9, 9, 8, tzinfo=VIETNAM)],
    }
    assert donors[0].reply["options"][0]["value"] == "cmd:stop"


async def test_a_donor_says_stop_twice(uow: SqlUnitOfWorkFactory, world: World) -> None:
    dispatcher = build_dispatcher(uow, TEXTS, "test", VIETNAM)
    said = []
    for n in (1, 2):
        outcome = await dispatcher.handle(Inbound(Channel.TELEGRAM, world.chats["stops"],
                                                  choice="cmd:stop", update_id=f"s{n}",
                                                  kind=Kind.CHOICE))
        said.append(outcome.replies[0].key)
    assert said == ["pledge-reminders-stopped", "pledge-reminders-already-stopped"]


# ---- coverage month by month ------------------------------------------------------------------


async def test_coverage_month_by_month_agrees_with_the_monthly_reports(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    async with uow() as u:
        points = await u.views.coverage_by_month("test", world.units[P].id,
                                                 local(20, 12), VIETNAM)
        assert [p.month.label for p in points] == [
            "2023-08", "2023-09", "2023-10", "2023-11", "2023-12"]
        for p in points:
            report = await monthly_report(u, "test", p.month, world.units[P].id)
            total = report.total
            # counted over the villages surveyed by the month's end (A1 from 20/08, B1 from
            # 15/10): the people registered elsewhere are counted apart
            assert p.uncovered_adults == total.end.uncovered_adults - (
                total.unsurveyed_uncovered), p.month
            assert p.adults == pytest.approx(total.adult_coverage.end), p.month
            assert p.households == pytest.approx(total.household_coverage.end), p.month
        commune = await u.views.coverage_by_month("test", world.units[D].id,
                                                  local(20, 12), VIETNAM)
    assert commune[-1].uncovered_adults == points[-1].uncovered_adults


def test_the_process_scheduler_ticks_on_the_hour_in_vietnam_and_once_at_start(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    engine = make_engine(url)
    rt = _runtime(url, engine, SqlUnitOfWorkFactory(make_sessionmaker(engine)))
    scheduler = make_scheduler(Jobs(rt), rt)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"tick", "catch-up"}
    assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
    after = local(15, 10, 7, 30)
    assert jobs["tick"].trigger.get_next_fire_time(None, after.astimezone(VIETNAM)) == \
        local(15, 10, 8, 0)
    assert jobs["tick"].max_instances == 1 and jobs["tick"].coalesce
    asyncio.run(engine.dispose())
