"""Domain records to table rows (plain dicts for executemany), and legs JSON back to domain legs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from optionpilot.core.errors import DataError, PersistenceError
from optionpilot.domain.accounts import LedgerEntry
from optionpilot.domain.fills import ExpirySettlement, Fill
from optionpilot.domain.incidents import Incident
from optionpilot.domain.instrument_codec import instrument_from_dict, instrument_to_dict
from optionpilot.domain.instruments import (
    Instrument,
    OptionContract,
)
from optionpilot.domain.orders import Order, OrderLeg, PositionEffect, Side
from optionpilot.domain.positions import Position
from optionpilot.domain.recommendations import PositionEvent, Recommendation, Rejection, Signal
from optionpilot.ports.recorder import EquityPoint, FeatureSnapshot, ScoredNews

Row = dict[str, Any]


def finite(value: float, what: str) -> float:
    """A float column value; SQLite would store NaN as NULL, so refuse it here with its name."""
    number = float(value)
    if not math.isfinite(number):
        raise PersistenceError(f"{what} is {value!r}; only finite numbers are stored")
    return number


def jsonable(value: Any) -> Any:
    """Plain JSON: Decimals as text (exact), non-finite floats as null (PostgreSQL JSON has no NaN)."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    raise PersistenceError(f"cannot store {type(value).__name__} {value!r} as JSON")


def instrument_columns(instrument: Instrument) -> Row:
    if isinstance(instrument, OptionContract):
        try:
            key = instrument.key
        except DataError as exc:
            raise PersistenceError(f"cannot name option {instrument}: {exc}") from exc
        return {
            "instrument_key": key,
            "underlying": instrument.underlying,
            "option_right": instrument.right.value,
            "strike": instrument.strike,
            "expiry": instrument.expiry,
            "multiplier": instrument.multiplier,
        }
    return {
        "instrument_key": instrument.key,
        "underlying": instrument.symbol,
        "option_right": None,
        "strike": None,
        "expiry": None,
        "multiplier": instrument.multiplier,
    }


def instrument_json(instrument: Instrument) -> Row:
    try:
        return instrument_to_dict(instrument)
    except DataError as exc:
        raise PersistenceError(f"cannot name option {instrument}: {exc}") from exc


def instrument_from_json(data: Mapping[str, Any]) -> Instrument:
    try:
        return instrument_from_dict(data)
    except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
        raise PersistenceError(f"stored instrument {dict(data)!r} cannot be read: {exc!r}") from exc


def legs_json(legs: tuple[OrderLeg, ...]) -> list[Row]:
    return [
        {
            **instrument_json(leg.instrument),
            "side": leg.side.value,
            "ratio": leg.ratio,
            "effect": leg.effect.value,
        }
        for leg in legs
    ]


