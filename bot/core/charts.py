"""Series in, PNG and alt text out: the one drawing pipeline of vpsbot's charts.

Why matplotlib: the long-kept standard for static plots, with wheels for every
supported Python, and its Agg backend draws PNGs without a display or a browser.
It is heavy to import (numpy, fonts), so it is imported inside :func:`render` only,
which runs in a worker thread (:func:`render_async`), never at start-up nor on the
event loop. Figures use the object API (``Figure`` + ``FigureCanvasAgg``), not
pyplot's global state, so two threads can draw at once.

The alt text states the figures a sighted reader takes from the picture — peak,
average and latest of each series, computed here from the same points that are
drawn — so a screen reader (and a test) reads the same facts.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

__all__ = [
    "ALT_TEXT_MAX",
    "Chart",
    "Figures",
    "Panel",
    "Series",
    "alt_text",
    "figures",
    "human",
    "render",
    "render_async",
]

#: Slack's limit on an image block's ``alt_text`` (and on its title).
ALT_TEXT_MAX = 2000

_DAY = 86400.0
_COLOURS = ("#1d6fb8", "#d9822b", "#2e9e5b", "#8e44ad", "#c0392b", "#7f8c8d")
_BYTE_STEPS = ((1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s"))


@dataclass(frozen=True)
class Series:
    """One line (or the bars of a day-by-day chart): (unix seconds, value) points,
    sorted; a missing stretch is a gap, drawn as a break in the line."""

    label: str
    points: Sequence[tuple[float, float]]
    dashed: bool = False
    #: a guide (a projection) rather than readings: drawn, not summarised
    guide: bool = False


@dataclass(frozen=True)
class Panel:
    """One plot of a chart: a unit ("%", "B/s", "$", ...) and its series, or
    ``categories`` (label, value) drawn as horizontal bars."""

    title: str
    unit: str
    series: Sequence[Series] = ()
    categories: Sequence[tuple[str, float]] = ()
    #: draw the first series as daily bars instead of a line
    bars: bool = False
    #: a labelled horizontal line (a budget): (label, value)
    limit: tuple[str, float] | None = None


@dataclass(frozen=True)
class Figures:
    peak: float
    average: float
    latest: float
    count: int


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG, what it says in words, and a short title."""

    png: bytes
    alt_text: str
    title: str
    panels: Sequence[Panel] = field(default_factory=tuple, repr=False)


def figures(points: Sequence[tuple[float, float]]) -> Figures | None:
    """Peak, plain average and latest of the readings (None without readings)."""
    values = [v for _, v in points if math.isfinite(v)]
    if not values:
        return None
    latest = max(points, key=lambda p: p[0])[1]
    return Figures(max(values), sum(values) / len(values), latest, len(values))


def human(value: float, unit: str) -> str:
    """``value`` as people read it: "12.5 %", "1.2 MB/s", "$4.56", "3.1 blocks/s"."""
    if unit == "$":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "B/s":
        for size, name in _BYTE_STEPS:
            if abs(value) >= size:
                return f"{value / size:.1f} {name}"
        return f"{value:.0f} B/s"
    return f"{value:.1f} {unit}".rstrip()


def _series_sentence(series: Series, unit: str) -> str:
    found = figures(series.points)
    if found is None:
        return f"{series.label}: no readings."
    return (
        f"{series.label}: peak {human(found.peak, unit)}, "
        f"average {human(found.average, unit)}, latest {human(found.latest, unit)}."
    )


def alt_text(title: str, panels: Sequence[Panel], *, note: str = "") -> str:
    """What the chart shows, in words, within Slack's 2000 characters."""
    parts = [title.rstrip(".") + "."]
    for panel in panels:
        if panel.categories:
            shown = ", ".join(f"{name} {human(v, panel.unit)}" for name, v in panel.categories)
            parts.append(f"{panel.title}: {shown}.")
            continue
        parts += [_series_sentence(s, panel.unit) for s in panel.series if not s.guide]
        if panel.limit is not None:
            parts.append(f"{panel.limit[0]}: {human(panel.limit[1], panel.unit)}.")
    if note:
        parts.append(note)
    text = " ".join(parts)
    return text if len(text) <= ALT_TEXT_MAX else text[: ALT_TEXT_MAX - 1] + "…"


