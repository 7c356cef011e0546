"""Numbered pages of a list: "x-y of N" and the page numbers around the one shown."""

from __future__ import annotations

from dataclasses import dataclass

from admin.context import query_number

PAGE_SIZE = 50  # rows a list shows at once: a page a phone scrolls and an old PC draws fast
AROUND = 2  # page numbers shown each side of the current one


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based, within 1..pages
    size: int
    total: int

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


def page_at(raw: object, total: int, size: int = PAGE_SIZE) -> Page:
    """The page the query string asks for, kept within the list (past the end: the last)."""
    wanted = query_number(raw) or 1
    return Page(min(max(wanted, 1), max(1, -(-total // size))), size, total)

