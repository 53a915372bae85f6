# -*- test-case-name: tests.sip.test_offer_answer -*-
"""
The SDP offer/answer model (RFC 3264) for one audio stream of G.711 with
RFC 4733 telephone-events: build offers, answer offers (488 with a Warning
when nothing fits), read answers, and hold/resume by direction attributes
(RFC 3264 §8.4). Pure functions over :mod:`voicedock.sip.sdp` values; the
media engine is told the outcome as a :class:`MediaSession`.
"""

from __future__ import annotations

import attrs

from voicedock.sip.errors import SipParseError
from voicedock.sip.sdp import (
    Attribute,
    Connection,
    MediaDescription,
    Origin,
    SessionDescription,
    parse_sdp,
)

SENDRECV, SENDONLY, RECVONLY, INACTIVE = "sendrecv", "sendonly", "recvonly", "inactive"
_PROFILES = ("RTP/AVP",)


@attrs.frozen
class Codec:
    """An audio payload format as offered: encoding name, payload type, clock rate."""

    name: str
    payload_type: int
    clock_rate: int = 8000
    channels: int = 1

    def rtpmap(self) -> str:
        return f"{self.payload_type} {self.name}/{self.clock_rate}"


PCMU = Codec("PCMU", 0)
PCMA = Codec("PCMA", 8)
#: RFC 3551 static payload types we may meet without an rtpmap.
_STATIC = {0: ("PCMU", 8000), 8: ("PCMA", 8000), 3: ("GSM", 8000), 4: ("G723", 8000),
           9: ("G722", 8000), 18: ("G729", 8000)}
TELEPHONE_EVENT = "telephone-event"


@attrs.frozen
class LocalMedia:
    """
    What this side offers or accepts for its audio stream: the public
    ``address`` and RTP ``port`` written in the SDP, the codecs in order of
    preference, the payload type for telephone-events (None: no RFC 4733
    events), the packetisation time and the direction we want (``sendonly``
    puts the far end on hold, RFC 3264 §8.4).
    """

    address: str
    port: int
    codecs: tuple[Codec, ...] = (PCMU, PCMA)
    telephone_event: int | None = 101
    ptime: int = 20
    direction: str = SENDRECV


@attrs.frozen
class MediaSession:
    """
    The negotiated stream: where to send RTP, which payload type to send
    (``codec`` carries the payload type of this session), the far end's
    telephone-event payload type, its ptime, and the directions.
    """

    remote_address: str
    remote_port: int
    codec: Codec
    telephone_event: int | None
    ptime: int | None
    local_direction: str
    remote_direction: str

    @property
    def sending(self) -> bool:
        """Whether we send RTP (our direction allows it and the far end receives)."""
        return self.local_direction in (SENDRECV, SENDONLY) and not self._null_address

    @property
    def receiving(self) -> bool:
        return self.local_direction in (SENDRECV, RECVONLY)

    @property
    def remote_hold(self) -> bool:
        """
        The far end put the call on hold: it no longer receives our media
        (``sendonly`` or ``inactive``, RFC 3264 §8.4), or c=0.0.0.0 (RFC 2543).
        """
        return self.remote_direction in (SENDONLY, INACTIVE) or self._null_address

    @property
    def _null_address(self) -> bool:
        return self.remote_address in ("0.0.0.0", "::")


class OfferAnswerError(Exception):
    """
    An offer or answer we cannot accept. ``status`` is the response a UAS
    sends (488, RFC 3261 §21.4.26) and ``warn_code``/``text`` make its
    Warning header (RFC 3261 §20.43: 304 media type, 305 media format).
    """

    status = 488

    def __init__(self, warn_code: int, text: str) -> None:
        super().__init__(text)
        self.warn_code = warn_code
        self.text = text

    def warning(self, agent: str) -> str:
        return f'{self.warn_code} {agent} "{self.text}"'


