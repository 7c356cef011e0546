"""Receipts and transfers; stock and funds are sums over them, never a stored counter."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Receipt, Transfer
from storage.models import ReceiptRow, TransferRow
from storage.repositories import _utc


def receipt_from_row(row: ReceiptRow) -> Receipt:
    return Receipt(
        id=row.id, number=row.number, unit_id=row.unit_id,
        received_at=_utc(row.received_at) or row.received_at, phones=row.phones,
        money=row.money, model=row.model, condition=row.condition,
        serials=tuple(row.serials or ()), pledge_id=row.pledge_id, donor_name=row.donor_name,
        recorded_by=row.recorded_by, note=row.note,
    )


def transfer_from_row(row: TransferRow) -> Transfer:
    return Transfer(
        id=row.id, from_unit_id=row.from_unit_id, to_unit_id=row.to_unit_id,
        at=_utc(row.at) or row.at, phones=row.phones, money=row.money,
        receipt_id=row.receipt_id, plan_id=row.plan_id, recorded_by=row.recorded_by,
    )


class SqlReceipts:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, receipt: Receipt) -> Receipt:
        row = ReceiptRow(
            number=receipt.number, unit_id=receipt.unit_id, received_at=receipt.received_at,
            phones=receipt.phones, money=receipt.money, model=receipt.model,
            condition=receipt.condition, serials=list(receipt.serials),
            pledge_id=receipt.pledge_id, donor_name=receipt.donor_name,
            recorded_by=receipt.recorded_by, note=receipt.note,
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

    async def add_transfer(self, transfer: Transfer) -> Transfer:
        row = TransferRow(
            from_unit_id=transfer.from_unit_id, to_unit_id=transfer.to_unit_id, at=transfer.at,
            phones=transfer.phones, money=transfer.money, receipt_id=transfer.receipt_id,
            plan_id=transfer.plan_id, recorded_by=transfer.recorded_by,
        )
        self._s.add(row)
        await self._s.flush()
        return transfer_from_row(row)
