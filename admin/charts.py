"""Charts drawn on the server as inline SVG: no script, no inline style (the pages' CSP)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

# ---- shares month by month ----------------------------------------------------------------

_W, _H = 640, 260  # the drawing's size; the page scales it to its width
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 34, 40  # room for the axes' labels and the legend
_COLOURS = ("#1f6f43", "#b5651d", "#3559a8", "#8a2c6b")


def month_chart(months: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
                title: str) -> Markup:
    """A line per series of shares (0..1) over months ("09/2023"), 0-100 % on the y axis;
    a month without a value (None) leaves a gap. Every label is escaped."""
    width, height = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    step = width / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return _LEFT + (i * step if len(months) > 1 else width / 2)

    def y(share: float) -> float:
        return _TOP + height * (1 - min(max(share, 0.0), 1.0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
             f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for pct in (0, 25, 50, 75, 100):
        gy = y(pct / 100)
        parts.append(f'<line x1="{_LEFT}" y1="{gy:.1f}" x2="{_W - _RIGHT}" y2="{gy:.1f}" '
                     'stroke="#ddd" stroke-width="1"/>'
                     f'<text x="{_LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#555">{pct}%</text>')
    every = max(1, -(-len(months) // 12))  # at most about 12 month labels
    for i, label in enumerate(months):
        if i % every == 0 or i == len(months) - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle" '
                         f'font-size="11" fill="#555">{escape(label)}</text>')
    for n, (name, values) in enumerate(series):
        colour = _COLOURS[n % len(_COLOURS)]
        parts += _line(values, x, y, colour, months, name)
        top = 2 + n * 15  # one legend line per series: long Vietnamese labels never overlap
        parts.append(f'<rect x="{_LEFT}" y="{top}" width="11" height="11" '
                     f'fill="{colour}"/><text x="{_LEFT + 16}" y="{top + 10}" font-size="12" '
                     f'fill="#222">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every value above was escaped or is a number


def _line(values: Sequence[float | None], x: Callable[[int], float],
          y: Callable[[float], float], colour: str, months: Sequence[str], name: str
          ) -> list[str]:
    """The series' segments (broken where a value is missing) and a dot per value."""
    out: list[str] = []
    run: list[str] = []
    for i, value in enumerate([*values, None]):
        if value is None:
            if len(run) > 1:
                out.append(f'<polyline points="{" ".join(run)}" fill="none" '
                           f'stroke="{colour}" stroke-width="2"/>')
            run = []
            continue
        px, py = x(i), y(value)
        run.append(f"{px:.1f},{py:.1f}")
        shown = f"{value * 100:.1f}".replace(".", ",")
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                   f"<title>{escape(name)} {escape(months[i])}: {shown}%</title></circle>")
    return out


# ---- one share per unit ---------------------------------------------------------------------

_BAR_H, _BAR_GAP, _LABEL_W, _BAR_W = 22, 8, 220, 380


def bar_chart(rows: Sequence[tuple[str, float | None]], title: str, unknown: str,
              percent: Callable[[float], str]) -> Markup:
    """A horizontal bar per row, its share (0..1) of 100 % written by `percent`; a row without
    a value (None: no population estimate) shows `unknown` instead. Labels are escaped."""
    height = _TOP + len(rows) * (_BAR_H + _BAR_GAP) + 8
    width = _LABEL_W + _BAR_W + 70
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" class="chart bars" aria-label="{escape(title)}">'
             f'<title>{escape(title)}</title>'
             f'<text x="0" y="18" class="chart-title">{escape(title)}</text>']
    for i, (label, share) in enumerate(rows):
        top = _TOP + i * (_BAR_H + _BAR_GAP)
        middle = top + _BAR_H / 2 + 4
        parts.append(f'<text x="{_LABEL_W - 8}" y="{middle:.1f}" text-anchor="end">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{_LABEL_W}" y="{top}" width="{_BAR_W}" height="{_BAR_H}" '
                     f'class="bar-track" fill="#e6e6e6"/>')
        if share is None:
            parts.append(f'<text x="{_LABEL_W + 6}" y="{middle:.1f}">{escape(unknown)}</text>')
            continue
        shown = min(max(share, 0.0), 1.0)
        parts.append(f'<rect x="{_LABEL_W}" y="{top}" width="{_BAR_W * shown:.1f}" '
                     f'height="{_BAR_H}" fill="{_COLOURS[0]}"/>')
        parts.append(f'<text x="{_LABEL_W + _BAR_W + 6}" y="{middle:.1f}">'
                     f'{escape(percent(share))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every value above was escaped or is a number

