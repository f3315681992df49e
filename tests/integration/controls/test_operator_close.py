"""Closing by hand in a running run: `Operator.close` (what `optionpilot close` and the dashboard call)
reaches the run through the database; the run closes the position with marketable limits, all of it or
some units, and writes the outcome back."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.app.operator import Operator
from optionpilot.app.run_loop import build_sim_run
from optionpilot.core.errors import ConfigError
from optionpilot.core.ids import PositionId
from optionpilot.domain.orders import OrderType
from optionpilot.engine.marks import units_of
from optionpilot.engine.ticker import Tick
from optionpilot.persistence import tables as t
from optionpilot.testing.backtests import backtest_config, sqlite_url


def test_a_running_run_closes_a_whole_multi_leg_position_and_part_of_another(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    config = backtest_config(url, market={"sessions": 2})
    sim = build_sim_run(config, speed=0, poll_s=0)
    large = next(a for a in sim.bt.accounts if a.name == "large")
    asked: dict[str, tuple[PositionId, int, int | None]] = {}  # kind -> (position, units then, qty asked)
    operator = Operator(sim.store.engine, config)

    def on_tick(tick: Tick) -> None:
        held = [
            p
            for p in large.book.open_positions()
            if not p.is_flat and not large.orders.open_orders(p.position_id)
        ]
        whole = [p for p in held if len([leg for leg in p.legs.values() if leg.quantity]) >= 2]
        if "whole" not in asked and whole:
            p = whole[0]
            asked["whole"] = (p.position_id, units_of(p), None)
            operator.close(p.position_id, None, "test: all of it", wait_s=0)
        taken = {v[0] for v in asked.values()}
        part = [
            p
            for p in held
            if units_of(p) >= 2
            and p.position_id not in taken
            and all(abs(leg.quantity) % units_of(p) == 0 for leg in p.legs.values())
        ]
        if "part" not in asked and part:
            p = part[0]
            asked["part"] = (p.position_id, units_of(p), 1)
            operator.close(p.position_id, 1, "test: one unit", wait_s=0)

    result = sim.bt.runner.run(on_tick=on_tick)
    assert result.reconciled
    assert set(asked) == {"whole", "part"}, f"the run never held what the test needs: {asked}"
    whole_id, _, _ = asked["whole"]
    assert large.book.positions[whole_id].is_flat
    part_id, units_then, _ = asked["part"]
    part = large.book.positions[part_id]
    with sim.store.engine.connect() as conn:
        commands = conn.execute(sa.select(t.operator_commands)).mappings().all()
        closes = conn.execute(
            sa.select(
                t.orders.c.position_id, t.orders.c.order_type, t.orders.c.status, t.orders.c.quantity
            ).where(t.orders.c.reason.like("operator.close%"))
        ).all()
    assert [c["status"] for c in commands] == ["done", "done"], commands
    assert {c["position_id"] for c in commands} == {whole_id, part_id}
    assert {c.order_type for c in closes} == {OrderType.LIMIT.value}  # marketable limits did it
    filled_part = sum(c.quantity for c in closes if c.position_id == part_id and c.status == "filled")
    assert filled_part >= 1
    # One unit closed by hand; the rules may have closed the rest since, never by this command.
    assert part.is_flat or units_of(part) <= units_then - 1


def test_close_refuses_a_position_no_running_run_holds(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    config = backtest_config(url, market={"sessions": 1})
    sim = build_sim_run(config, speed=0, poll_s=0)
    sim.bt.runner.run()
    held = [p for a in sim.bt.accounts for p in a.book.open_positions() if not p.is_flat]
    operator = Operator(sim.store.engine, config)
    assert held, "the run ended flat: the test proves nothing"
    with pytest.raises(ConfigError, match="which is not running"):
        operator.close(held[0].position_id, None, "late", wait_s=0)
    with pytest.raises(ConfigError, match="no such position"):
        operator.close("p-does-not-exist", None, "typo", wait_s=0)
