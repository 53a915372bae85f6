# -*- test-case-name: tests.media.test_ports -*-
"""
The RTP port pool: even RTP port, RTCP on the next one (RFC 3550 §11), taken
from the configured range and given back on hang-up.
"""

from __future__ import annotations

from collections import deque

__all__ = ["PortPool", "PortPoolExhausted", "parse_port_range"]


class PortPoolExhausted(Exception):
    """Every RTP port pair of the configured range is in use."""


def parse_port_range(text: str) -> tuple[int, int]:
    """C{"20000-29999"} (the C{--rtp-ports} option) to C{(20000, 29999)}."""
    low_text, sep, high_text = text.partition("-")
    try:
        low, high = int(low_text), int(high_text)
    except ValueError:
        raise ValueError(f"RTP port range must look like 20000-29999, not {text!r}") from None
    if not sep or not 1024 <= low < high <= 65535:
        raise ValueError(f"RTP port range {text!r} must be two ports in 1024-65535, low first")
    if low + (low % 2) + 1 > high:
        raise ValueError(f"RTP port range {text!r} holds no even/odd pair")
    return low, high


class PortPool:
    """
    Port pairs of C{[low, high]}: RTP on an even port, RTCP on the odd one above.

    Pairs are handed out least recently released first, so a port just freed
    by one call (whose far end may still be sending) is the last to be reused.
    """

    def __init__(self, low: int, high: int) -> None:
        first = low + (low % 2)
        self.low, self.high = low, high
        self._free: deque[int] = deque(range(first, high, 2))
        self._in_use: set[int] = set()
        self.capacity = len(self._free)

    @property
    def available(self) -> int:
        return len(self._free)

    @property
    def in_use(self) -> int:
        return len(self._in_use)

    def acquire(self) -> int:
        """Take a pair; returns its (even) RTP port."""
        if not self._free:
            raise PortPoolExhausted(
                f"all {self.capacity} RTP port pairs of {self.low}-{self.high} are in use;"
                " widen --rtp-ports or lower the call limit"
            )
        port = self._free.popleft()
        self._in_use.add(port)
        return port

    def release(self, port: int) -> None:
        """Give a pair back (idempotent)."""
        if port in self._in_use:
            self._in_use.remove(port)
            self._free.append(port)
