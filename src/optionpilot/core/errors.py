"""One error tree, so callers can catch by meaning and every message names what and where."""

from __future__ import annotations


class OptionPilotError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(OptionPilotError):
    """A configuration value or key is wrong; the message names the key and the source."""


class DataError(OptionPilotError):
    """Input data is malformed; the message names the file (or source) and the line."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(f"{where}{message}")
        self.source = source
        self.line = line


class LookAheadError(OptionPilotError):
    """Something asked for data stamped after the clock."""


class ClockError(OptionPilotError):
    """The clock was asked to go backwards or was given a naive time."""


class IllegalTransition(OptionPilotError):
    """An order (or other state machine) was asked to make a move its table forbids."""


class BrokerError(OptionPilotError):
    """A broker refused or failed a request; adapters map vendor errors to this."""

    def __init__(
        self, message: str, *, broker: str, code: str | None = None, retryable: bool = False
    ) -> None:
        super().__init__(f"{broker}: {message}" + (f" [{code}]" if code else ""))
        self.broker = broker
        self.code = code
        self.retryable = retryable


class BrokerTimeout(BrokerError):
    """A request's outcome is unknown (a timeout, a dropped connection): the broker may or may not
    have the order. Nothing may be re-sent before the order is looked up by its client id."""

    def __init__(self, message: str, *, broker: str, code: str | None = "timeout") -> None:
        super().__init__(message, broker=broker, code=code, retryable=True)


class MarketDataError(OptionPilotError):
    """A market-data request failed (HTTP error, timeout, unreadable answer); the message names where."""

    def __init__(self, message: str, *, endpoint: str, status: int | None = None) -> None:
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint
        self.status = status


class ReconciliationError(OptionPilotError):
    """The ledger and the broker disagree beyond tolerance."""


class PersistenceError(OptionPilotError):
    """The database could not be reached or written; the message names the URL (without secrets)."""
