"""
OPTIONS transactions per second that VoiceDock's UA core answers under SIPp
load with zero failures, next to a SIPp UAS answering the same load in the
same run (the C++ reference on this machine), and the ratio.

Method: SIPp sends one OPTIONS per "call" (scenario ``uac_options_load``) at
a rate that doubles step by step (then is refined between the last good and
the first bad step). A step passes when no call failed and the throughput
(successful transactions / wall-clock seconds of the SIPp run) reached 90 %
of the rate asked. Each server's figure is the best throughput of a passing
step. Everything runs on 127.0.0.1, every SIPp run is bounded in time.

    .venv/bin/python bench/sip_options.py            # about a minute
    .venv/bin/python bench/sip_options.py --quick    # about 15 s (CI smoke run)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from twisted.internet import defer, task
from twisted.internet.defer import Deferred, inlineCallbacks

from voicedock.gctuning import tune_for_serving
from voicedock.sip.inbound import RateLimit
from voicedock.sip.routing import HostPort
from voicedock.sip.transport import TransportConfig
from voicedock.sip.ua import UserAgentConfig
from voicedock.testing.sip_peers.process import free_port, sleep
from voicedock.testing.sip_peers.sipp import SIPP, SIPP_MISSING, SippRun
from voicedock.testing.sip_peers.uas_app import start_uas

UNLIMITED = TransportConfig(rate_limit=RateLimit(rate=1e9, burst=1e9, max_sources=16))


@inlineCallbacks
def step(reactor, target: HostPort, rate: int, seconds: float):  # type: ignore[no-untyped-def]
    """One load step; returns (passed, throughput, failed, retransmissions)."""
    count = max(1, int(rate * seconds))
    started = time.monotonic()
    run = SippRun(reactor, "uac_options_load", target, calls=count, rate=rate,
                  limit=max(200, rate), timeout=seconds * 4 + 10, trace=False)
    result = yield run.done
    elapsed = time.monotonic() - started
    ok = result.counter("SuccessfulCall")
    failed = result.counter("FailedCall") + (count - ok if result.exit_code not in (0, 1) else 0)
    throughput = ok / elapsed if elapsed > 0 else 0.0
    passed = result.exit_code == 0 and failed == 0 and ok == count and throughput >= 0.9 * rate
    return passed, throughput, failed, result.counter("Retransmissions")


@inlineCallbacks
def ladder(reactor, name: str, server: Callable[[int], Deferred[HostPort]],  # type: ignore[no-untyped-def]
           rates: list[int], seconds: float, refine: int):
    """
    Raise the rate until a step fails; then bisect ``refine`` times. Returns the
    best throughput with zero failures, the best with zero failures and zero
    retransmissions (every answer within T1), and whether no step failed.
    """
    best = clean = 0.0
    good, bad = 0, None
    tried = list(rates)
    while tried:
        rate = tried.pop(0)
        target = yield server(int(rate * seconds))
        passed, throughput, failed, retrans = yield step(reactor, target, rate, seconds)
        print(f"  {name:9} rate {rate:6d}/s: {throughput:8.0f} transactions/s, "
              f"failed {failed}, retransmissions {retrans} -> {'ok' if passed else 'FAIL'}", flush=True)
        if passed:
            best, good = max(best, throughput), max(good, rate)
            if retrans == 0:
                clean = max(clean, throughput)
        else:
            bad = rate if bad is None else min(bad, rate)
            tried = []
        if not tried and bad is not None and refine > 0:
            refine -= 1
            middle = (good + bad) // 2
            if good < middle < bad:
                tried = [middle]
    return best, clean, bad is None


@inlineCallbacks
def main(reactor, argv: list[str]):  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (about 15 s)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per load step")
    parser.add_argument("--default-gc", action="store_true",
                        help="keep CPython's default collector settings (the server tunes them)")
    args = parser.parse_args(argv)
    if not args.default_gc:
        tune_for_serving()  # as twistd voicedock does after start-up
    if SIPP is None:
        print(f"skipped: {SIPP_MISSING}")
        return
    if args.quick:
        rates, seconds, refine = [500, 1000, 2000], args.seconds or 1.5, 0
    else:
        rates, seconds, refine = [500, 1000, 2000, 4000, 8000, 16000, 32000], args.seconds or 4.0, 2

    app = start_uas(reactor, UserAgentConfig(public_address="127.0.0.1"), tcp=False,
                    transport_config=UNLIMITED, record_transitions=False)

    def voicedock(count: int) -> Deferred[HostPort]:
        return defer.succeed(app.address)

    uas_runs: list[SippRun] = []

    @inlineCallbacks
    def sipp_uas(count: int):  # type: ignore[no-untyped-def]
        for run in uas_runs:
            yield run.stop()
        uas_runs.clear()
        port = free_port("udp")
        uas_runs.append(SippRun(reactor, "uas_options_load", None, calls=count, port=port,
                                timeout=seconds * 4 + 10, trace=False))
        yield sleep(reactor, 0.3)  # let it bind
        return HostPort("127.0.0.1", port)

    print(f"OPTIONS load on 127.0.0.1, {seconds:g} s per step, UDP", flush=True)
    try:
        ours, ours_clean, ours_capped = yield ladder(reactor, "VoiceDock", voicedock, rates, seconds, refine)
        theirs, theirs_clean, theirs_capped = yield ladder(reactor, "SIPp UAS", sipp_uas, rates, seconds, refine)
    finally:
        for run in uas_runs:
            yield run.stop()
        yield app.close()
    print()
    note = lambda capped: " (the highest rate tried: the client may be the limit)" if capped else ""  # noqa: E731
    print(f"VoiceDock UA core: {ours:8.0f} OPTIONS transactions/s with zero failures{note(ours_capped)}")
    print(f"SIPp UAS (C++):    {theirs:8.0f} OPTIONS transactions/s with zero failures{note(theirs_capped)}")
    ratio = ours / theirs if theirs else 0.0
    print(f"ratio VoiceDock / SIPp: {ratio:.2f}")
    print(f"(with zero retransmissions too, i.e. every answer within T1: VoiceDock {ours_clean:.0f}/s, "
          f"SIPp {theirs_clean:.0f}/s)")
    if ours <= 0:
        raise SystemExit("VoiceDock answered no load step without failures")


if __name__ == "__main__":
    task.react(main, (sys.argv[1:],))
