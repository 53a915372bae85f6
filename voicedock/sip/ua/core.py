# -*- test-case-name: tests.sip.test_ua_core -*-
"""
The user agent core (RFC 3261 §8): the transaction user of every request
that matched no transaction. It runs the UAS checks (§8.2), answers
OPTIONS, routes CANCEL (§9.2), in-dialog requests and ACKs to their call,
creates inbound calls, places outbound ones, and hands events up to an
:class:`~voicedock.sip.ua.interfaces.IUserAgentListener`.
"""

from __future__ import annotations

from collections.abc import Iterable

from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from voicedock.sip.address import Address, parse_address
from voicedock.sip.dialog import Dialog, DialogId
from voicedock.sip.digest import Credentials, DigestClient
from voicedock.sip.errors import SipParseError
from voicedock.sip.headers import Header
from voicedock.sip.interfaces import ISipMessageReceiver, ISipTransport
from voicedock.sip.message import Request, Response, make_request, make_response
from voicedock.sip.offer_answer import LocalMedia, OfferAnswerError, parse_body
from voicedock.sip.params import Parameters
from voicedock.sip.routing import Destination, HostPort, Source, default_port
from voicedock.sip.session_timer import TooSmall, negotiate_as_uas
from voicedock.sip.transaction.invite_server import InviteServerTransaction
from voicedock.sip.transaction.manager import ServerTransaction, TransactionManager
from voicedock.sip.transport import SipTransportError
from voicedock.sip.ua.call import Call
from voicedock.sip.ua.checks import check_request
from voicedock.sip.ua.config import RandomIds, UserAgentConfig
from voicedock.sip.ua.events import CallEvent, IncomingCall
from voicedock.sip.ua.inbound import InboundCall
from voicedock.sip.ua.interfaces import IUserAgentListener, Resolver
from voicedock.sip.ua.outbound import OutboundCall
from voicedock.sip.ua.requests import OutgoingRequest
from voicedock.sip.uri import SipUri, Uri, is_ip_address, parse_uri
from voicedock.sip.via import Via


class IpOnlyResolver:
    """The default resolver: IP literals only; a host name fails (attach a real resolver)."""

    def resolve(self, host: str) -> Deferred[str]:
        return defer.fail(SipTransportError(f"no resolver for host name {host!r}"))


class ReactorResolver:
    """A/AAAA through the reactor's resolver (``IReactorCore.resolve``)."""

    def __init__(self, reactor: object) -> None:
        self._reactor = reactor

    def resolve(self, host: str) -> Deferred[str]:
        return self._reactor.resolve(host)  # type: ignore[attr-defined,no-any-return]


