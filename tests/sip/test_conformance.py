"""The RFC 4475 and RFC 5118 torture tests, one committed outcome per file (conformance_table)."""

from __future__ import annotations

import hashlib

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.conformance_table import ACCEPT, CASES, DISCARD, REJECT, TRANSPORT, UA, Case
from tests.sip.corpus import DATA, corpus_files, raw_bytes, wire_bytes
from voicedock.sip.errors import SipParseError
from voicedock.sip.parser import parse_datagram
from voicedock.sip.stateless import error_response


class CorpusIntegrityTests(SynchronousTestCase):
    """The bytes under tests/data are the published ones (a git normalisation would show here)."""

    def test_sha256sums(self) -> None:
        for corpus in ("rfc4475", "rfc5118"):
            sums = {}
            for line in (DATA / corpus / "SHA256SUMS").read_text().splitlines():
                digest, name = line.split(maxsplit=1)
                sums[name.lstrip("*")] = digest
            self.assertEqual(sorted(sums), corpus_files(corpus))
            for name, digest in sums.items():
                self.assertEqual(
                    hashlib.sha256(raw_bytes(corpus, name)).hexdigest(), digest, f"{corpus}/{name}"
                )

    def test_gitattributes_binary(self) -> None:
        for corpus in ("rfc4475", "rfc5118"):
            self.assertEqual((DATA / corpus / ".gitattributes").read_text().split(), ["*", "-text"])

    def test_crlf_as_archived(self) -> None:
        """RFC 4475 is CRLF (bare LF only in mpart01's binary part); RFC 5118 is bare LF."""
        for name in corpus_files("rfc4475"):
            data = raw_bytes("rfc4475", name)
            bare = data.count(b"\n") - data.count(b"\r\n")
            self.assertEqual(bare, 3 if name == "mpart01.dat" else 0, name)
        for name in corpus_files("rfc5118"):
            self.assertNotIn(b"\r", raw_bytes("rfc5118", name), name)

    def test_one_case_per_file(self) -> None:
        for corpus in ("rfc4475", "rfc5118"):
            listed = sorted(c.file for c in CASES if c.corpus == corpus)
            self.assertEqual(listed, corpus_files(corpus))
        self.assertEqual(len(CASES), 62)

    def test_table_is_consistent(self) -> None:
        for case in CASES:
            if case.answered_by == UA:
                self.assertEqual(case.outcome, ACCEPT, case.file)
                self.assertIsNotNone(case.response, case.file)
            if case.outcome == DISCARD:
                self.assertIsNone(case.response, case.file)
            if case.answered_by == TRANSPORT:
                self.assertEqual(case.outcome, REJECT, case.file)


class TortureTests(SynchronousTestCase):
    """One test per file, generated from the table below."""

    def check(self, case: Case) -> None:
        data = wire_bytes(case.corpus, case.file, case.recompute_content_length)
        if case.outcome == ACCEPT:
            m = parse_datagram(data)
            for expression, expected in case.fields.items():
                actual = eval(expression, {}, {"m": m})  # committed constant expressions
                self.assertEqual(actual, expected, f"{case.file}: {expression}")
            # The wire form we write reads back as the same message.
            again = parse_datagram(m.to_bytes())
            self.assertEqual(again, m)
            for expression in case.fields:
                self.assertEqual(eval(expression, {}, {"m": again}), eval(expression, {}, {"m": m}))
            return
        error = self.assertRaises(SipParseError, parse_datagram, data)
        self.assertIsInstance(error, case.error, error.reason)
        response = error_response(error)
        if case.outcome == DISCARD:
            self.assertEqual(error.partial.kind, "response")
            self.assertIsNone(response)
            return
        if case.response is None:
            self.assertIsNone(response)
            return
        self.assertEqual(response.status, case.response)
        self.assertEqual(response.reason, error.reason)
        # RFC 3261 §8.2.6.2: whatever of Via, Call-ID and CSeq the request had is echoed.
        self.assertEqual(response.header_values("Via"), error.partial.header_values("Via"))
        for name in ("Call-ID", "CSeq"):
            self.assertEqual(response.header_values(name), error.partial.header_values(name)[:1])


def _make_test(case: Case):  # type: ignore[no-untyped-def]
    def test(self: TortureTests) -> None:
        self.check(case)

    test.__doc__ = f"{case.corpus}/{case.file}: {case.outcome} {case.response or ''} {case.why}"
    return test


for _case in CASES:
    _name = "test_" + _case.file.replace(".dat", "").replace("-", "_")
    setattr(TortureTests, _name, _make_test(_case))


class TortureDetailTests(SynchronousTestCase):
    """Behaviours of single files the table cannot say in one cell."""

    def test_baddn_display_name_fault(self) -> None:
        """With the missing empty line added, the fault found is the unquoted display name."""
        data = raw_bytes("rfc4475", "baddn.dat") + b"\r\n"
        error = self.assertRaises(SipParseError, parse_datagram, data)
        self.assertEqual(
            error.reason, "Malformed From header: display name must be tokens or a quoted string"
        )
        self.assertEqual(error_response(error).status, 400)

    def test_dblreq_trailing_octets_not_a_second_request(self) -> None:
        data = raw_bytes("rfc4475", "dblreq.dat")
        m = parse_datagram(data)
        self.assertEqual(m.to_bytes(), data[:300])
        self.assertTrue(data[300:].startswith(b"\r\nINVITE "))

    def test_mpart01_body_bytes_exact(self) -> None:
        data = raw_bytes("rfc4475", "mpart01.dat")
        m = parse_datagram(data)
        self.assertEqual(m.body, data[-553:])

    def test_unknown_headers_written_back(self) -> None:
        m = parse_datagram(raw_bytes("rfc4475", "wsinv.dat"))
        wire = m.to_bytes()
        self.assertIn(b"\r\nUnknownHeaderWithUnusualValue: ;;,,;;,;\r\n", wire)
        self.assertIn(
            b"\r\nNewFangledHeader: newfangled value continued newfangled value\r\n", wire
        )

    def test_intmeth_raw_control_octets_survive(self) -> None:
        data = raw_bytes("rfc4475", "intmeth.dat")
        m = parse_datagram(data)
        to_line = next(line for line in data.split(b"\r\n") if line.startswith(b"To: "))
        self.assertIn(b"To: " + m.header("To").encode("utf-8", "surrogateescape"), [to_line])
        # Written back unchanged but for the one space we always put after the colon.
        self.assertEqual(m.to_bytes(), data.replace(b"'~:\xef", b"'~: \xef"))

    def test_stateless_400_reason_names_problem(self) -> None:
        error = self.assertRaises(
            SipParseError, parse_datagram, raw_bytes("rfc4475", "scalar02.dat")
        )
        response = error_response(error)
        self.assertEqual(
            response.to_bytes().split(b"\r\n")[0],
            b"SIP/2.0 400 Malformed CSeq header: sequence number exceeds 2**32-1",
        )
        self.assertEqual(response.header("CSeq"), "36893488147419103232 REGISTER")
        self.assertEqual(response.header("Call-ID"), "scalar02.23o0pd9vanlq3wnrlnewofjas9ui32")
        self.assertTrue(response.to_tag.startswith("sl"))