def legs_from_json(data: list[Mapping[str, Any]]) -> tuple[OrderLeg, ...]:
    try:
        return tuple(
            OrderLeg(
                instrument=instrument_from_json(leg),
                side=Side(leg["side"]),
                ratio=int(leg["ratio"]),
                effect=PositionEffect(leg["effect"]),
            )
            for leg in data
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise PersistenceError(f"stored legs {data!r} cannot be read: {exc!r}") from exc


def news_row(run_id: str, scored: ScoredNews) -> Row:
    item, s = scored.item, scored.sentiment
    return {
        "run_id": run_id,
        "news_id": item.id,
        "ts": item.ts,
        "headline": item.headline,
        "source": item.source,
        "tickers": list(item.tickers),
        "body": item.body,
        "sentiment_label": s.label,
        "sentiment_score": finite(s.score, f"sentiment score of news {item.id}"),
        "sentiment_confidence": finite(s.confidence, f"sentiment confidence of news {item.id}"),
        "sentiment_model": s.model,
    }


def feature_row(run_id: str, snap: FeatureSnapshot) -> Row:
    # NaN marks a window still filling; JSON has no NaN, so those values are left out.
    values = {k: v for k, v in snap.values.items() if math.isfinite(v)}
    return {"run_id": run_id, "ts": snap.ts, "symbol": snap.symbol, "values": values}


def signal_row(run_id: str, sig: Signal) -> Row:
    return {
        "run_id": run_id,
        "ts": sig.ts,
        "underlying": sig.underlying,
        "direction": sig.direction,
        "confidence": finite(sig.confidence, f"confidence of the {sig.underlying} signal at {sig.ts}"),
        "trade_style": sig.trade_style,
        "reason": sig.reason,
        "features": jsonable(sig.features),
    }


def recommendation_row(run_id: str, rec: Recommendation) -> Row:
    return {
        "run_id": run_id,
        "recommendation_id": rec.recommendation_id,
        "ts": rec.ts,
        "account_id": rec.account_id,
        "underlying": rec.underlying,
        "strategy_type": rec.strategy_type,
        "legs": legs_json(rec.legs),
        "quantity": rec.quantity,
        "limit_price": rec.limit_price,
        "confidence": finite(rec.confidence, f"confidence of recommendation {rec.recommendation_id}"),
        "reason": rec.reason,
        "position_id": rec.position_id,
        "status": "pending",
    }


def rejection_row(run_id: str, rej: Rejection) -> Row:
    return {
        "run_id": run_id,
        "ts": rej.ts,
        "stage": rej.stage,
        "rule": rej.rule,
        "reason": rej.reason,
        "underlying": rej.underlying,
        "account_id": rej.account_id,
        "details": jsonable(rej.details),
    }


def order_row(run_id: str, order: Order) -> Row:
    return {
        "client_order_id": order.client_order_id,
        "run_id": run_id,
        "account_id": order.account_id,
        "underlying": order.underlying,
        "legs": legs_json(order.legs),
        "quantity": order.quantity,
        "order_type": order.order_type.value,
        "limit_price": order.limit_price,
        "tif": order.tif.value,
        "position_id": order.position_id,
        "purpose": order.purpose,
        "reason": order.reason,
        "parent_id": order.parent_id,
        "status": order.status.value,
        "status_reason": order.status_reason,
        "filled_quantity": order.filled_quantity,
        "broker_order_id": order.broker_order_id,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def order_event_row(run_id: str, order: Order) -> Row:
    return {
        "run_id": run_id,
        "client_order_id": order.client_order_id,
        "ts": order.updated_at or order.created_at,
        "status": order.status.value,
        "reason": order.status_reason or order.reason,
        "filled_quantity": order.filled_quantity,
        "broker_order_id": order.broker_order_id,
    }


def fill_row(run_id: str, fill: Fill) -> Row:
    return {
        "run_id": run_id,
        "fill_id": fill.fill_id,
        "client_order_id": fill.client_order_id,
        "account_id": fill.account_id,
        "leg_index": fill.leg_index,
        **instrument_columns(fill.instrument),
        "side": fill.side.value,
        "quantity": fill.quantity,
        "price": fill.price,
        "fee": fill.fee,
        "effect": fill.effect.value,
        "ts": fill.ts,
        "execution_id": fill.execution_id,
    }


def incident_row(run_id: str, incident: Incident) -> Row:
    return {
        "run_id": run_id,
        "account_id": incident.account_id,
        "client_order_id": incident.client_order_id,
        "kind": incident.kind.value,
        "detail": incident.detail,
        "ts": incident.ts,
    }


def settlement_row(run_id: str, s: ExpirySettlement) -> Row:
    return {
        "run_id": run_id,
        "event_id": s.event_id,
        "account_id": s.account_id,
        **instrument_columns(s.contract),
        "quantity": s.quantity,
        "kind": s.kind.value,
        "settlement_price": s.settlement_price,
        "cash": s.cash,
        "shares": s.shares,
        "ts": s.ts,
    }


def ledger_row(run_id: str, e: LedgerEntry) -> Row:
    return {
        "run_id": run_id,
        "account_id": e.account_id,
        "ts": e.ts,
        "kind": e.kind.value,
        "amount": e.amount,
        "ref": e.ref,
        "note": e.note,
    }


def _maybe_finite(value: float | None, what: str) -> float | None:
    return None if value is None else finite(value, what)


def position_row(run_id: str, p: Position, ts: datetime) -> Row:
    where = f"position {p.position_id}"
    return {
        "run_id": run_id,
        "position_id": p.position_id,
        "account_id": p.account_id,
        "underlying": p.underlying,
        "strategy_type": p.strategy_type,
        "status": p.status.value,
        "opened_at": p.opened_at,
        "closed_at": p.closed_at,
        "entry_reason": p.entry_reason,
        "exit_reason": p.exit_reason,
        "realized_pnl": p.realized_pnl,
        "fees": p.fees,
        "entry_cost": p.entry_cost,
        "peak_value": p.peak_value,
        "partials_taken": p.partials_taken,
        "meta": jsonable(p.meta),
        "updated_at": ts,
        "entry_delta": _maybe_finite(p.entry_delta, f"entry delta of {where}"),
        "entry_theta": _maybe_finite(p.entry_theta, f"entry theta of {where}"),
        "entry_vega": _maybe_finite(p.entry_vega, f"entry vega of {where}"),
        "entry_iv": _maybe_finite(p.entry_iv, f"entry IV of {where}"),
    }


def position_leg_rows(run_id: str, p: Position) -> list[Row]:
    return [
        {
            "run_id": run_id,
            "position_id": p.position_id,
            **instrument_columns(leg.instrument),
            "quantity": leg.quantity,
            "avg_price": leg.avg_price,
            "opened_quantity": leg.opened_quantity,
        }
        for leg in p.legs.values()
    ]


def position_event_row(run_id: str, e: PositionEvent) -> Row:
    return {
        "run_id": run_id,
        "position_id": e.position_id,
        "account_id": e.account_id,
        "ts": e.ts,
        "kind": str(e.kind),  # a StrEnum member stores its value, whatever the driver
        "reason": e.reason,
        "quantity": e.quantity,
        "price": e.price,
    }


def equity_row(run_id: str, p: EquityPoint) -> Row:
    where = f"equity point of {p.account_id} at {p.ts.isoformat()}"
    return {
        "run_id": run_id,
        "account_id": p.account_id,
        "ts": p.ts,
        "cash": p.cash,
        "equity": p.equity,
        "delta": finite(p.delta, f"delta of the {where}"),
        "gamma": finite(p.gamma, f"gamma of the {where}"),
        "vega": finite(p.vega, f"vega of the {where}"),
        "theta": finite(p.theta, f"theta of the {where}"),
        "exposure": p.exposure,
    }