@implementer(ISipMessageReceiver)
class UserAgent:
    """
    A SIP user agent, client and server. Give it a transport with
    :meth:`attach_transport` (the transport's receiver must be this object),
    a listener for events, and (for host names) a resolver::

        ua = UserAgent(UserAgentConfig(public_address="203.0.113.5"), reactor)
        transport = SipTransport(reactor, ua)
        transport.listen_udp(5060)
        ua.attach_transport(transport)
        ua.listener = my_call_handler
    """

    log = Logger()

    def __init__(
        self,
        config: UserAgentConfig,
        clock: IReactorTime,
        *,
        listener: IUserAgentListener | None = None,
        resolver: Resolver | None = None,
        ids: RandomIds | None = None,
        transport: ISipTransport | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.listener = listener
        self.resolver: Resolver = resolver or IpOnlyResolver()
        self.ids = ids or RandomIds()
        self.transactions = TransactionManager(clock, self, config.timers, transport)
        self.calls: set[Call] = set()
        self._dialogs: dict[DialogId, Call] = {}
        self._by_invite: dict[InviteServerTransaction, InboundCall] = {}
        self._forgetting: dict[Call, IDelayedCall] = {}
        self._options_for: UserAgentConfig | None = None
        self._options_fields: tuple[Header, ...] = ()

    # -- wiring --------------------------------------------------------------------

    @property
    def transport(self) -> ISipTransport:
        transport = self.transactions.transport
        if transport is None:
            raise RuntimeError("no transport attached to the user agent")
        return transport

    def attach_transport(self, transport: ISipTransport) -> None:
        self.transactions.transport = transport

    def messageReceived(self, message: Request | Response, source: Source) -> None:
        self.transactions.messageReceived(message, source)

    def emit(self, call: Call, event: CallEvent) -> None:
        listener = call.listener or self.listener
        if listener is None:
            return
        try:
            listener.eventReceived(event)
        except Exception:
            self.log.failure("The SIP listener failed on {event}", event=type(event).__name__)

    # -- TransactionCore -----------------------------------------------------------

    def request_received(self, request: Request, source: Source,
                         transaction: ServerTransaction) -> None:
        rejection = check_request(
            request, self.config, self.transactions.is_merged(request, transaction))
        if rejection is not None:
            headers = list(rejection.headers)
            if rejection.warning is not None:
                headers.append(("Warning", f'399 {self.warn_agent} "{rejection.warning}"'))
            self.respond(transaction, rejection.status, rejection.reason, headers=headers)
            return
        if request.method == "CANCEL":
            self._cancel(request, transaction)
        elif request.to_tag is not None:
            call = self._dialogs.get(DialogId.of_request(request))
            if call is None:
                self.respond(transaction, 481)
            else:
                call.request_received(request, transaction)
        elif request.method == "INVITE":
            self._new_call(request, source, transaction)
        elif request.method == "OPTIONS":
            self.answer_options(transaction)
        else:
            self.respond(transaction, 481)  # needs a dialog (§12.2.2)

    def ack_received(self, ack: Request, source: Source) -> None:
        call = self._dialogs.get(DialogId.of_request(ack))
        if call is not None:
            call.dialog_ack(ack)

    def stray_response(self, response: Response, source: Source) -> None:
        if response.cseq.method == "INVITE" and 200 <= response.status < 300:
            call = self._dialogs.get(DialogId.of_response(response))
            if isinstance(call, OutboundCall):
                call.stray_2xx(response)

    def _cancel(self, cancel: Request, transaction: ServerTransaction) -> None:
        """§9.2: 481 when no INVITE matches, else 200 and, before its final answer, 487 to it."""
        invite = self.transactions.invite_for_cancel(cancel)
        if invite is None:
            self.respond(transaction, 481)
            return
        self.respond(transaction, 200)
        call = self._by_invite.get(invite)
        if call is not None:
            call.cancelled(cancel)
        elif not invite.final_sent:
            self.respond(invite, 487)

    def _new_call(self, request: Request, source: Source, transaction: InviteServerTransaction) -> None:
        if len(request.contacts) > 1:
            self.respond(transaction, 400, "INVITE with more than one Contact")
            return
        offer = None
        try:
            if request.body:
                offer = parse_body(request.body)
            agreed = negotiate_as_uas(request, self.config.session_timer)
        except OfferAnswerError as error:
            self.respond(transaction, 400, error.text)
            return
        except SipParseError as error:
            self.respond(transaction, 400, error.reason)
            return
        if isinstance(agreed, TooSmall):
            self.respond(transaction, 422, headers=[("Min-SE", str(agreed.min_se))])
            return
        call = InboundCall(self, request, source, transaction, offer, agreed)
        self.calls.add(call)
        self._by_invite[transaction] = call
        assert call.dialog is not None
        self.register_dialog(call, call.dialog.id)
        if (call.listener or self.listener) is None:
            self.log.warn(
                "No call handler attached: answering {status} to the INVITE from {source}",
                status=self.config.no_listener_status, source=source.remote)
            call.reject(self.config.no_listener_status)
            return
        call.emit(IncomingCall, request=request, offer=offer, source=source)
        call.watch_unanswered(self.config.unanswered_invite_timeout)

    # -- what calls use ------------------------------------------------------------

    @property
    def warn_agent(self) -> str:
        """The warn-agent of our Warning headers (RFC 3261 §20.43)."""
        return self.config.public_address or "voicedock"

    def respond(
        self,
        transaction: ServerTransaction,
        status: int,
        reason: str | None = None,
        *,
        to_tag: str | None = None,
        headers: Iterable[tuple[str, object]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Response:
        """
        Answer through ``transaction``. Out of a dialog a non-100 response gets
        a To tag (§8.2.6.2); the Server header is added when configured.
        """
        request = transaction.request
        if to_tag is None and status > 100 and request.to_tag is None:
            to_tag = self.ids.tag()
        fields = list(headers)
        if self.config.server:
            fields.append(("Server", self.config.server))
        response = make_response(request, status, reason, to_tag=to_tag, headers=fields,
                                 body=body, content_type=content_type)
        transaction.respond(response)
        return response

    def answer_options(self, transaction: ServerTransaction) -> None:
        """200 with Allow, Accept and Supported (RFC 3261 §11.2): providers use it as a keep-alive."""
        self.respond(transaction, 200, headers=self._options_headers())

    def _options_headers(self) -> tuple[Header, ...]:
        """
        The capability fields of :meth:`answer_options`, built (and checked)
        once per config: they are the same for every OPTIONS.
        """
        config = self.config
        if self._options_for is not config:
            headers = [Header("Allow", config.allow_header),
                       Header("Accept", ", ".join(config.accept))]
            if config.supported:
                headers.append(Header("Supported", ", ".join(config.supported)))
            self._options_for, self._options_fields = config, tuple(headers)
        return self._options_fields

    def send(self, message: Request | Response, destination: Destination) -> None:
        """Send outside any transaction (ACK for 2xx, 2xx retransmissions); errors are logged."""
        self.transport.send(message, destination).addErrback(
            lambda failure: self.log.info("Could not send to {destination}: {error}",
                                          destination=destination, error=failure.value))

    def sent_by(self, destination: Destination) -> HostPort:
        return self.transport.sentBy(destination)  # type: ignore[no-any-return]

    def new_via(self, destination: Destination) -> Via:
        """A top Via for a new client transaction: our sent-by, a fresh branch, rport (RFC 3581)."""
        sent_by = self.sent_by(destination)
        params = Parameters((("branch", self.ids.branch()), ("rport", None)))
        return Via(destination.transport.upper(), sent_by.host, sent_by.port, params)

    def with_new_branch(self, request: Request, destination: Destination) -> Request:
        return request.with_top_via(self.new_via(destination))  # type: ignore[return-value]

    def contact(self, transport: str, remote: HostPort | None) -> Address:
        """Our Contact for a dialog on ``transport``: the public address and the listening port."""
        sent_by = self.sent_by(Destination(transport, remote or HostPort("127.0.0.1", 5060)))
        host = self.config.public_address or sent_by.host
        params = Parameters() if transport.upper() == "UDP" else Parameters(
            (("transport", transport.lower()),))
        return Address(SipUri(host, user=self.config.contact_user, port=sent_by.port, params=params))

    def media_address(self, transport: str, remote_host: str) -> str:
        """The address for SDP: the configured public address, else the one facing ``remote_host``."""
        if self.config.public_address:
            return self.config.public_address
        return self.sent_by(Destination(transport, HostPort(remote_host, 5060))).host

    def resolve(self, uri: Uri, transport: str = "UDP") -> Deferred[Destination]:
        """
        The destination of a SIP URI: its ``transport`` parameter (else
        ``transport``), ``maddr`` or host (resolved when a name), port or the default.
        """
        if not isinstance(uri, SipUri):
            return defer.fail(SipTransportError(f"cannot send to a {uri.scheme}: URI"))
        name = "TLS" if uri.is_secure else (uri.transport or transport).upper()
        host = uri.maddr or uri.host
        port = uri.port or default_port(name)
        found = defer.succeed(host) if is_ip_address(host) else self.resolver.resolve(host)
        return found.addCallback(lambda ip: Destination(name, HostPort(ip, port)))

    def resolve_dialog_hop(self, dialog: Dialog, transport: str,
                           flow: Source | None) -> Deferred[Destination]:
        """
        The next hop of an in-dialog request. A dialog that came in over a
        connection (TCP) with no route set reuses it, with the remote target as fallback.
        """
        found = self.resolve(dialog.next_hop, transport)
        if flow is not None and flow.transport.upper() != "UDP" and not dialog.route_set:
            found.addCallback(
                lambda d: Destination(d.transport, flow.remote, fallback=d.address)
                if d.transport == flow.transport.upper() else d)
        return found

    def resolve_next_hop(self, call: Call) -> Deferred[Destination]:
        assert call.dialog is not None
        flow = call.flow if isinstance(call, InboundCall) else None
        return self.resolve_dialog_hop(call.dialog, call.transport, flow)

    def register_dialog(self, call: Call, dialog_id: DialogId) -> None:
        self._dialogs[dialog_id] = call

    def forget_later(self, call: Call) -> None:
        """Keep a finished call's dialog for 64*T1 so crossing requests are answered, then drop it."""
        self._forgetting[call] = self.clock.callLater(self.config.timers.timer_b, self._forget, call)

    def stop(self) -> None:
        """
        Cancel every timer of every call and transaction (process shutdown,
        after calls were hung up): nothing more will be sent.
        """
        for delayed in self._forgetting.values():
            if delayed.active():
                delayed.cancel()
        self._forgetting.clear()
        for call in list(self.calls):
            call.stop_timers()
        self.transactions.stop()

    def _forget(self, call: Call) -> None:
        self._forgetting.pop(call, None)
        self.calls.discard(call)
        for dialog_id in [k for k, v in self._dialogs.items() if v is call]:
            del self._dialogs[dialog_id]
        for transaction in [k for k, v in self._by_invite.items() if v is call]:
            del self._by_invite[transaction]

    # -- actions for call control --------------------------------------------------

    def invite(
        self,
        target: str | Uri,
        local: LocalMedia,
        *,
        from_address: str | Address | None = None,
        to_address: str | Address | None = None,
        credentials: Credentials | Iterable[Credentials] | None = None,
        proxy: str | Uri | None = None,
        transport: str = "UDP",
        headers: Iterable[tuple[str, str]] = (),
        listener: IUserAgentListener | None = None,
    ) -> OutboundCall:
        """
        Place a call: an INVITE to ``target`` (e.g. ``sip:+15551234567@trunk.example.com``)
        with an SDP offer from ``local``, sent to ``proxy`` (a Route) if given,
        else to the target's host. ``credentials`` answer 401/407 challenges.
        Events come as CallProgress, then CallAnswered or CallFailed.
        """
        target_uri = parse_uri(target, "target") if isinstance(target, str) else target
        proxy_uri = parse_uri(proxy, "proxy") if isinstance(proxy, str) else proxy
        if from_address is None:
            from_address = Address(SipUri(self.config.public_address or "voicedock.invalid",
                                          user=self.config.contact_user))
        elif isinstance(from_address, str):
            from_address = parse_address(from_address, "From")
        if to_address is None:
            to_address = Address(target_uri)
        elif isinstance(to_address, str):
            to_address = parse_address(to_address, "To")
        call = OutboundCall(
            self, target_uri, local, from_address=from_address, to_address=to_address,
            credentials=credentials, proxy=proxy_uri, transport=transport.upper(), headers=headers,
        )
        call.listener = listener
        self.calls.add(call)
        call.start()
        return call

    def request(
        self,
        method: str,
        target: str | Uri,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
        credentials: Credentials | Iterable[Credentials] | None = None,
        transport: str = "UDP",
    ) -> Deferred[Response]:
        """
        An out-of-dialog request (e.g. an OPTIONS keep-alive to a trunk); the
        Deferred fires with the final response (408/503 made locally on a
        timeout or transport error). Not for INVITE: see :meth:`invite`.
        """
        if method in ("INVITE", "ACK", "CANCEL"):
            raise ValueError(f"use invite() or the call's actions for {method}")
        uri = parse_uri(target, "target") if isinstance(target, str) else target
        result: Deferred[Response] = Deferred()
        digest = DigestClient(credentials, cnonce=self.ids.cnonce) if credentials else None

        def send(destination: Destination) -> None:
            host = self.config.public_address or self.sent_by(destination).host
            fields = [
                ("Via", self.new_via(destination)),
                ("Max-Forwards", "70"),
                ("From", Address(SipUri(host, user=self.config.contact_user)).with_tag(self.ids.tag())),
                ("To", Address(uri)),
                ("Call-ID", self.ids.call_id(host)),
                ("CSeq", f"1 {method}"),
                *headers,
            ]
            if self.config.user_agent:
                fields.append(("User-Agent", self.config.user_agent))
            request = make_request(method, uri, fields, body, content_type)
            OutgoingRequest(self, request, destination, digest=digest,
                            on_final=lambda _, response: result.callback(response)).start()

        self.resolve(uri, transport).addCallbacks(send, result.errback)
        return result

