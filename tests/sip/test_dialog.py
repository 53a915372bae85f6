"""Dialogs (RFC 3261 §12): creation in both roles, route sets, in-dialog requests, CSeq checks."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from tests.sip.test_transaction_manager import request
from voicedock.sip.dialog import Dialog, DialogError, DialogId, DialogState, Role
from voicedock.sip.message import make_response
from voicedock.sip.via import parse_via

VIA = parse_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnew")
RR = (("Record-Route", "<sip:p2.example.com;lr>"), ("Record-Route", "<sip:p1.example.com;lr>"))


class UasDialogTests(SynchronousTestCase):
    def test_created_from_invite(self) -> None:
        invite = request(extra=RR)
        dialog = Dialog.as_uas(invite, "local1")
        self.assertEqual(dialog.id, DialogId("c1@x", "local1", "ft"))
        self.assertEqual((dialog.role, dialog.state, dialog.remote_seq, dialog.local_seq),
                         (Role.UAS, DialogState.EARLY, 1, 0))
        self.assertEqual([str(r.uri) for r in dialog.route_set],
                         ["sip:p2.example.com;lr", "sip:p1.example.com;lr"])
        self.assertEqual(str(dialog.remote_target), "sip:alice@192.0.2.10")

    def test_bye_through_loose_routes(self) -> None:
        dialog = Dialog.as_uas(request(extra=RR), "local1")
        bye = dialog.create_request("BYE", VIA)
        self.assertEqual(
            bye.to_bytes().decode(),
            "BYE sip:alice@192.0.2.10 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnew\r\n"
            "Route: <sip:p2.example.com;lr>\r\n"
            "Route: <sip:p1.example.com;lr>\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:vd@192.0.2.1>;tag=local1\r\n"
            "To: <sip:alice@192.0.2.10>;tag=ft\r\n"
            "Call-ID: c1@x\r\n"
            "CSeq: 1 BYE\r\n"
            "Content-Length: 0\r\n\r\n",
        )
        self.assertEqual(str(dialog.next_hop), "sip:p2.example.com;lr")
        self.assertEqual(dialog.create_request("INFO", VIA).cseq.number, 2)

    def test_strict_router(self) -> None:
        invite = request(extra=(("Record-Route", "<sip:strict.example.com>"),
                                ("Record-Route", "<sip:p1.example.com;lr>")))
        dialog = Dialog.as_uas(invite, "l")
        bye = dialog.create_request("BYE", VIA)
        self.assertEqual(str(bye.uri), "sip:strict.example.com")
        self.assertEqual([str(r.uri) for r in bye.routes],
                         ["sip:p1.example.com;lr", "sip:alice@192.0.2.10"])

    def test_remote_cseq_order(self) -> None:
        dialog = Dialog.as_uas(request(cseq=5), "l")
        self.assertTrue(dialog.accept_remote_cseq(request("INFO", cseq=6, to_tag="l")))
        self.assertFalse(dialog.accept_remote_cseq(request("INFO", cseq=4, to_tag="l")))
        self.assertTrue(dialog.accept_remote_cseq(request("ACK", cseq=1, to_tag="l")))
        self.assertEqual(dialog.remote_seq, 6)

    def test_contact(self) -> None:
        invite = request().add_header("Contact", "<sip:b@192.0.2.11>")
        self.assertRaises(DialogError, Dialog.as_uas, invite, "l")
        dialog = Dialog.as_uas(request().remove_header("Contact"), "l")  # RFC 2543: the From URI
        self.assertEqual(str(dialog.remote_target), "sip:alice@192.0.2.10")

    def test_target_refresh_and_match(self) -> None:
        dialog = Dialog.as_uas(request(), "l")
        reinvite = request(cseq=2, to_tag="l").replace_header("Contact", "<sip:alice@192.0.2.77:5062>")
        self.assertTrue(dialog.matches(reinvite))
        dialog.update_target(reinvite)
        self.assertEqual(str(dialog.remote_target), "sip:alice@192.0.2.77:5062")
        self.assertFalse(dialog.matches(request(cseq=2, to_tag="other")))


class UacDialogTests(SynchronousTestCase):
    def test_created_from_response_route_set_reversed_and_fixed_by_2xx(self) -> None:
        invite = request(cseq=3)
        ringing = make_response(invite, 180, to_tag="r1", headers=RR + (("Contact", "<sip:bob@192.0.2.20>"),))
        dialog = Dialog.as_uac(invite, ringing)
        self.assertEqual(dialog.id, DialogId("c1@x", "ft", "r1"))
        self.assertEqual((dialog.role, dialog.state, dialog.local_seq, dialog.remote_seq),
                         (Role.UAC, DialogState.EARLY, 3, None))
        self.assertEqual([str(r.uri) for r in dialog.route_set],
                         ["sip:p1.example.com;lr", "sip:p2.example.com;lr"])
        ok = make_response(invite, 200, to_tag="r1", headers=(("Record-Route", "<sip:p9.example.com;lr>"),
                                                             ("Contact", "<sip:bob@192.0.2.21>")))
        dialog.confirm(ok)
        self.assertEqual(dialog.state, DialogState.CONFIRMED)
        self.assertEqual([str(r.uri) for r in dialog.route_set], ["sip:p9.example.com;lr"])
        self.assertEqual(str(dialog.remote_target), "sip:bob@192.0.2.21")
        ack = dialog.create_request("ACK", VIA, cseq=3)
        self.assertEqual((ack.cseq.number, ack.cseq.method, ack.to_tag, ack.from_tag), (3, "ACK", "r1", "ft"))
        self.assertEqual(dialog.create_request("BYE", VIA).cseq.number, 4)
