"""
SIP message parse / serialize throughput.

    .venv/bin/python bench/sip_parse.py            # about 2 s per figure
    .venv/bin/python bench/sip_parse.py --quick    # about 1 s in all (CI smoke run)

Three messages: a realistic INVITE with an SDP offer, a 200 OK, and RFC 4475's
longreq.dat (3515 octets, 34 Vias). "parse" is `parse_datagram` (which also
validates Via, From, To, Call-ID, CSeq, Contact ... into typed values);
"serialize" is `to_bytes()` of the parsed message; "parse+serialize" is both,
as a stateless element would do; "answer" parses and builds + serializes a 200
response (`make_response`), which is what a UAS does per request.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicedock.sip.message import make_response  # noqa: E402
from voicedock.sip.parser import parse_datagram  # noqa: E402
from voicedock.testing.sip_samples import OK_200, SDP_OFFER  # noqa: E402

SDP = SDP_OFFER

INVITE = (
    b"INVITE sip:+15551234567@voicedock.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKnashds7;received=10.1.1.1\r\n"
    b"Record-Route: <sip:proxy.example.com;lr>\r\n"
    b"Max-Forwards: 69\r\n"
    b"To: <sip:+15551234567@voicedock.example.com>\r\n"
    b'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY\r\n"
    b"Supported: replaces, timer, 100rel\r\n"
    b"Session-Expires: 1800\r\n"
    b"User-Agent: Softphone/1.0\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: " + str(len(SDP)).encode() + b"\r\n"
    b"\r\n" + SDP
)



def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``work``, measured over about ``seconds``."""
    batch = 1
    while True:  # grow the batch until one takes a measurable time
        start = time.perf_counter()
        for _ in range(batch):
            work()
        elapsed = time.perf_counter() - start
        if elapsed > 0.02 or batch > 1_000_000:
            break
        batch *= 4
    done, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(batch):
            work()
        done += batch
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (~1 s)")
    args = parser.parse_args()
    seconds = 0.07 if args.quick else 2.0
    longreq = (ROOT / "tests" / "data" / "rfc4475" / "longreq.dat").read_bytes()
    samples = [("INVITE + SDP", INVITE), ("200 OK", OK_200), ("longreq.dat", longreq)]

    print(f"Python {sys.version.split()[0]}, {seconds:g} s per figure")
    header = (
        f"{'message':<14} {'octets':>6} {'parse/s':>10} {'serialize/s':>12} "
        f"{'parse+ser/s':>12} {'answer/s':>10} {'parse MB/s':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, data in samples:
        parsed = parse_datagram(data)
        assert parse_datagram(parsed.to_bytes()) == parsed
        parse_rate = rate(lambda: parse_datagram(data), seconds)
        serialize_rate = rate(parsed.to_bytes, seconds)
        both_rate = rate(lambda: parse_datagram(data).to_bytes(), seconds)
        if hasattr(parsed, "method"):
            answer_rate = rate(
                lambda: make_response(parse_datagram(data), 200, to_tag="x").to_bytes(), seconds
            )
            answer = f"{answer_rate:>10,.0f}"
        else:
            answer = f"{'-':>10}"
        print(
            f"{name:<14} {len(data):>6} {parse_rate:>10,.0f} {serialize_rate:>12,.0f} "
            f"{both_rate:>12,.0f} {answer} {parse_rate * len(data) / 1e6:>10.1f}"
        )


if __name__ == "__main__":
    main()