def _with_gaps(points: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """x and y with a NaN wherever the readings stop for more than twice their
    usual step, so the line breaks there instead of bridging the hole."""
    times = [t for t, _ in points]
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    usual = median(steps) if steps else 0.0
    xs: list[float] = []
    ys: list[float] = []
    for i, (t, v) in enumerate(points):
        if i and usual and t - times[i - 1] > 2 * usual:
            xs.append((t + times[i - 1]) / 2)
            ys.append(math.nan)
        xs.append(t)
        ys.append(v)
    return xs, ys


def render(title: str, panels: Sequence[Panel], *, note: str = "", width: float = 8.0) -> Chart:
    """Draw ``panels`` stacked in one PNG (blocking: call it through
    :func:`render_async` from the event loop)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = 0.6 + 2.1 * max(1, len(panels))
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=11)
    axes = fig.subplots(max(1, len(panels)), 1, squeeze=False)
    for ax, panel in zip((row[0] for row in axes), panels, strict=False):
        _draw(ax, panel)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return Chart(buffer.getvalue(), alt_text(title, panels, note=note), title, tuple(panels))


async def render_async(title: str, panels: Sequence[Panel], *, note: str = "") -> Chart:
    """:func:`render` in a worker thread, off the event loop."""
    return await asyncio.to_thread(render, title, panels, note=note)


def _axis_label(value: float, unit: str) -> str:
    return human(value, unit).replace(" %", "%")


def _draw(ax: object, panel: Panel) -> None:
    from matplotlib.axes import Axes
    from matplotlib.ticker import FuncFormatter

    assert isinstance(ax, Axes)
    ax.set_title(panel.title, fontsize=9, loc="left")
    ax.grid(True, alpha=0.3)
    money = FuncFormatter(lambda v, _: _axis_label(v, panel.unit))
    if panel.categories:
        names = [name for name, _ in panel.categories]
        ax.barh(names, [v for _, v in panel.categories], color=_COLOURS[0])
        ax.xaxis.set_major_formatter(money)  # the names stay on the y axis
        ax.invert_yaxis()
        return
    ax.yaxis.set_major_formatter(money)
    _draw_series(ax, panel)


def _draw_series(ax: object, panel: Panel) -> None:
    from matplotlib.axes import Axes
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    assert isinstance(ax, Axes)
    drawn = False
    for i, series in enumerate(panel.series):
        when = [t / _DAY for t, _ in series.points]
        colour = _COLOURS[i % len(_COLOURS)]
        if panel.bars and i == 0:
            ax.bar(when, [v for _, v in series.points], width=0.8, color=colour, label=series.label)
        else:
            xs, ys = _with_gaps(series.points)
            ax.plot(
                [x / _DAY for x in xs],
                ys,
                color=colour,
                linewidth=1.4,
                linestyle="--" if series.dashed else "-",
                label=series.label,
            )
        drawn = drawn or bool(series.points)
    if panel.limit is not None:
        ax.axhline(panel.limit[1], color="#c0392b", linewidth=1.2, linestyle=":")
        ax.annotate(
            panel.limit[0],
            (0.01, panel.limit[1]),
            xycoords=("axes fraction", "data"),
            fontsize=8,
            color="#c0392b",
            va="bottom",
        )
    if not drawn:
        ax.text(0.5, 0.5, "no readings", transform=ax.transAxes, ha="center", color="#7f8c8d")
    # matplotlib's dates are days since 1970-01-01 UTC (its default epoch)
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_ylim(bottom=0)
    if len(panel.series) > 1 or panel.limit is not None:
        ax.legend(fontsize=8, loc="upper left", frameon=False)
