"""Numbered pages of a list: "x-y of N" and the page numbers around the one shown."""

from __future__ import annotations

from dataclasses import dataclass

from admin.context import query_number

PAGE_SIZE = 50  # rows a list shows at once: a page a phone scrolls and an old PC draws fast
AROUND = 2  # page numbers shown each side of the current one
# Rows a list counts at most (200 pages): past them the page says "of more than 10,000", and
# a list read in id order goes on past its last numbered page from the last row seen. A
# province's million residents are neither counted nor skipped over on each request.
COUNTED = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based, within 1..pages
    size: int
    total: int  # at most COUNTED when more is set
    more: bool = False  # the count stopped at total: there are more rows
    cursor: int | None = None  # where "next" goes on past the last numbered page (an id)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """The first row's 1-based number (0 for an empty list)."""
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    def numbers(self) -> list[int | None]:
        """The page numbers to offer: the first, the last and those around this one; None
        where some are left out."""
        wanted = {1, self.pages, *range(self.number - AROUND, self.number + AROUND + 1)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def page_at(raw: object, total: int, size: int = PAGE_SIZE, counted: int | None = None
            ) -> Page:
    """The page the query string asks for, kept within the list (past the end: the last).
    With counted (a count stopped at counted + 1 rows), a total past it is "more than"."""
    wanted = query_number(raw) or 1
    more = counted is not None and total > counted
    total = min(total, counted) if counted is not None else total
    return Page(min(max(wanted, 1), max(1, -(-total // size))), size, total, more)

