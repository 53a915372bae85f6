# -*- test-case-name: tests.sip.test_dialog -*-
"""
Dialogs (RFC 3261 §12): the state two user agents share for a call. Built
from the dialog-creating request and response in either role (§12.1.1 UAS,
§12.1.2 UAC), they build in-dialog requests (§12.2.1.1: Request-URI, Route
set with loose and strict routing, CSeq) and check incoming ones (§12.2.2:
CSeq order, target refresh).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from voicedock.sip.address import Address
from voicedock.sip.headers import Header
from voicedock.sip.message import Request, Response, make_request
from voicedock.sip.uri import SipUri, Uri


class DialogState(enum.Enum):
    """§12: early (after a 1xx with a To tag) and confirmed (after a 2xx)."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class Role(enum.Enum):
    UAC = "UAC"
    UAS = "UAS"


@attrs.frozen
class DialogId:
    """§12: Call-ID, local tag and remote tag."""

    call_id: str
    local_tag: str
    remote_tag: str | None

    @classmethod
    def of_request(cls, request: Request) -> DialogId:
        """The id of the dialog an incoming request belongs to: our tag is its To tag."""
        return cls(request.call_id, request.to_tag or "", request.from_tag)

    @classmethod
    def of_response(cls, response: Response) -> DialogId:
        """The id of the dialog a response to our request belongs to: our tag is its From tag."""
        return cls(response.call_id, response.from_tag or "", response.to_tag)


class DialogError(Exception):
    """A message that cannot create or update a dialog (e.g. a 2xx without Contact)."""


def _remote_target(message: Request | Response) -> Uri:
    contacts = message.contacts
    if not contacts and isinstance(message, Request):
        # RFC 2543 allowed an INVITE without Contact: requests go back to the From URI
        # (RFC 4475 inv2543 asks RFC 3261 elements to keep accepting it).
        return message.from_address.uri
    if len(contacts) != 1:
        raise DialogError(f"expected one Contact, found {len(contacts)}")
    return contacts[0].uri


@attrs.define
class Dialog:
    """
    One dialog's state (§12.1): ids, sequence numbers, URIs, remote target
    and route set. ``local_seq`` is the CSeq number of the last request we
    sent in it; ``remote_seq`` that of the last request received (None: none yet).
    """

    id: DialogId
    role: Role
    local_uri: Address
    remote_uri: Address
    remote_target: Uri
    route_set: tuple[Address, ...]
    local_seq: int
    remote_seq: int | None
    secure: bool = False
    state: DialogState = DialogState.EARLY

    # -- creation ------------------------------------------------------------------

    @classmethod
    def as_uas(cls, request: Request, local_tag: str, state: DialogState = DialogState.EARLY) -> Dialog:
        """
        §12.1.1: the route set is the request's Record-Route in order, the
        remote target its Contact, remote sequence its CSeq; the local
        sequence starts empty (we start ours at 0, so our first request uses 1).
        """
        return cls(
            id=DialogId(request.call_id, local_tag, request.from_tag),
            role=Role.UAS,
            local_uri=request.to_address.with_tag(local_tag),
            remote_uri=request.from_address,
            remote_target=_remote_target(request),
            route_set=request.record_routes,
            local_seq=0,
            remote_seq=request.cseq.number,
            secure=isinstance(request.uri, SipUri) and request.uri.is_secure,
            state=state,
        )

    @classmethod
    def as_uac(cls, request: Request, response: Response) -> Dialog:
        """
        §12.1.2: the route set is the response's Record-Route in reverse, the
        remote target its Contact, local sequence the request's CSeq.
        """
        state = DialogState.CONFIRMED if 200 <= response.status < 300 else DialogState.EARLY
        return cls(
            id=DialogId.of_response(response),
            role=Role.UAC,
            local_uri=request.from_address,
            remote_uri=response.to_address,
            remote_target=_remote_target(response),
            route_set=tuple(reversed(response.record_routes)),
            local_seq=request.cseq.number,
            remote_seq=None,
            secure=isinstance(request.uri, SipUri) and request.uri.is_secure,
            state=state,
        )

    # -- updates -------------------------------------------------------------------

    def confirm(self, response: Response | None = None) -> None:
        """
        Move to confirmed. For a UAC, the 2xx fixes the route set and target
        (§12.1.2, §13.2.2.4: recomputed from the 2xx, not from the early 1xx).
        """
        if response is not None and self.role is Role.UAC:
            self.route_set = tuple(reversed(response.record_routes))
            self.update_target(response)
        self.state = DialogState.CONFIRMED

    def terminate(self) -> None:
        self.state = DialogState.TERMINATED

    def update_target(self, message: Request | Response) -> None:
        """A target refresh (re-INVITE, UPDATE and their 2xx) replaces the remote target (§12.2)."""
        if message.contacts:
            self.remote_target = message.contacts[0].uri

    def accept_remote_cseq(self, request: Request) -> bool:
        """
        §12.2.2: False (the caller answers 500) when the CSeq number is lower
        than the last one; otherwise remember it. ACK and CANCEL carry the
        number of the request they belong to and are not checked.
        """
        if request.method in ("ACK", "CANCEL"):
            return True
        number = request.cseq.number
        if self.remote_seq is not None and number < self.remote_seq:
            return False
        self.remote_seq = number
        return True

    def next_local_cseq(self) -> int:
        self.local_seq += 1
        return self.local_seq

    # -- building requests ---------------------------------------------------------

    @property
    def next_hop(self) -> Uri:
        """Where the request goes first (§12.2.1.1, §8.1.2): the first route, else the target."""
        return self.route_set[0].uri if self.route_set else self.remote_target

    def request_uri_and_routes(self) -> tuple[Uri, tuple[Address, ...]]:
        """
        §12.2.1.1: with no route set, the remote target and no Route; with a
        loose-routing first hop (``;lr``), the remote target and the route set;
        with a strict router, its URI as Request-URI and the remaining routes
        plus the remote target as the last Route.
        """
        if not self.route_set:
            return self.remote_target, ()
        first = self.route_set[0].uri
        if isinstance(first, SipUri) and first.lr:
            return self.remote_target, self.route_set
        return first, (*self.route_set[1:], Address(self.remote_target))

    def create_request(
        self,
        method: str,
        via: object,
        *,
        cseq: int | None = None,
        contact: Address | None = None,
        headers: Iterable[tuple[str, object]] = (),
        body: bytes = b"",
        content_type: object | None = None,
    ) -> Request:
        """
        An in-dialog request (§12.2.1.1): To is the remote URI with its tag,
        From the local URI with ours, Call-ID the dialog's, CSeq the next local
        number (or ``cseq``, e.g. the INVITE's for an ACK or a CANCEL).
        """
        uri, routes = self.request_uri_and_routes()
        number = cseq if cseq is not None else self.next_local_cseq()
        fields: list[tuple[str, object]] = [
            ("Via", via),
            *((("Route", str(route)) for route in routes)),
            ("Max-Forwards", "70"),
            ("From", self.local_uri),
            ("To", self.remote_uri),
            ("Call-ID", self.id.call_id),
            ("CSeq", f"{number} {method}"),
        ]
        if contact is not None:
            fields.append(("Contact", contact))
        fields.extend(headers)
        return make_request(method, uri, fields, body, content_type)

    def matches(self, request: Request) -> bool:
        return DialogId.of_request(request) == self.id


def record_route_fields(request: Request) -> list[Header]:
    """The Record-Route fields a dialog-creating response copies from its request (§12.1.1)."""
    return list(request.header_fields("record-route"))
