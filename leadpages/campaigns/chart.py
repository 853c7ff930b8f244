"""Leads per day as an SVG bar chart, drawn here: no script, no third party, no inline style.

The page's Content-Security-Policy forbids `style` attributes, so colours and lines are SVG
presentation attributes. The chart is an image with a title and description for assistive
technology; the page puts the same numbers beside it as a table.
"""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 44
BAR = "#1d5a8a"  # 7:1 against white: the bars read well without colour vision too
AXIS = "#4a4a4a"
GRID = "#d0d0d0"
TEXT = "#1a1a1a"


def _number(value: float) -> str:
    """A coordinate with at most two decimals, without trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(days: list[tuple[date, int]], title: str, description: str,
              chart_id: str = "leads-chart") -> Markup:
    """An SVG of one bar per day (zeros included), with the highest value and dates on its axes."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    highest = max((count for _day, count in days), default=0)
    scale = plot_height / highest if highest else 0.0
    step = plot_width / max(len(days), 1)
    gap = min(2.0, step * 0.2)
    base = TOP + plot_height
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" id="{escape(chart_id)}" '
        f'aria-label="{escape(title)}" aria-labelledby="{title_id}" '
        f'aria-describedby="{desc_id}" font-family="sans-serif" font-size="12">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
        # The highest value's line and label, then the zero line: the y axis in two numbers.
        *([f'<line x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}" stroke="{GRID}" '
           f'stroke-width="1"/>',
           f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" fill="{TEXT}">{highest}</text>']
          if highest else []),
        f'<text x="{LEFT - 6}" y="{base + 4}" text-anchor="end" fill="{TEXT}">0</text>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{AXIS}" '
        f'stroke-width="1"/>',
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{AXIS}" '
        f'stroke-width="1"/>',
        '<g class="bars">',
    ]
    for index, (day, count) in enumerate(days):
        height = count * scale
        x = LEFT + index * step + gap / 2
        parts.append(
            f'<rect x="{_number(x)}" y="{_number(base - height)}" '
            f'width="{_number(max(step - gap, 0.5))}" height="{_number(height)}" fill="{BAR}">'
            f'<title>{escape(day.isoformat())}: {count}</title></rect>'
        )
    parts.append("</g>")
    # Dates under the axis: the first, the last, and one in the middle for longer periods.
    marks = sorted({0, len(days) - 1} | ({(len(days) - 1) // 2} if len(days) > 14 else set()))
    for index in marks if days else []:
        anchor = "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
        x = LEFT + index * step + (0 if anchor == "start" else step if anchor == "end"
                                   else step / 2)
        parts.append(f'<text x="{_number(x)}" y="{base + 18}" text-anchor="{anchor}" '
                     f'fill="{TEXT}">{escape(days[index][0].isoformat())}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
