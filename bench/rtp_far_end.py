"""
The far ends for bench/rtp_capacity.py: N RTP endpoints in one separate
process, plain sockets and epoll (no Twisted, no VoiceDock code), so the
process under test is measured alone.

Protocol on stdin/stdout, one JSON object per line:
  in:  {"targets": [[host, port], ...], "warmup": s, "duration": s}
  out: {"ports": [...]}            as soon as the sockets are bound
  out: {"report": {...}}           after warmup + duration, then exit

Every far end sends 20 ms PCMU frames to its target on a 20 ms absolute
schedule and checks what comes back: loss by sequence number, and lateness:
how far a packet arrives after the instant its RTP timestamp says (relative
to the best transit seen on that stream). A packet more than 40 ms late would
miss a 2-frame jitter buffer: counted as late.
"""

from __future__ import annotations

import json
import math
import resource
import selectors
import socket
import struct
import sys
import time

LATE_AFTER = 0.040
HEADER = struct.Struct("!BBHII")


def tone_frames() -> list[bytes]:
    """One second of a 440 Hz tone in PCMU, 50 frames (mu-law by formula; content does not matter)."""
    frames = []
    for index in range(50):
        codes = bytearray()
        for n in range(160):
            sample = int(8000 * math.sin(2 * math.pi * 440 * (index * 160 + n) / 8000))
            sign = 0x80 if sample >= 0 else 0
            magnitude = min(abs(sample), 32635) + 0x84
            exponent = max(0, magnitude.bit_length() - 8)
            mantissa = (magnitude >> (exponent + 3)) & 0x0F
            codes.append(~(sign | (min(exponent, 7) << 4) | mantissa) & 0xFF)
        frames.append(bytes(codes))
    return frames


class Leg:
    __slots__ = ("sock", "target", "ssrc", "seq", "ts", "best_transit", "max_seq", "cycles", "base", "count", "late", "window")

    def __init__(self, sock: socket.socket, target: tuple[str, int], ssrc: int) -> None:
        self.sock, self.target, self.ssrc = sock, target, ssrc
        self.seq, self.ts = 0, 0
        self.best_transit = math.inf
        self.max_seq: int | None = None
        self.cycles = 0
        self.base = 0
        self.count = 0
        self.late = 0
        self.window: tuple[int, int] | None = None  # (extended max at window start, count then)


def main() -> None:
    config = json.loads(sys.stdin.readline())
    targets = [tuple(t) for t in config["targets"]]
    warmup, duration = float(config["warmup"]), float(config["duration"])
    legs = []
    selector = selectors.EpollSelector()
    for index, target in enumerate(targets):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        leg = Leg(sock, target, 0x10000 + index)  # type: ignore[arg-type]
        legs.append(leg)
        selector.register(sock, selectors.EVENT_READ, leg)
    print(json.dumps({"ports": [leg.sock.getsockname()[1] for leg in legs]}), flush=True)

    frames = tone_frames()
    start = time.monotonic()
    window_start, end = start + warmup, start + warmup + duration
    in_window = False
    next_tick, tick = start + 0.02, 0
    sent = sent_window = 0
    lateness: list[float] = []
    tick_lateness: list[float] = []
    cpu_at_window = 0.0

    while True:
        now = time.monotonic()
        if now >= end:
            break
        if not in_window and now >= window_start:
            in_window = True
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu_at_window = usage.ru_utime + usage.ru_stime
            for leg in legs:
                leg.window = ((leg.cycles + (leg.max_seq or 0)), leg.count)
                leg.late = 0
            sent_window = 0
        if now >= next_tick:
            if in_window:
                tick_lateness.append(now - next_tick)
            payload = frames[tick % 50]
            for leg in legs:
                packet = HEADER.pack(0x80, 0, leg.seq, leg.ts, leg.ssrc) + payload
                try:
                    leg.sock.sendto(packet, leg.target)
                except OSError:
                    pass
                leg.seq = (leg.seq + 1) & 0xFFFF
                leg.ts = (leg.ts + 160) & 0xFFFFFFFF
            sent += len(legs)
            if in_window:
                sent_window += len(legs)
            tick += 1
            next_tick += 0.02
            if now - next_tick > 0.1:  # far behind: do not burst, rejoin the schedule
                skipped = int((now - next_tick) / 0.02)
                next_tick += 0.02 * skipped
                tick += skipped
            continue
        for key, _ in selector.select(max(0.0, next_tick - now)):
            leg = key.data
            while True:
                try:
                    data = leg.sock.recv(2048)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                if len(data) < 12 or data[1] >= 192:  # RTCP goes to the other port; ignore anything odd
                    continue
                arrival = time.monotonic()
                _, _, seq, ts, _ = HEADER.unpack_from(data)
                if leg.max_seq is None:
                    leg.max_seq, leg.base = seq, seq
                elif 0 < (seq - leg.max_seq) % 65536 < 3000:
                    if seq < leg.max_seq:
                        leg.cycles += 65536
                    leg.max_seq = seq
                leg.count += 1
                transit = arrival - ts / 8000.0
                if transit < leg.best_transit:
                    leg.best_transit = transit
                if in_window:
                    excess = transit - leg.best_transit
                    lateness.append(excess)
                    if excess > LATE_AFTER:
                        leg.late += 1

    usage = resource.getrusage(resource.RUSAGE_SELF)
    expected = received = 0
    for leg in legs:
        if leg.window is None or leg.max_seq is None:
            continue
        start_max, start_count = leg.window
        expected += leg.cycles + leg.max_seq - start_max
        received += leg.count - start_count
    lateness.sort()
    tick_lateness.sort()

    def pct(values: list[float], q: float) -> float:
        return 1000 * values[min(len(values) - 1, int(q * (len(values) - 1)))] if values else 0.0

    report = {
        "legs": len(legs),
        "sent": sent,
        "sent_window": sent_window,
        "expected_window": expected,
        "received_window": received,
        "lost_window": max(0, expected - received),
        "late_window": sum(leg.late for leg in legs),
        "arrival_lateness_p50_ms": pct(lateness, 0.5),
        "arrival_lateness_p99_ms": pct(lateness, 0.99),
        "own_tick_lateness_p99_ms": pct(tick_lateness, 0.99),
        "cpu_window_s": usage.ru_utime + usage.ru_stime - cpu_at_window,
    }
    print(json.dumps({"report": report}), flush=True)


if __name__ == "__main__":
    main()
