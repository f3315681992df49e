from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.positions import PositionLeg

CALL = OptionContract("SPY", date(2026, 1, 16), Decimal(600), OptionRight.CALL)

fills = st.lists(
    st.tuples(
        st.integers(min_value=-7, max_value=7).filter(bool),
        st.integers(min_value=1, max_value=99_999).map(lambda c: Decimal(c) / 100),
    ),
    min_size=1,
    max_size=12,
)


@given(fills)
def test_a_leg_closed_in_pieces_realizes_exactly_its_cash_flows(seq: list[tuple[int, Decimal]]) -> None:
    leg = PositionLeg(CALL)
    realized = Decimal(0)
    cash = Decimal(0)
    for qty, price in seq:
        realized += leg.apply(qty, price)
        cash -= price * qty * 100
    if leg.quantity:  # close what is left at a last price
        last = Decimal("1.23")
        cash -= last * -leg.quantity * 100
        realized += leg.apply(-leg.quantity, last)
    assert leg.quantity == 0 and leg.open_cost == 0
    assert realized == cash  # to the cent, no rounding residue
    assert realized == realized.quantize(Decimal("0.01"))


def test_partial_close_releases_cost_pro_rata_in_cents() -> None:
    leg = PositionLeg(CALL)
    leg.apply(3, Decimal("1.00"))
    leg.apply(1, Decimal("1.01"))  # avg 1.0025
    assert leg.avg_price == Decimal("1.0025")
    r1 = leg.apply(-3, Decimal("1.10"))  # releases 300.75 of 401.00
    assert r1 == Decimal("29.25")
    r2 = leg.apply(-1, Decimal("0.90"))
    assert r1 + r2 == Decimal("330") + Decimal("90") - Decimal("401")