class SdpOrigin:
    """
    Our ``o=`` line across a dialog (RFC 3264 §5, §8): a fixed session id
    and a version incremented whenever the description changes, kept the
    same when a description is sent again unchanged (a session refresh).
    """

    def __init__(self, session_id: int, username: str = "voicedock") -> None:
        self.username = username
        self.session_id = session_id
        self.version = session_id
        self._last: tuple[object, ...] | None = None

    def describe(self, address: str, media: tuple[MediaDescription, ...]) -> SessionDescription:
        content = (address, media)
        if self._last is not None and content != self._last:
            self.version += 1
        self._last = content
        origin = Origin(self.username, self.session_id, self.version, address,
                        addr_type=_addr_type(address))
        return SessionDescription(
            origin=origin,
            session_name="-",
            connection=Connection(address, addr_type=_addr_type(address)),
            media=media,
        )


def _addr_type(address: str) -> str:
    return "IP6" if ":" in address else "IP4"


def _format_of(media: MediaDescription, fmt: str) -> tuple[int, str, int | None] | None:
    """(payload type, encoding, clock rate) for one m= format, or None if unusable."""
    if not fmt.isdigit():
        return None
    pt = int(fmt)
    rtpmap = media.rtpmaps.get(pt)
    if rtpmap is not None:
        return pt, rtpmap.encoding, rtpmap.clock_rate
    if pt in _STATIC:
        name, rate = _STATIC[pt]
        return pt, name, rate
    return None


def _match(local: LocalMedia, media: MediaDescription, order: str) -> tuple[Codec | None, int | None]:
    """The codec to use and the far end's telephone-event payload type for one m= line.

    ``order`` is ``"theirs"`` (take the first of their formats we support: the
    offerer's preference, RFC 3264 §6.1) or ``"ours"``.
    """
    theirs = [f for f in (_format_of(media, fmt) for fmt in media.formats) if f is not None]
    event_pt = next(
        (pt for pt, name, rate in theirs if name.lower() == TELEPHONE_EVENT and rate == 8000), None
    )
    chosen = None
    if order == "theirs":
        for pt, name, rate in theirs:
            codec = next((c for c in local.codecs if _same(c, name, rate)), None)
            if codec is not None:
                chosen = attrs.evolve(codec, payload_type=pt)
                break
    else:
        for codec in local.codecs:
            found = next((pt for pt, name, rate in theirs if _same(codec, name, rate)), None)
            if found is not None:
                chosen = attrs.evolve(codec, payload_type=found)
                break
    return chosen, event_pt


def _same(codec: Codec, name: str, rate: int | None) -> bool:
    return codec.name.lower() == name.lower() and (rate is None or rate == codec.clock_rate)


def answer_direction(offered: str, local: str) -> str:
    """RFC 3264 §6.1: the answer's direction from the offer's and what we want."""
    send = offered in (SENDRECV, RECVONLY) and local in (SENDRECV, SENDONLY)
    receive = offered in (SENDRECV, SENDONLY) and local in (SENDRECV, RECVONLY)
    return {(True, True): SENDRECV, (True, False): SENDONLY,
            (False, True): RECVONLY, (False, False): INACTIVE}[(send, receive)]


def _audio_lines(local: LocalMedia, codecs: tuple[Codec, ...], event_pt: int | None,
                 direction: str, event_fmtp: str | None) -> MediaDescription:
    formats = [str(c.payload_type) for c in codecs]
    attributes = [Attribute("rtpmap", c.rtpmap()) for c in codecs]
    if event_pt is not None:
        formats.append(str(event_pt))
        attributes.append(Attribute("rtpmap", f"{event_pt} {TELEPHONE_EVENT}/8000"))
        attributes.append(Attribute("fmtp", f"{event_pt} {event_fmtp or '0-16'}"))
    attributes.append(Attribute("ptime", str(local.ptime)))
    attributes.append(Attribute(direction))
    return MediaDescription(
        media="audio", port=local.port, proto="RTP/AVP", formats=tuple(formats),
        attributes=tuple(attributes),
    )


