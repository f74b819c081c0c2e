"""The series → PNG + alt text pipeline, checked by data."""

from __future__ import annotations

import io
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.core.charts import ALT_TEXT_MAX, Panel, Series, alt_text, figures, human, render
from bot.core.charts import _with_gaps as with_gaps

T0 = 1_765_000_000.0


def test_the_alt_text_states_peak_average_and_latest_of_each_series() -> None:
    cpu = Series("CPU", [(T0, 10.0), (T0 + 60, 50.0), (T0 + 120, 30.0)])
    net = Series("Network in", [(T0, 1_500.0), (T0 + 60, 2_500_000.0)])
    chart = render("web-1, last 24 h", [Panel("CPU", "%", [cpu]), Panel("Network", "B/s", [net])])
    assert chart.alt_text == (
        "web-1, last 24 h. CPU: peak 50.0 %, average 30.0 %, latest 30.0 %. "
        "Network in: peak 2.5 MB/s, average 1.3 MB/s, latest 2.5 MB/s."
    )
    picture = Image.open(io.BytesIO(chart.png))
    assert picture.format == "PNG" and picture.size[0] == 800


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        # whole seconds, as providers stamp readings: distinct offsets stay distinct
        # once added to T0 (two floats a rounding apart became one instant)
        st.tuples(st.integers(0, 10**6), st.floats(0, 1e9, allow_nan=False, width=32)),
        min_size=1,
        max_size=50,
        unique_by=lambda p: p[0],
    )
)
def test_alt_text_figures_equal_those_computed_from_the_points(
    raw: list[tuple[int, float]],
) -> None:
    points = sorted((T0 + t, v) for t, v in raw)
    values = [v for _, v in points]
    text = alt_text("T", [Panel("Net", "B/s", [Series("Out", points)])])
    peak, mean, last = max(values), sum(values) / len(values), points[-1][1]
    assert text == (
        f"T. Out: peak {human(peak, 'B/s')}, average {human(mean, 'B/s')}, "
        f"latest {human(last, 'B/s')}."
    )
    found = figures(points)
    assert found is not None
    assert (found.peak, found.latest, found.count) == (peak, last, len(values))
    assert math.isclose(found.average, mean, rel_tol=1e-9, abs_tol=1e-9)


def test_no_readings_are_said_and_drawn_as_such() -> None:
    chart = render("db-1", [Panel("CPU", "%", [Series("CPU", [])])])
    assert chart.alt_text == "db-1. CPU: no readings."
    assert chart.png.startswith(b"\x89PNG")


def test_alt_text_never_passes_slacks_limit() -> None:
    many = [Series(f"series {i} " + "x" * 40, [(T0, float(i))]) for i in range(100)]
    text = alt_text("Many", [Panel("All", "%", many)])
    assert len(text) == ALT_TEXT_MAX and text.endswith("…")


def test_a_hole_in_the_readings_breaks_the_line() -> None:
    points = [(T0 + 60 * i, 1.0) for i in range(5)] + [(T0 + 3600, 2.0), (T0 + 3660, 3.0)]
    xs, ys = with_gaps(points)
    assert len(xs) == len(points) + 1
    assert math.isnan(ys[5]) and T0 + 240 < xs[5] < T0 + 3600


def test_guides_and_budgets_and_categories() -> None:
    spent = Series("Spent", [(T0, 1.0), (T0 + 86400, 3.5)])
    projected = Series("Projection", [(T0 + 86400, 3.5), (T0 + 30 * 86400, 40.0)], guide=True)
    panels = [
        Panel("December", "$", [spent, projected], bars=True, limit=("Budget", 50.0)),
        Panel("By member", "$", categories=[("Ada", 3.0), ("Ben", 0.5)]),
    ]
    chart = render("Spend", panels)
    assert chart.alt_text == (
        "Spend. Spent: peak $3.50, average $2.25, latest $3.50. Budget: $50.00. "
        "By member: Ada $3.00, Ben $0.50."
    )


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (12.345, "%", "12.3 %"),
        (999.0, "B/s", "999 B/s"),
        (1_250.0, "B/s", "1.2 kB/s"),
        (3_400_000.0, "B/s", "3.4 MB/s"),
        (1234.5, "$", "$1,234.50"),
        (2.0, "blocks/s", "2.0 blocks/s"),
    ],
)
def test_human_units(value: float, unit: str, shown: str) -> None:
    assert human(value, unit) == shown


def test_starting_the_bot_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.app.bolt, bot.app.serve, bot.core.charts, bot.servers.listeners; "
        "sys.exit(1 if 'matplotlib' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
