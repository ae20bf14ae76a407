"""Charts drawn on the server as SVG: they need no script, print, and carry their own text
(a title and a description for screen readers; the page shows the same figures as a table)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR_COLOUR = "#1d3557"  # 12.6:1 on white
LATE_COLOUR = "#942514"  # 8.3:1 on white


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    chart_id: str,
    highlight_above: float | None = None,
    highlight_below: float | None = None,
    scale: float | None = None,
    width: int = 640,
) -> Markup:
    """Horizontal bars, one per row (label, value), largest scale first; `title` names it.
    `scale` fixes the full width (100 for percentages); a value of None (no figure: nothing
    was due) draws no bar and says —. A bar above `highlight_above` or below
    `highlight_below` is drawn in the late colour."""
    bar_h, gap, label_w, value_w = 22, 10, 190, 70
    height = max(len(rows), 1) * (bar_h + gap) + gap
    largest = scale or max((v for _, v in rows if v is not None), default=0) or 1
    plot_w = width - label_w - value_w
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">'
        + escape("；".join(f"{label} {_figure(v, unit)}" for label, v in rows) or "—")
        + "</desc>",
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(round(plot_w * min(value, largest) / largest), 1 if value else 0) if value else 0
        late = value is not None and (
            (highlight_above is not None and value > highlight_above)
            or (highlight_below is not None and value < highlight_below)
        )
        colour = LATE_COLOUR if late else BAR_COLOUR
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h - 6}" text-anchor="end" font-size="14" '
            f'fill="#0b0c0c">{escape(_short(label))}</text>'
        )
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_w + w + 6}" y="{y + bar_h - 6}" font-size="14" fill="#0b0c0c">'
            f"{escape(_figure(value, unit))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _figure(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{_number(value)}{unit}"


def _number(value: float) -> str:
    return f"{value:.1f}" if value != int(value) else str(int(value))


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
