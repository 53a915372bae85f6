# -*- test-case-name: tests.sip.test_digest -*-
"""
HTTP Digest authentication as a SIP client (RFC 3261 §22.2, §22.3; RFC 2617;
RFC 7616 as profiled for SIP by RFC 8760): parse WWW-Authenticate and
Proxy-Authenticate challenges, compute the response (MD5, SHA-256,
SHA-512-256 and their ``-sess`` forms; ``qop=auth`` and ``auth-int``, ``nc``
and ``cnonce``), and decide when to give up so a wrong password never loops.

Credentials are never logged: :class:`Credentials` hides its password from
``repr`` and nothing here logs header values.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable

import attrs

from voicedock.sip.errors import SipParseError
from voicedock.sip.grammar import Scanner, quote, unquote

#: Algorithms we can answer, in the order we prefer them when a server
#: offers several challenges (RFC 8760 §2.4 lets the client pick).
_HASHES: dict[str, Callable[[bytes], str]] = {
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
    "MD5": lambda data: hashlib.md5(data).hexdigest(),  # noqa: S324 - the protocol's hash
}
ALGORITHMS = tuple(
    name for base in _HASHES for name in (base, base + "-SESS")
)

#: Challenge header -> the header carrying our answer (RFC 3261 §22.2, §22.3).
ANSWER_HEADER = {"www-authenticate": "Authorization", "proxy-authenticate": "Proxy-Authorization"}


class DigestError(SipParseError):
    """A challenge we cannot read or cannot answer."""


@attrs.frozen
class Credentials:
    """A username and password, optionally only for one ``realm``. The password never shows in repr."""

    username: str
    password: str = attrs.field(repr=False)
    realm: str | None = None

    def fits(self, realm: str) -> bool:
        return self.realm is None or self.realm == realm


@attrs.frozen
class Challenge:
    """One Digest challenge (RFC 7616 §3.3). ``header`` is the lower-case name it came in."""

    realm: str
    nonce: str
    header: str = "www-authenticate"
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False
    userhash: bool = False
    domain: str | None = None

    @property
    def answer_header(self) -> str:
        return ANSWER_HEADER[self.header]

    @property
    def supported(self) -> bool:
        qop_ok = not self.qop or "auth" in self.qop or "auth-int" in self.qop
        return self.algorithm.upper() in ALGORITHMS and qop_ok


def _auth_params(text: str, what: str) -> dict[str, str]:
    """``auth-param *( COMMA auth-param )``: names lower-cased, quoted values unquoted."""
    scanner = Scanner(text, what)
    params: dict[str, str] = {}
    while True:
        scanner.skip_ws()
        if scanner.at_end():
            break
        name = scanner.token("parameter name").lower()
        scanner.expect("=")
        scanner.skip_ws()
        if scanner.peek() == '"':
            value = unquote(scanner.quoted_string())
        else:
            value = scanner.token("parameter value")
        params[name] = value
        scanner.skip_ws()
        if scanner.at_end():
            break
        scanner.expect(",")
    return params


def parse_challenge(text: str, header: str = "www-authenticate") -> Challenge:
    """Parse a ``Digest`` challenge value; other schemes raise :class:`DigestError`."""
    scheme, _, rest = text.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError(f"unsupported authentication scheme {scheme!r}")
    try:
        params = _auth_params(rest, header)
    except SipParseError as error:
        raise DigestError(f"malformed challenge: {error.reason}") from None
    if "realm" not in params or "nonce" not in params:
        raise DigestError("challenge without realm or nonce")
    qop = tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
    return Challenge(
        realm=params["realm"],
        nonce=params["nonce"],
        header=header.lower(),
        algorithm=params.get("algorithm", "MD5").upper(),
        qop=qop,
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
        userhash=params.get("userhash", "").lower() == "true",
        domain=params.get("domain"),
    )


def challenges(response_headers: Iterable[tuple[str, str]]) -> list[Challenge]:
    """
    Every Digest challenge of a 401/407, in order, skipping those we cannot
    read (another scheme, a broken value): ``response_headers`` are
    ``(name, value)`` pairs, e.g. ``[(h.name, h.value) for h in response.headers]``.
    """
    found = []
    for name, value in response_headers:
        key = name.lower()
        if key not in ANSWER_HEADER:
            continue
        try:
            found.append(parse_challenge(value, key))
        except DigestError:
            continue
    return found


def _hash(algorithm: str, text: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    return _HASHES[base](text.encode("utf-8"))


def digest_response(
    challenge: Challenge,
    credentials: Credentials,
    method: str,
    uri: str,
    *,
    cnonce: str,
    nc: int,
    body: bytes = b"",
) -> tuple[str, str | None]:
    """
    The ``response`` value and the qop used (RFC 7616 §3.4.1, RFC 2617 §3.2.2).
    ``qop=auth`` is preferred over ``auth-int``; without qop the RFC 2069 form is used.
    """
    algorithm = challenge.algorithm
    if algorithm not in ALGORITHMS:
        raise DigestError(f"unsupported digest algorithm {algorithm}")
    qop = None
    if challenge.qop:
        qop = "auth" if "auth" in challenge.qop else "auth-int" if "auth-int" in challenge.qop else None
        if qop is None:
            raise DigestError("no supported qop in challenge")
    ha1 = _hash(algorithm, f"{credentials.username}:{challenge.realm}:{credentials.password}")
    if algorithm.endswith("-SESS"):
        ha1 = _hash(algorithm, f"{ha1}:{challenge.nonce}:{cnonce}")
    if qop == "auth-int":
        ha2 = _hash(algorithm, f"{method}:{uri}:{_HASHES[algorithm.removesuffix('-SESS')](body)}")
    else:
        ha2 = _hash(algorithm, f"{method}:{uri}")
    if qop is None:
        return _hash(algorithm, f"{ha1}:{challenge.nonce}:{ha2}"), None
    return _hash(algorithm, f"{ha1}:{challenge.nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}"), qop


def authorization(
    challenge: Challenge,
    credentials: Credentials,
    method: str,
    uri: str,
    *,
    cnonce: str,
    nc: int,
    body: bytes = b"",
) -> str:
    """The Authorization / Proxy-Authorization value answering ``challenge`` (RFC 7616 §3.4)."""
    response, qop = digest_response(
        challenge, credentials, method, uri, cnonce=cnonce, nc=nc, body=body
    )
    username = credentials.username
    if challenge.userhash:
        username = _hash(challenge.algorithm, f"{credentials.username}:{challenge.realm}")
    parts = [
        f"username={quote(username)}",
        f"realm={quote(challenge.realm)}",
        f"nonce={quote(challenge.nonce)}",
        f"uri={quote(uri)}",
        f"response={quote(response)}",
        f"algorithm={challenge.algorithm}",
    ]
    if qop is not None:
        parts += [f"cnonce={quote(cnonce)}", f"qop={qop}", f"nc={nc:08x}"]
    if challenge.opaque is not None:
        parts.append(f"opaque={quote(challenge.opaque)}")
    if challenge.userhash:
        parts.append("userhash=true")
    return "Digest " + ", ".join(parts)


class DigestClient:
    """
    The client side of one request's authentication, kept across retries
    (and reusable for later requests of the same dialog).

    :meth:`answer` turns a 401/407 into the header fields for the retry, or
    returns None when retrying is pointless: no credentials for the realm,
    no challenge we support, or the server challenged again for a realm we
    already answered with a nonce it did not call ``stale`` (wrong
    password, RFC 7616 §3.3: only ``stale=true`` invites a retry). So a
    wrong password ends in the server's final answer (401, 407 or 403),
    never in a loop.
    """

    def __init__(
        self,
        credentials: Credentials | Iterable[Credentials],
        cnonce: Callable[[], str] = lambda: secrets.token_hex(8),
        max_attempts: int = 3,
    ) -> None:
        self._credentials = (
            (credentials,) if isinstance(credentials, Credentials) else tuple(credentials)
        )
        self._cnonce = cnonce
        self._max_attempts = max_attempts
        self._attempts = 0
        #: realm -> (challenge, nonce count) of the last challenge answered.
        self._answered: dict[tuple[str, str], tuple[Challenge, int]] = {}

    def _credentials_for(self, realm: str) -> Credentials | None:
        return next((c for c in self._credentials if c.fits(realm)), None)

    def answer(
        self, response_headers: Iterable[tuple[str, str]], method: str, uri: str, body: bytes = b""
    ) -> list[tuple[str, str]] | None:
        """Header fields to add to the retried request, or None to give up."""
        self._attempts += 1
        if self._attempts > self._max_attempts:
            return None
        chosen: dict[tuple[str, str], Challenge] = {}
        for challenge in challenges(response_headers):
            key = (challenge.header, challenge.realm)
            if not challenge.supported or key in chosen:
                continue
            if self._credentials_for(challenge.realm) is None:
                continue
            chosen[key] = challenge  # the first supported one per realm: the server's preference
        if not chosen:
            return None
        if any(key in self._answered and not c.stale for key, c in chosen.items()):
            return None  # challenged again after our answer, not stale: credentials refused
        fields = []
        for key, challenge in chosen.items():
            self._answered[key] = (challenge, 0)
            fields.append(self._field(key, challenge, method, uri, body))
        return fields

    def _field(
        self, key: tuple[str, str], challenge: Challenge, method: str, uri: str, body: bytes
    ) -> tuple[str, str]:
        old, nc = self._answered[key]
        nc += 1
        self._answered[key] = (challenge, nc)
        credentials = self._credentials_for(challenge.realm)
        assert credentials is not None
        value = authorization(
            challenge, credentials, method, uri, cnonce=self._cnonce(), nc=nc, body=body
        )
        return challenge.answer_header, value

    def authorize(self, method: str, uri: str, body: bytes = b"") -> list[tuple[str, str]]:
        """
        Credentials for a later request (e.g. a BYE in the same dialog) from
        the challenges already answered, with the nonce count advanced
        (RFC 7616 §3.4: pre-emptive use of a nonce).
        """
        return [
            self._field(key, challenge, method, uri, body)
            for key, (challenge, _) in list(self._answered.items())
        ]
