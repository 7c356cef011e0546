"""Receipts and transfers; stock and funds are sums over them, never a stored counter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import bindparam, case, func, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Holdings, Receipt, ReceiptSource, SupportKind, SupportStatus, Transfer
from storage.models import PledgeRow, ReceiptRow, SupportRow, TransferRow
from storage.sql import among, insert_all, utc

# The serials of every receipt, one row each, in the dialect at hand (JSON lists in a column).
_SERIALS_SQL = {
    "sqlite": "SELECT r.id AS receipt_id, j.value AS serial FROM receipts AS r, "
              "json_each(r.serials) AS j WHERE j.value IN :serials",
    "postgresql": "SELECT r.id AS receipt_id, e.serial FROM receipts AS r CROSS JOIN LATERAL "
                  "json_array_elements_text(r.serials) AS e(serial) WHERE e.serial IN :serials",
}


def receipt_from_row(row: ReceiptRow) -> Receipt:
    return Receipt(
        id=row.id, number=row.number, unit_id=row.unit_id,
        received_at=utc(row.received_at) or row.received_at, phones=row.phones,
        money=row.money, model=row.model, condition=row.condition,
        serials=tuple(row.serials or ()), pledge_id=row.pledge_id, donor_name=row.donor_name,
        recorded_by=row.recorded_by, note=row.note,
        source=ReceiptSource(row.source) if row.source else None,
    )


class SqlReceipts:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def by_donor(self) -> list[tuple[str | None, int, int]]:
        phones = func.sum(ReceiptRow.phones).label("phones")
        money = func.sum(ReceiptRow.money).label("money")
        rows = await self._s.execute(
            select(ReceiptRow.donor_name, phones, money)
            .group_by(ReceiptRow.donor_name)
            .order_by(money.desc(), phones.desc(), ReceiptRow.donor_name)
        )
        # PostgreSQL sums BIGINT as NUMERIC: back to whole numbers
        return [(name, int(n or 0), int(m or 0)) for name, n, m in rows.all()]

    async def add(self, receipt: Receipt) -> Receipt:
        row = ReceiptRow(
            number=receipt.number, unit_id=receipt.unit_id, received_at=receipt.received_at,
            phones=receipt.phones, money=receipt.money, model=receipt.model,
            condition=receipt.condition, serials=list(receipt.serials),
            pledge_id=receipt.pledge_id, donor_name=receipt.donor_name,
            recorded_by=receipt.recorded_by, note=receipt.note,
            source=receipt.source.value if receipt.source else None,
        )
        self._s.add(row)
        await self._s.flush()
        return receipt_from_row(row)

    async def get(self, receipt_id: int) -> Receipt | None:
        row = await self._s.get(ReceiptRow, receipt_id)
        return receipt_from_row(row) if row else None

    async def for_pledge(self, pledge_id: int) -> list[Receipt]:
        rows = await self._s.scalars(
            select(ReceiptRow).where(ReceiptRow.pledge_id == pledge_id).order_by(ReceiptRow.id)
        )
        return [receipt_from_row(r) for r in rows]

    async def add_transfers(self, *transfers: Transfer) -> list[Transfer]:
        ids = await insert_all(self._s, TransferRow, [
            {"from_unit_id": t.from_unit_id, "to_unit_id": t.to_unit_id, "at": t.at,
             "phones": t.phones, "money": t.money, "receipt_id": t.receipt_id,
             "plan_id": t.plan_id, "recorded_by": t.recorded_by}
            for t in transfers
        ])
        return [replace(t, id=i) for t, i in zip(transfers, ids, strict=True)]

    async def by_number(self, number: str) -> Receipt | None:
        row = await self._s.scalar(select(ReceiptRow).where(ReceiptRow.number == number))
        return receipt_from_row(row) if row else None

    async def count_numbered(self, prefix: str) -> int:
        count = await self._s.scalar(
            select(func.count(ReceiptRow.id)).where(
                ReceiptRow.number.startswith(prefix, autoescape=True)
            )
        )
        return int(count or 0)

    async def with_serials(self, serials: Sequence[str]) -> dict[str, Receipt]:
        if not serials:
            return {}
        query = text(_SERIALS_SQL[self._s.bind.dialect.name]).bindparams(
            bindparam("serials", expanding=True)
        )
        found = (await self._s.execute(query, {"serials": list(serials)})).all()
        out: dict[str, Receipt] = {}
        for receipt_id, serial in found:
            receipt = await self.get(receipt_id)
            if receipt is not None and serial not in out:
                out[serial] = receipt
        return out

    async def earmarks(self, receipt_ids: Sequence[int]) -> dict[int, int]:
        if not receipt_ids:
            return {}
        rows = await self._s.execute(
            select(ReceiptRow.id, PledgeRow.commune_id)
            .join(PledgeRow, PledgeRow.id == ReceiptRow.pledge_id)
            .where(ReceiptRow.id.in_(list(receipt_ids)), PledgeRow.commune_id.is_not(None))
        )
        return {receipt_id: commune_id for receipt_id, commune_id in rows.all()}

    async def transfers_of(self, receipt_id: int) -> list[Transfer]:
        rows = await self._s.scalars(
            select(TransferRow).where(TransferRow.receipt_id == receipt_id)
            .order_by(TransferRow.at, TransferRow.id)
        )
        return [Transfer(id=r.id, from_unit_id=r.from_unit_id, to_unit_id=r.to_unit_id,
                         at=utc(r.at) or r.at, phones=r.phones, money=r.money,
                         receipt_id=r.receipt_id, plan_id=r.plan_id, recorded_by=r.recorded_by)
                for r in rows]

    async def holdings(self, unit_id: int) -> Holdings:
        return (await self.holdings_by_unit([unit_id]))[unit_id]

    async def holdings_by_unit(self, unit_ids: Sequence[int]) -> dict[int, Holdings]:
        """Sums per unit and receipt in one GROUP BY over every movement of stock."""
        # One GROUP BY for all of them (a province's 10,000 units: among() writes the ids
        # into the statement), not one for each 500, each reading every movement again.
        return await self._holdings(list(dict.fromkeys(unit_ids)))

    async def _holdings(self, ids: list[int]) -> dict[int, Holdings]:
        moves = _movements(ids).subquery()
        grouped = (
            select(moves.c.unit_id, moves.c.receipt_id,
                   func.sum(moves.c.phones).label("phones"),
                   func.sum(moves.c.money).label("money"))
            .group_by(moves.c.unit_id, moves.c.receipt_id)
            .subquery()
        )
        query = (
            select(grouped.c.unit_id, grouped.c.receipt_id, grouped.c.phones, grouped.c.money)
            .outerjoin(ReceiptRow, ReceiptRow.id == grouped.c.receipt_id)
            .order_by(grouped.c.unit_id, ReceiptRow.received_at, grouped.c.receipt_id)
        )
        phones = dict.fromkeys(ids, 0)
        money = dict.fromkeys(ids, 0)
        lots: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
        money_lots: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
        for unit_id, receipt_id, n, amount in (await self._s.execute(query)).all():
            # PostgreSQL sums BIGINT as NUMERIC: back to whole numbers
            phones[unit_id] += int(n or 0)
            money[unit_id] += int(amount or 0)
            if receipt_id is not None and int(n or 0) > 0:
                lots[unit_id].append((receipt_id, int(n)))
            if receipt_id is not None and int(amount or 0) > 0:
                money_lots[unit_id].append((receipt_id, int(amount)))
        return {i: Holdings(i, phones[i], money[i], tuple(lots[i]), tuple(money_lots[i]))
                for i in ids}


def _movements(ids: list[int]):  # type: ignore[no-untyped-def]
    """(unit, receipt, phones, money) for every receipt, transfer in or out and support drawn.

    Supports draw one phone (whole) or their amount (part of the price) from the unit that
    held them; gifts and other programmes' devices never came from our stock.
    """
    drawn = (
        among(SupportRow.holder_unit_id, ids),
        SupportRow.status != SupportStatus.CANCELLED.value,
        SupportRow.kind.in_([SupportKind.WHOLE.value, SupportKind.PARTIAL.value]),
    )
    whole = SupportRow.kind == SupportKind.WHOLE.value
    partial = SupportRow.kind == SupportKind.PARTIAL.value
    return union_all(
        select(ReceiptRow.unit_id.label("unit_id"), ReceiptRow.id.label("receipt_id"),
               ReceiptRow.phones.label("phones"), ReceiptRow.money.label("money"))
        .where(among(ReceiptRow.unit_id, ids)),
        select(TransferRow.to_unit_id, TransferRow.receipt_id, TransferRow.phones,
               TransferRow.money)
        .where(among(TransferRow.to_unit_id, ids)),
        select(TransferRow.from_unit_id, TransferRow.receipt_id, -TransferRow.phones,
               -TransferRow.money)
        .where(among(TransferRow.from_unit_id, ids)),
        select(SupportRow.holder_unit_id, SupportRow.receipt_id,
               case((whole, literal(-1)), else_=literal(0)),
               case((partial, -SupportRow.amount), else_=literal(0)))
        .where(*drawn),
    )
