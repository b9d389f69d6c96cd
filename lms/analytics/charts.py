"""Bar charts for the admin index, drawn as inline SVG on the server.

Chosen over a JavaScript chart library: nothing to pin, vendor or serve (no CDN, no static
bundle), no script in the admin, and the picture is in the HTML a test can read. A chart is
computed here (geometry in SVG user units) and drawn by
`templates/analytics/bar_chart.html`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 480
HEIGHT = 180
TOP = 16  # room for the value above the tallest bar
BOTTOM = 30  # room for the labels under the bars
GAP = 0.25  # part of each slot left empty


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: str  # as shown (a count, or an amount's decimal string)
    x: float
    y: float
    width: float
    height: float
    label_x: float
    value_y: float  # where the value is written, above the bar


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    label_y: float = HEIGHT - BOTTOM + 14

    @property
    def empty(self) -> bool:
        return all(bar.height == 0 for bar in self.bars)


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[int | float | Decimal | str]
) -> BarChart:
    """One bar per label, heights scaled to the largest value (zero and negative values
    draw no bar); values keep their text for the tooltip and the label above the bar."""
    numbers = [max(float(Decimal(str(value))), 0.0) for value in values]
    top = max(numbers, default=0.0) or 1.0
    slot = WIDTH / max(len(labels), 1)
    plot = HEIGHT - TOP - BOTTOM
    bars = []
    for index, (label, value, number) in enumerate(zip(labels, values, numbers, strict=True)):
        height = round(plot * number / top, 2)
        x = index * slot + slot * GAP / 2
        bars.append(
            Bar(
                label=label,
                value=str(value),
                x=round(x, 2),
                y=round(HEIGHT - BOTTOM - height, 2),
                width=round(slot * (1 - GAP), 2),
                height=height,
                label_x=round(index * slot + slot / 2, 2),
                value_y=round(HEIGHT - BOTTOM - height - 3, 2),
            )
        )
    return BarChart(title=title, bars=bars)
