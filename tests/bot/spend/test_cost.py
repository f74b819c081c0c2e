"""Cost arithmetic: hand-computed cases to the cent, and properties of any usage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.spend import cost
from bot.spend.cost import Usage

NOW = datetime(2026, 11, 15, 12, 30, tzinfo=UTC)  # November has 720 hours


def test_month_bounds_roll_over_the_year() -> None:
    assert cost.month_bounds(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_a_started_hour_is_billed_in_full() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert cost.billed_hours(start, start) == 0
    assert cost.billed_hours(start, start + timedelta(seconds=1)) == 1
    assert cost.billed_hours(start, start + timedelta(hours=2)) == 2
    assert cost.billed_hours(start, start - timedelta(hours=1)) == 0


def test_hand_computed_month_to_date_and_projection() -> None:
    # created Nov 10 08:15 → now Nov 15 12:30: 124 h 15 min → 125 billed hours
    usage = Usage(
        created_at=datetime(2026, 11, 10, 8, 15, tzinfo=UTC),
        deleted_at=None,
        hourly=Decimal("0.0179"),
        monthly=Decimal("12.00"),
    )
    assert cost.month_to_date(usage, NOW) == Decimal("2.24")  # 125 x 0.0179 = 2.2375
    # to Dec 1: 495 h 45 min → 496 h x 0.0179 = 8.8784
    assert cost.projected(usage, NOW) == Decimal("8.88")


def test_cap_at_the_monthly_price() -> None:
    usage = Usage(
        created_at=datetime(2026, 10, 3, tzinfo=UTC),
        deleted_at=None,
        hourly=Decimal("0.0179"),
        monthly=Decimal("12.00"),
    )
    # whole of November: 720 h x 0.0179 = 12.888 → capped at 12.00
    assert cost.projected(usage, NOW) == Decimal("12.00")
    # 348 h so far (Nov 1 → Nov 15 12:30 = 348.5 → 349) x 0.0179 = 6.2471
    assert cost.month_to_date(usage, NOW) == Decimal("6.25")


def test_deleted_server_stops_costing_and_earlier_months_do_not_count() -> None:
    gone = Usage(
        created_at=datetime(2026, 11, 2, tzinfo=UTC),
        deleted_at=datetime(2026, 11, 2, 3, 0, 1, tzinfo=UTC),
        hourly=Decimal("0.0600"),
        monthly=Decimal("40.00"),
    )
    assert cost.month_to_date(gone, NOW) == Decimal("0.24")  # 4 started hours
    assert cost.projected(gone, NOW) == Decimal("0.24")
    old = Usage(
        created_at=datetime(2026, 9, 1, tzinfo=UTC),
        deleted_at=datetime(2026, 10, 31, tzinfo=UTC),
        hourly=Decimal("1"),
        monthly=Decimal("500"),
    )
    assert cost.total([old], NOW) == cost.Spend()


def test_grouping_by_member_and_provider() -> None:
    a = Usage(NOW - timedelta(hours=2), None, Decimal("0.5"), Decimal("300"), "U1", "linode")
    b = Usage(NOW - timedelta(hours=1), None, Decimal("0.25"), Decimal("100"), "U2", "do")
    c = Usage(NOW - timedelta(hours=1), None, Decimal("0.25"), Decimal("100"), "U1", "do")
    by_member = cost.spend_by([a, b, c], NOW, lambda u: u.user_id)
    assert list(by_member) == ["U1", "U2"]
    assert by_member["U1"].month_to_date == Decimal("1.25")  # 2 x 0.5 + 1 x 0.25
    assert by_member["U2"].month_to_date == Decimal("0.25")
    by_provider = cost.spend_by([a, b, c], NOW, lambda u: u.provider)
    assert by_provider["do"].month_to_date == Decimal("0.50")
    assert sum((s for s in by_member.values()), cost.Spend()) == cost.total([a, b, c], NOW)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("5"), places=4)


@given(created=moments, life=st.none() | st.integers(0, 24 * 90 * 3600), hourly=prices, now=moments)
def test_properties_of_any_usage(
    created: datetime, life: int | None, hourly: Decimal, now: datetime
) -> None:
    monthly = (hourly * 672).quantize(Decimal("0.01"))
    deleted = None if life is None else created + timedelta(seconds=life)
    usage = Usage(created, deleted, hourly, monthly)
    so_far, to_end = cost.month_to_date(usage, now), cost.projected(usage, now)
    assert Decimal(0) <= so_far <= to_end <= monthly
    assert so_far == so_far.quantize(cost.CENT)
    start, end = cost.month_bounds(now)
    if created >= end or (deleted is not None and deleted <= start):
        assert to_end == 0
    if created >= now:
        assert so_far == 0
