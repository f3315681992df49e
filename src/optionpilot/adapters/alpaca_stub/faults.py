"""The Alpaca stub's fault draws: the shared seeded `Faults` (see `stub_common.faults`)."""

from __future__ import annotations

from optionpilot.adapters.stub_common.faults import Faults

__all__ = ["Faults"]
