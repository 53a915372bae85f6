"""
RTP capacity: N simultaneous legs with G.711 both ways, for rising N.

For each N, two runs in this process, each against N far ends in a separate
process (bench/rtp_far_end.py):

  engine  voicedock.media: N legs on one ticker; every leg's output queue is
          kept fed with PCM (encoded to PCMU on push), every received frame
          goes through the jitter buffer, is decoded and handed to a sink.
  bare    the limit: N UDP ports and one shared 20 ms ticker (the same
          PacingTicker) that writes one prebuilt RTP packet per port and
          counts what arrives. Nothing else.

Printed per run: CPU per leg, ticker lateness p50/p99, intervals missed,
frames sent late or skipped, packets lost each way, packets the far ends got
late (more than 40 ms behind their timestamp), and at the end the CPU ratio
engine/bare at the highest N where nothing was late.

    .venv/bin/python bench/rtp_capacity.py            # rising N, a few minutes
    .venv/bin/python bench/rtp_capacity.py --quick    # smoke run, under 20 s
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import struct
import sys
import time
from typing import Any

from twisted.internet import reactor, task
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.protocol import DatagramProtocol, ProcessProtocol

from voicedock.media import MediaConfig, MediaEngine, NegotiatedMedia, PCMU, parse_port_range
from voicedock.media.packet import build_rtp
from voicedock.media.ticker import PacingTicker

FAR_END = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtp_far_end.py")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sleep(seconds: float) -> Deferred[None]:
    return task.deferLater(reactor, seconds, lambda: None)  # type: ignore[arg-type]


class FarEnds(ProcessProtocol):
    """The far-end process: JSON lines in, JSON lines out."""

    def __init__(self) -> None:
        self.ports: Deferred[list[int]] = Deferred()
        self.report: Deferred[dict[str, Any]] = Deferred()
        self.exited: Deferred[None] = Deferred()
        self._buffer = b""

    def outReceived(self, data: bytes) -> None:
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            message = json.loads(line)
            if "ports" in message:
                self.ports.callback(message["ports"])
            elif "report" in message:
                self.report.callback(message["report"])

    def processEnded(self, reason: object) -> None:
        self.exited.callback(None)


class CountingSink:
    """The upper layer of the engine run: takes every frame, does nothing with it."""

    def __init__(self) -> None:
        self.frames = 0

    def audio_received(self, frame: object) -> None:
        self.frames += 1

    def media_event(self, event: object) -> None:
        pass


class _Counter(DatagramProtocol):
    noisy = False

    def __init__(self, loop: BareLoop) -> None:
        self._loop = loop

    def datagramReceived(self, datagram: bytes, addr: tuple[str, int]) -> None:
        self._loop.received += 1


class BareLoop:
    """The limit: one prebuilt packet per port per tick, a counter on receive."""

    def __init__(self, count: int, max_burst: int) -> None:
        self.received = 0
        self.max_burst = max_burst
        self.ports = [reactor.listenUDP(0, _Counter(self), interface="127.0.0.1") for _ in range(count)]  # type: ignore[attr-defined]
        self.targets: list[tuple[str, int]] = []
        self._packet = bytearray(build_rtp(0, 0, 0, 0x1234, PCMU.silence(160)))
        self._seq = self._ts = 0

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port.getHost().port) for port in self.ports]

    def deliver(self, owed: int, now: float) -> None:
        pass

    def transmit(self, owed: int, now: float) -> None:
        packet = self._packet
        pairs = list(zip(self.ports, self.targets))
        for _ in range(min(owed, self.max_burst)):
            struct.pack_into("!HI", packet, 2, self._seq, self._ts)
            data = bytes(packet)
            for port, target in pairs:
                port.write(data, target)
            self._seq = (self._seq + 1) & 0xFFFF
            self._ts = (self._ts + 160) & 0xFFFFFFFF

    def close(self) -> None:
        for port in self.ports:
            port.stopListening()


def one_second_of_speech() -> bytes:
    return struct.pack("<8000h", *(int(6000 * math.sin(2 * math.pi * 300 * n / 8000)) for n in range(8000)))


@inlineCallbacks
def run(mode: str, count: int, args: argparse.Namespace) -> Any:
    far = FarEnds()
    low, high = parse_port_range(args.rtp_ports)
    engine = bare = feeder = None
    ticker: PacingTicker
    if mode == "engine":
        engine = MediaEngine(reactor, reactor, MediaConfig(port_min=low, port_max=high, bind_interface="127.0.0.1", rtp_timeout=60.0))  # type: ignore[arg-type]
        legs = [engine.open_session(f"bench-{index}") for index in range(count)]
        targets = [("127.0.0.1", leg.local_port) for leg in legs]
        ticker = engine.ticker
    else:
        bare = BareLoop(count, MediaConfig().max_burst)
        targets = bare.addresses
        ticker = PacingTicker(reactor)  # type: ignore[arg-type]
    reactor.spawnProcess(far, sys.executable, [sys.executable, FAR_END], env=os.environ, childFDs={0: "w", 1: "r", 2: 2})  # type: ignore[attr-defined]
    far.transport.write(  # type: ignore[union-attr]
        (json.dumps({"targets": targets, "warmup": args.warmup, "duration": args.seconds}) + "\n").encode()
    )
    far_ports = yield far.ports
    sinks = []
    if engine is not None:
        speech = one_second_of_speech()
        for leg, port in zip(legs, far_ports):
            sink = CountingSink()
            sinks.append(sink)
            far_address = ("127.0.0.1", port)
            leg.start(NegotiatedMedia(codec=PCMU, remote=far_address, remote_rtcp=far_address), sink)

        slices = [legs[start::25] for start in range(25)]
        turn = iter(range(10**9))

        def feed() -> None:
            # Like streaming TTS: every 20 ms a twenty-fifth of the legs is
            # topped up, so each leg gets a second of speech twice a second.
            for leg in slices[next(turn) % 25]:
                if leg.output.queued_frames < 50:  # type: ignore[union-attr]
                    leg.push_pcm(speech)

        for leg in legs:
            leg.push_pcm(speech)
        feeder = task.LoopingCall(feed)
        feeder.start(0.02, now=False)
    else:
        assert bare is not None
        bare.targets = [("127.0.0.1", port) for port in far_ports]
        ticker.add(bare)

    yield sleep(args.warmup)
    ticker.reset_figures()
    cpu_start, wall_start = cpu_seconds(), time.monotonic()
    late_start = skipped_start = jb_late_start = 0
    if engine is not None:
        stats = [leg.stats() for leg in legs]
        late_start = sum(s.frames_late for s in stats)
        skipped_start = sum(s.frames_skipped for s in stats)
        jb_late_start = sum(s.packets_late for s in stats)
    yield sleep(args.seconds)
    cpu_used, wall = cpu_seconds() - cpu_start, time.monotonic() - wall_start
    load = os.getloadavg()[0]
    figures = ticker.figures()
    frames_late = frames_skipped = jb_late = lost_inbound = 0
    if engine is not None:
        stats = [leg.stats() for leg in legs]
        frames_late = sum(s.frames_late for s in stats) - late_start
        frames_skipped = sum(s.frames_skipped for s in stats) - skipped_start
        jb_late = sum(s.packets_late for s in stats) - jb_late_start
    report = yield far.report
    yield far.exited
    yield sleep(0.3)  # let the last packets land
    if engine is not None:
        lost_inbound = sum(leg.stats().packets_lost for leg in legs)
        feeder.stop()  # type: ignore[union-attr]
        engine.close_all()
    else:
        assert bare is not None
        lost_inbound = max(0, report["sent"] - bare.received)
        ticker.remove(bare)
        bare.close()
    yield sleep(0.2)
    return {
        "mode": mode,
        "legs": count,
        "cpu_pct": 100.0 * cpu_used / wall,
        "cpu_us_per_leg_s": 1e6 * cpu_used / wall / count,
        "lateness_p50_ms": figures.lateness_p50_ms,
        "lateness_p99_ms": figures.lateness_p99_ms,
        "missed_intervals": figures.missed_intervals,
        "ticks": figures.ticks,
        "frames_late": frames_late,
        "frames_skipped": frames_skipped,
        "jb_late": jb_late,
        "lost_in": lost_inbound,
        "lost_out": report["lost_window"],
        "far_late": report["late_window"],
        "far_p99_ms": report["arrival_lateness_p99_ms"],
        "far_cpu_pct": 100.0 * report["cpu_window_s"] / args.seconds,
        "load": load,
    }


def nothing_late(row: dict[str, Any]) -> bool:
    """
    Nothing a caller would notice: no frame skipped, no packet lost either way,
    none arriving at the far end more than 40 ms behind its timestamp (past a
    2-frame jitter buffer), none too late for our own jitter buffer. Frames
    sent on a catch-up tick within that budget are reported, not judged.
    """
    return (
        row["frames_skipped"] == 0
        and row["far_late"] == 0
        and row["jb_late"] == 0
        and row["lost_in"] == 0
        and row["lost_out"] == 0
    )


COLUMNS = (
    ("mode", "{:>6}"),
    ("legs", "{:>5}"),
    ("cpu_pct", "{:>6.1f}"),
    ("cpu_us_per_leg_s", "{:>9.0f}"),
    ("lateness_p50_ms", "{:>7.2f}"),
    ("lateness_p99_ms", "{:>7.2f}"),
    ("missed_intervals", "{:>6}"),
    ("frames_late", "{:>6}"),
    ("frames_skipped", "{:>6}"),
    ("jb_late", "{:>6}"),
    ("lost_in", "{:>6}"),
    ("lost_out", "{:>6}"),
    ("far_late", "{:>6}"),
    ("far_p99_ms", "{:>7.2f}"),
    ("far_cpu_pct", "{:>6.1f}"),
    ("load", "{:>5.2f}"),
)
HEADER = (
    "  mode  legs   cpu%  us/leg/s  tick50  tick99  missd   late  skipd jbLate lostIn lstOut farLat  far99   far%  load"
)
LEGEND = """cpu% and us/leg/s: this process's CPU (user+system) over the measured window, in total and per leg per second.
tick50/tick99: ticker lateness percentiles (ms after the instant a tick was first due). missd: 20 ms intervals
without a tick of their own. late: frames sent on a catch-up tick; skipd: owed frames dropped by the burst cap.
jbLate: packets too late for our jitter buffer. lostIn/lstOut: packets lost far end->us / us->far end.
farLat: packets the far ends got >40 ms behind their timestamp; far99: their lateness p99 (ms); far%: far-end
process CPU. load: 1-minute load average (other processes on this machine disturb the lateness figures)."""


def print_row(row: dict[str, Any]) -> None:
    line = " ".join(fmt.format(row[key]) for key, fmt in COLUMNS)
    print(line + ("" if nothing_late(row) else "   <- late"), flush=True)


@inlineCallbacks
def main(args: argparse.Namespace) -> Any:
    rows = []
    print(
        f"RTP capacity: G.711 both ways, 20 ms, {args.warmup:g} s warm-up + {args.seconds:g} s measured per run;"
        f" python {sys.version.split()[0]}, {os.cpu_count()} cores",
        flush=True,
    )
    print(LEGEND, flush=True)
    print(HEADER, flush=True)
    bad_in_a_row = 0
    for count in args.legs:
        pair = {}
        for mode in ("engine", "bare"):
            row = yield run(mode, count, args)
            rows.append(row)
            pair[mode] = row
            print_row(row)
        bad_in_a_row = 0 if nothing_late(pair["engine"]) else bad_in_a_row + 1
        if bad_in_a_row >= 2 or pair["engine"]["cpu_pct"] > 97:
            print(f"(stopping: the engine is saturated at {count} legs)", flush=True)
            break
    good = [r for r in rows if r["mode"] == "engine" and nothing_late(r)]
    if good:
        best = max(good, key=lambda r: r["legs"])
        bare = next(r for r in rows if r["mode"] == "bare" and r["legs"] == best["legs"])
        ratio = best["cpu_us_per_leg_s"] / bare["cpu_us_per_leg_s"]
        print(
            f"highest N with nothing late: {best['legs']} legs;"
            f" engine {best['cpu_us_per_leg_s']:.0f} us/leg/s vs bare {bare['cpu_us_per_leg_s']:.0f} us/leg/s:"
            f" ratio {ratio:.2f}; engine at {best['cpu_pct']:.0f}% of a core"
            f" (~{int(best['legs'] * 100 / max(best['cpu_pct'], 1e-9))} legs per core at this cost)",
            flush=True,
        )
    else:
        print("no N ran with nothing late", flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: two small N, short windows (< 20 s)")
    parser.add_argument("--legs", type=lambda s: [int(x) for x in s.split(",")], help="comma-separated N values")
    parser.add_argument("--seconds", type=float, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per run")
    parser.add_argument("--rtp-ports", default="30000-39999", help="engine port range (default 30000-39999)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.legs = args.legs or [50, 200]
        args.seconds = args.seconds or 2.0
        args.warmup = args.warmup or 0.5
    else:
        args.legs = args.legs or [100, 250, 500, 750, 1000, 1250, 1500, 2000]
        args.seconds = args.seconds or 6.0
        args.warmup = args.warmup or 1.5
    return args


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    outcome: list[BaseException] = []

    def done(result: object) -> None:
        if hasattr(result, "raiseException"):
            outcome.append(result)  # type: ignore[arg-type]
            result.printTraceback()  # type: ignore[attr-defined]
        reactor.stop()  # type: ignore[attr-defined]

    reactor.callWhenRunning(lambda: main(arguments).addBoth(done))  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    sys.exit(1 if outcome else 0)
