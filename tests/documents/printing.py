"""Printing a document in Chromium, as an official does, and reading where things landed.

The PDF that Chromium prints keeps each link as an annotation of the page it is on; a test
puts two invisible-to-the-eye links in a page, one on the body's last line and one in the
signature block, and asks on which page each landed. Page counts come from the page tree.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser

LAST, SIGN = "https://marker.invalid/last", "https://marker.invalid/sign"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "documents"
_OBJ = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_REF = re.compile(rb"(\d+) 0 R")


def marked(page: str, filler: int = 0) -> str:
    """The page with `filler` extra lines before the closing block, a link at the end of the
    body's last paragraph and one under the last signature's name."""
    keep = '<div class="keep">'
    assert page.count(keep) == 1 and page.count('<div class="name">') >= 1
    lines = "".join(f"<p>{n}</p>" for n in range(filler))
    page = page.replace(keep, lines + keep)
    closing = page.index('<table class="closing">')
    last_p = page.rindex("</p>", 0, closing)
    page = page[:last_p] + f'<a href="{LAST}">.</a>' + page[last_p:]
    name = page.rindex('<div class="name">')
    return page[:name] + f'<a href="{SIGN}">.</a>' + page[name:]


async def print_pdf(browser: Browser, page_html: str) -> bytes:
    page = await browser.new_page()
    try:
        await page.set_content(page_html)
        return await page.pdf(format="A4", prefer_css_page_size=True)
    finally:
        await page.close()


def link_pages(pdf: bytes) -> tuple[int, dict[str, int]]:
    """The number of pages, and the page (from 1) each link's address is on."""
    objects = {int(n): body for n, body in _OBJ.findall(pdf)}
    [tree] = [b for b in objects.values() if re.search(rb"/Type\s*/Pages\b", b)]
    kids = re.search(rb"/Kids\s*\[([^\]]*)\]", tree)
    assert kids is not None
    pages = [int(n) for n in _REF.findall(kids[1])]
    found: dict[str, int] = {}
    for number, page_id in enumerate(pages, start=1):
        annots = re.search(rb"/Annots\s*\[([^\]]*)\]", objects[page_id])
        for ref in _REF.findall(annots[1]) if annots else []:
            uri = re.search(rb"/URI\s*\(([^)]*)\)", objects[int(ref)])
            if uri:
                found[uri[1].decode()] = number
    return len(pages), found


async def screenshot(browser: Browser, page_html: str, name: str) -> Path:
    """The page as an A4 sheet at 96 dpi (the body's padding is the decree's margins), the
    toolbar hidden, for docs/."""
    page = await browser.new_page(viewport={"width": 794, "height": 1123})
    try:
        await page.set_content(page_html)
        await page.add_style_tag(content=".toolbar { display: none; }")
        DOCS.mkdir(parents=True, exist_ok=True)
        target = DOCS / f"{name}.png"
        await page.screenshot(path=str(target), full_page=True)
        return target
    finally:
        await page.close()


async def pages_keeping_the_signature(browser: Browser, page_html: str,
                                      fillers: range) -> set[int]:
    """Prints the page with each number of filler lines and checks that the body's last line
    and the last signature land on the same page; returns the page counts seen."""
    counts = set()
    for filler in fillers:
        pages, links = link_pages(await print_pdf(browser, marked(page_html, filler)))
        assert links[LAST] == links[SIGN], f"{filler} lines: {links}"
        counts.add(pages)
    return counts
