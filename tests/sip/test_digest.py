"""Digest authentication as a client (RFC 2617, RFC 7616): published vectors and retry rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.digest import (
    Challenge,
    Credentials,
    DigestClient,
    DigestError,
    authorization,
    challenges,
    digest_response,
    parse_challenge,
)

RFC7616_CHALLENGE = (
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={alg}, '
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
MUFASA_7616 = Credentials("Mufasa", "Circle of Life")


class VectorTests(SynchronousTestCase):
    def test_rfc2617_example(self) -> None:
        challenge = parse_challenge(
            'Digest realm="testrealm@host.com", qop="auth,auth-int", '
            'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
        )
        response, qop = digest_response(
            challenge, Credentials("Mufasa", "Circle Of Life"), "GET", "/dir/index.html",
            cnonce="0a4f113b", nc=1,
        )
        self.assertEqual((response, qop), ("6629fae49393a05397450978507c4ef1", "auth"))

    def test_rfc7616_md5(self) -> None:
        challenge = parse_challenge(RFC7616_CHALLENGE.format(alg="MD5"))
        response, _ = digest_response(
            challenge, MUFASA_7616, "GET", "/dir/index.html", cnonce=RFC7616_CNONCE, nc=1
        )
        self.assertEqual(response, "8ca523f5e9506fed4657c9700eebdbec")

    def test_rfc7616_sha256(self) -> None:
        challenge = parse_challenge(RFC7616_CHALLENGE.format(alg="SHA-256"))
        response, _ = digest_response(
            challenge, MUFASA_7616, "GET", "/dir/index.html", cnonce=RFC7616_CNONCE, nc=1
        )
        self.assertEqual(response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")

    def test_rfc3261_style_no_qop(self) -> None:
        # RFC 2069 form: H(HA1:nonce:HA2), what Asterisk and many trunks send without qop.
        import hashlib

        challenge = parse_challenge('Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e"')
        response, qop = digest_response(
            challenge, Credentials("bob", "zanzibar"), "INVITE", "sip:bob@biloxi.com", cnonce="x", nc=1
        )
        ha1 = hashlib.md5(b"bob:atlanta.com:zanzibar").hexdigest()
        ha2 = hashlib.md5(b"INVITE:sip:bob@biloxi.com").hexdigest()
        expected = hashlib.md5(f"{ha1}:84a4cc6f3082121f32b42a2187831a9e:{ha2}".encode()).hexdigest()
        self.assertEqual((response, qop), (expected, None))

    def test_sess_and_auth_int(self) -> None:
        import hashlib

        challenge = Challenge("r", "n", algorithm="SHA-256-SESS", qop=("auth-int",))
        response, qop = digest_response(
            challenge, Credentials("u", "p"), "INVITE", "sip:x@y", cnonce="c", nc=2, body=b"v=0\r\n"
        )
        h = lambda s: hashlib.sha256(s.encode()).hexdigest()  # noqa: E731
        ha1 = h(f"{h('u:r:p')}:n:c")
        ha2 = h(f"INVITE:sip:x@y:{hashlib.sha256(b'v=0' + bytes([13, 10])).hexdigest()}")
        self.assertEqual((response, qop), (h(f"{ha1}:n:00000002:c:auth-int:{ha2}"), "auth-int"))

    def test_authorization_value(self) -> None:
        challenge = parse_challenge(RFC7616_CHALLENGE.format(alg="SHA-256"), "proxy-authenticate")
        value = authorization(
            challenge, MUFASA_7616, "GET", "/dir/index.html", cnonce=RFC7616_CNONCE, nc=1
        )
        self.assertEqual(
            value,
            'Digest username="Mufasa", realm="http-auth@example.org", '
            'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", '
            'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", '
            'algorithm=SHA-256, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", '
            'qop=auth, nc=00000001, opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
        )
        self.assertEqual(challenge.answer_header, "Proxy-Authorization")


class ParseTests(SynchronousTestCase):
    def test_fields(self) -> None:
        c = parse_challenge(
            'Digest  realm="voicedock-test-pbx", nonce="Zx1=", qop="auth", stale=TRUE, '
            'algorithm=md5, userhash=true'
        )
        self.assertEqual(
            (c.realm, c.nonce, c.qop, c.stale, c.algorithm, c.userhash),
            ("voicedock-test-pbx", "Zx1=", ("auth",), True, "MD5", True),
        )

    def test_other_scheme_and_broken(self) -> None:
        self.assertRaises(DigestError, parse_challenge, 'Basic realm="x"')
        self.assertRaises(DigestError, parse_challenge, 'Digest realm="x"')
        self.assertRaises(DigestError, parse_challenge, 'Digest realm="x, nonce=1')
        found = challenges([("WWW-Authenticate", 'Basic realm="x"'),
                            ("Proxy-Authenticate", 'Digest realm="p", nonce="1"'),
                            ("Via", "SIP/2.0/UDP x")])
        self.assertEqual([(c.header, c.realm) for c in found], [("proxy-authenticate", "p")])

    @given(st.text(max_size=80))
    def test_never_raises_anything_else(self, text: str) -> None:
        try:
            parse_challenge("Digest " + text)
        except DigestError:
            pass


def _challenge(nonce: str = "n1", stale: bool = False, header: str = "WWW-Authenticate",
               realm: str = "pbx", algorithm: str = "MD5") -> tuple[str, str]:
    value = f'Digest realm="{realm}", nonce="{nonce}", qop="auth", algorithm={algorithm}'
    if stale:
        value += ", stale=true"
    return header, value


class ClientTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.cnonces = iter(f"c{i}" for i in range(100))
        self.client = DigestClient(Credentials("trunk", "s3cret"), cnonce=lambda: next(self.cnonces))

    def test_answers_once_then_gives_up(self) -> None:
        fields = self.client.answer([_challenge("n1")], "INVITE", "sip:1@pbx")
        self.assertEqual([name for name, _ in fields], ["Authorization"])
        self.assertIn('username="trunk"', fields[0][1])
        self.assertIn("nc=00000001", fields[0][1])
        self.assertNotIn("s3cret", fields[0][1])
        # the server challenges again with a fresh nonce, not stale: wrong password, no loop
        self.assertIsNone(self.client.answer([_challenge("n2")], "INVITE", "sip:1@pbx"))

    def test_stale_retries(self) -> None:
        self.client.answer([_challenge("n1")], "INVITE", "sip:1@pbx")
        fields = self.client.answer([_challenge("n2", stale=True)], "INVITE", "sip:1@pbx")
        self.assertIn('nonce="n2"', fields[0][1])

    def test_attempts_bounded_even_when_stale(self) -> None:
        results = [self.client.answer([_challenge(f"n{i}", stale=True)], "INVITE", "sip:1@pbx")
                   for i in range(5)]
        self.assertEqual([r is not None for r in results], [True, True, True, False, False])

    def test_proxy_header_and_realm_filter(self) -> None:
        client = DigestClient([Credentials("a", "b", realm="other")])
        self.assertIsNone(client.answer([_challenge(header="Proxy-Authenticate")], "INVITE", "sip:x"))
        client = DigestClient([Credentials("a", "b", realm="pbx")], cnonce=lambda: "c")
        fields = client.answer([_challenge(header="Proxy-Authenticate")], "INVITE", "sip:x")
        self.assertEqual(fields[0][0], "Proxy-Authorization")

    def test_prefers_first_supported(self) -> None:
        fields = self.client.answer(
            [("WWW-Authenticate", 'Digest realm="pbx", nonce="a", algorithm=SHA-1'),
             _challenge("b", algorithm="SHA-256"), _challenge("c", algorithm="MD5")],
            "INVITE", "sip:1@pbx",
        )
        self.assertEqual(len(fields), 1)
        self.assertIn("algorithm=SHA-256", fields[0][1])

    def test_preemptive_authorize_advances_nc(self) -> None:
        self.client.answer([_challenge("n1")], "INVITE", "sip:1@pbx")
        (name, value), = self.client.authorize("BYE", "sip:1@pbx")
        self.assertEqual(name, "Authorization")
        self.assertIn("nc=00000002", value)
        self.assertIn('uri="sip:1@pbx"', value)

    def test_credentials_repr_hides_password(self) -> None:
        self.assertNotIn("s3cret", repr(Credentials("trunk", "s3cret")))
