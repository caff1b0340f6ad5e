"""Exponential backoff with full jitter, for reconnecting a live stream.

Jitter keeps a fleet of clients that lost the same server from reconnecting in
lockstep when it comes back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays of initial, initial*multiplier, ... capped at maximum, each jittered."""

    initial: float = 0.5
    maximum: float = 30.0
    multiplier: float = 2.0
    # Fraction of each delay that is randomised: 0 gives exact delays (tests).
    jitter: float = 0.5
    _attempt: int = field(default=0, init=False, repr=False)

    def next_delay(self) -> float:
        """The delay before the next attempt; each call grows the following one."""
        base = min(self.maximum, self.initial * self.multiplier**self._attempt)
        self._attempt += 1
        spread = base * self.jitter
        # Not for security: only spreads reconnects out.
        return base - spread + random.uniform(0.0, spread)  # noqa: S311

    def reset(self) -> None:
        """Start again from the initial delay (after a healthy connection)."""
        self._attempt = 0
