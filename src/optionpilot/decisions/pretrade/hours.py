"""Market hours from the exchange calendar: no order outside the session (holidays and early closes too)."""

from __future__ import annotations

from datetime import datetime

from optionpilot.core.calendars import Session
from optionpilot.domain.recommendations import Decision


def check_market_hours(now: datetime, session: Session | None, calendar_code: str) -> Decision[Session]:
    """`session`: the exchange's session of `now`'s local day, or None on a holiday or weekend.

    The session runs from the open to the close, the close included: the engine's last look of a day is
    stamped at the close, made on the bar of the session's last minute, and an end-of-day replay decides
    there and fills on the next quote (the broker works such an order at the next open)."""
    if session is None:
        return Decision.no(
            f"{now.isoformat()} is not a {calendar_code} trading day (a holiday or a weekend)",
            "risk.market_closed",
        )
    if now < session.open or now > session.close:
        early = " (an early close)" if session.is_early_close else ""
        return Decision.no(
            f"{now.isoformat()} is outside the {calendar_code} session {session.open:%H:%M}-"
            f"{session.close:%H:%M} UTC{early}",
            "risk.market_hours",
        )
    return Decision.yes(session, "inside the session", "risk.market_open")