def create_offer(local: LocalMedia, origin: SdpOrigin) -> SessionDescription:
    """An offer of one audio stream with every local codec (RFC 3264 §5)."""
    media = _audio_lines(local, local.codecs, local.telephone_event, local.direction, None)
    return origin.describe(local.address, (media,))


def _usable_audio(media: MediaDescription) -> bool:
    return media.media == "audio" and media.port != 0 and media.proto.upper() in _PROFILES


def create_answer(
    offer: SessionDescription, local: LocalMedia, origin: SdpOrigin
) -> tuple[SessionDescription, MediaSession]:
    """
    Answer ``offer`` (RFC 3264 §6): one m= line per offered one, in order;
    the first usable audio stream gets the first offered codec we support
    plus telephone-event if offered, every other stream is refused with
    port 0. Raises :class:`OfferAnswerError` when no audio stream fits.
    """
    lines: list[MediaDescription] = []
    session: MediaSession | None = None
    saw_audio = False
    for media in offer.media:
        codec = event_pt = None
        if _usable_audio(media) and session is None:
            saw_audio = True
            codec, event_pt = _match(local, media, "theirs")
        if codec is None or session is not None:
            lines.append(_refused(media))
            continue
        if local.telephone_event is None:
            event_pt = None
        remote_direction = offer.direction_of(media)
        direction = answer_direction(remote_direction, local.direction)
        event_fmtp = media.fmtp(event_pt) if event_pt is not None else None
        lines.append(_audio_lines(local, (codec,), event_pt, direction, event_fmtp))
        session = _session(offer, media, codec, event_pt, direction, remote_direction)
    if session is None:
        if saw_audio:
            raise OfferAnswerError(305, "Incompatible media format")
        raise OfferAnswerError(304, "Media type not available")
    return origin.describe(local.address, tuple(lines)), session


def _refused(media: MediaDescription) -> MediaDescription:
    return MediaDescription(media=media.media, port=0, proto=media.proto,
                            formats=media.formats or ("0",))


def _session(description: SessionDescription, media: MediaDescription, codec: Codec,
             event_pt: int | None, local_direction: str, remote_direction: str) -> MediaSession:
    connection = description.connection_for(media)
    if connection is None:
        raise OfferAnswerError(399, "No connection address")
    try:
        ptime = int(media.ptime) if media.ptime else None
    except SipParseError:
        ptime = None
    return MediaSession(connection.address, media.port, codec, event_pt, ptime,
                        local_direction, remote_direction)


def accept_answer(
    offer: SessionDescription, answer: SessionDescription, local: LocalMedia
) -> MediaSession:
    """
    Read the answer to our ``offer`` (RFC 3264 §7): the audio stream must be
    accepted (non-zero port) with a codec we offered. Raises
    :class:`OfferAnswerError` otherwise (the caller ends the session).
    """
    if len(answer.media) != len(offer.media):
        raise OfferAnswerError(399, "Answer does not match the offer's media lines")
    for ours, theirs in zip(offer.media, answer.media):
        if not _usable_audio(ours):
            continue
        if theirs.port == 0:
            raise OfferAnswerError(304, "Audio stream refused")
        codec, event_pt = _match(local, theirs, "theirs")
        if codec is None:
            raise OfferAnswerError(305, "Incompatible media format")
        remote_direction = answer.direction_of(theirs)
        return _session(answer, theirs, codec, event_pt, offer.direction_of(ours), remote_direction)
    raise OfferAnswerError(304, "Media type not available")


def parse_body(body: bytes) -> SessionDescription:
    """Parse an SDP body; an unreadable one is an :class:`OfferAnswerError` (400-class for the caller)."""
    try:
        return parse_sdp(body)
    except SipParseError as error:
        raise OfferAnswerError(399, f"Malformed SDP: {error.reason}") from None
