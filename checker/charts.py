"""A bar chart as a self-contained SVG string, to be embedded inline in a page.

Pure: no I/O, no external reference (no links, fonts, images or scripts), and
no ``style`` attributes, only presentation attributes, so it renders under a
Content-Security-Policy without 'unsafe-inline'. Every text is XML-escaped.
"""

from xml.sax.saxutils import escape, quoteattr

BAR_COLOUR = "#7a3e9d"
TEXT_COLOUR = "#222222"
AXIS_COLOUR = "#888888"


def bar_chart_svg(title: str, labels: list[str], values: list[int],
                  width: int = 640, height: int = 240) -> str:
    """One bar per label, its value written above it; the title is the accessible name."""
    if len(labels) != len(values):
        raise ValueError("labels and values must have the same length")
    top, bottom, side = 28, 36, 8
    plot_height = height - top - bottom
    slot = (width - 2 * side) / max(len(values), 1)
    peak = max([*values, 1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        f'<text x="{side}" y="18" font-family="sans-serif" font-size="14" '
        f'fill="{TEXT_COLOUR}">{escape(title)}</text>',
        f'<line x1="{side}" y1="{top + plot_height}" x2="{width - side}" '
        f'y2="{top + plot_height}" stroke="{AXIS_COLOUR}" stroke-width="1"/>',
    ]
    for i, (label, value) in enumerate(zip(labels, values)):
        parts.extend(_bar(side + i * slot, slot, top, plot_height, peak, str(label), int(value)))
    parts.append("</svg>")
    return "".join(parts)


def _bar(x: float, slot: float, top: int, plot_height: int, peak: int, label: str, value: int):
    bar_height = round(plot_height * value / peak, 1)
    y = top + plot_height - bar_height
    centre = round(x + slot / 2, 1)
    font = 'font-family="sans-serif" font-size="10" text-anchor="middle"'
    yield (f'<rect x="{round(x + slot * 0.15, 1)}" y="{y}" width="{round(slot * 0.7, 1)}" '
           f'height="{bar_height}" fill="{BAR_COLOUR}"><title>{escape(label)}: {value}</title></rect>')
    yield f'<text x="{centre}" y="{round(y - 3, 1)}" {font} fill="{TEXT_COLOUR}">{value}</text>'
    yield (f'<text x="{centre}" y="{top + plot_height + 14}" {font} '
           f'fill="{TEXT_COLOUR}">{escape(label)}</text>')


def monthly_charts(rows: list[dict], measures: dict[str, str]) -> dict[str, str]:
    """One chart per measure of ``monthly_stats`` rows: ``{measure: svg}``.

    ``measures`` maps a measure name to the chart's title (translated by the caller).
    """
    labels = [row["month"] for row in rows]
    return {name: bar_chart_svg(title, labels, [row[name] for row in rows])
            for name, title in measures.items()}
