"""``/sip-trunks``: both spellings and envelopes, validation, the password's secrecy."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import defer

from tests.api.support import ApiTestCase
from voicedock.store import trunks as store

PASSWORD = "s3cret-trunk-passw0rd"


class TrunkSpellingTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_seed_spelling(self) -> Any:
        response = yield self.client.post("/api/v1/sip-trunks", {
            "name": "Office PBX", "host": "pbx.example.com", "port": 5060,
            "username": "hms-sovereign", "password": PASSWORD,
        })
        body = self.assertStatus(response, 201)
        self.assertEqual(body["sip_trunk"], body["trunk"])
        trunk = body["sip_trunk"]
        expected = {
            "name": "Office PBX", "host": "pbx.example.com", "port": 5060, "transport": "udp",
            "username": "hms-sovereign", "auth_username": "hms-sovereign", "has_password": True,
            "provider": None, "inbound_addresses": [], "outbound_address": "pbx.example.com:5060",
            "address": "pbx.example.com:5060", "outbound_number": None, "is_active": True,
        }
        self.assertEqual({k: trunk[k] for k in expected}, expected)
        self.assertEqual(trunk["created_at"], trunk["updated_at"])

    @defer.inlineCallbacks
    def test_official_client_spelling_reads_back_both_ways(self) -> Any:
        response = yield self.client.post("/api/v1/sip-trunks", {
            "name": "Carrier", "provider": "voys", "inbound_addresses": ["203.0.113.0/24", "198.51.100.7"],
            "outbound_address": "sip.example.com:5080", "outbound_number": "+31850835037",
            "auth_username": "acct-1", "auth_password": PASSWORD,
        })
        created = self.assertStatus(response, 201)["trunk"]
        for path, key in ((f"/api/v1/sip-trunks/{created['id']}", None), ("/api/v1/sip-trunks", "list")):
            body = self.assertStatus((yield self.client.get(path)), 200)
            if key is None:
                self.assertEqual(body["sip_trunk"], body["trunk"])
                trunk = body["trunk"]
            else:
                self.assertEqual(body["sip_trunks"], body["trunks"])
                self.assertEqual(len(body["trunks"]), 1)
                trunk = body["trunks"][0]
            self.assertEqual(trunk["host"], "sip.example.com")
            self.assertEqual(trunk["port"], 5080)
            self.assertEqual(trunk["outbound_address"], "sip.example.com:5080")
            self.assertEqual(trunk["address"], "sip.example.com:5080")
            self.assertEqual(trunk["username"], "acct-1")
            self.assertEqual(trunk["auth_username"], "acct-1")
            self.assertIs(trunk["has_password"], True)
            self.assertEqual(trunk["provider"], "voys")
            self.assertEqual(trunk["inbound_addresses"], ["203.0.113.0/24", "198.51.100.7"])
            self.assertEqual(trunk["outbound_number"], "+31850835037")

    @defer.inlineCallbacks
    def test_latest_sdk_address_spelling_and_default_port(self) -> Any:
        trunk = yield self.create("/api/v1/sip-trunks", {
            "name": "Latest", "provider": "asterisk", "address": "sip.example.com", "transport": "tcp",
        }, "trunk")
        self.assertEqual((trunk["host"], trunk["port"], trunk["transport"]), ("sip.example.com", 5060, "tcp"))
        trunk = yield self.create("/api/v1/sip-trunks", {
            "name": "Port given apart", "address": "sip.example.com", "port": 5070}, "trunk")
        self.assertEqual(trunk["outbound_address"], "sip.example.com:5070")

    @defer.inlineCallbacks
    def test_ipv6(self) -> Any:
        trunk = yield self.trunk(host="2001:db8::10")
        self.assertEqual(trunk["outbound_address"], "[2001:db8::10]:5060")
        trunk = yield self.create("/api/v1/sip-trunks", {"name": "v6", "outbound_address": "[2001:DB8::1]:5070"},
                                  "trunk")
        self.assertEqual((trunk["host"], trunk["port"]), ("2001:db8::1", 5070))
        trunk = yield self.trunk(host="[2001:db8::2]")
        self.assertEqual(trunk["host"], "2001:db8::2")

    @defer.inlineCallbacks
    def test_spellings_that_disagree(self) -> Any:
        cases = [
            ({"host": "a.example.com", "outbound_address": "b.example.com"}, "host"),
            ({"host": "a.example.com", "port": 5060, "outbound_address": "a.example.com:5070"}, "port"),
            ({"username": "a", "auth_username": "b", "host": "h.example.com"}, "username"),
            ({"password": "a", "auth_password": "b", "host": "h.example.com"}, "password"),
            ({"outbound_address": "a.example.com", "address": "b.example.com"}, "outbound_address"),
        ]
        for body, param in cases:
            response = yield self.client.post("/api/v1/sip-trunks", {"name": "x", **body})
            self.assertError(response, 400, "invalid_request", param)
        # Agreeing spellings are fine, case-insensitively for host names.
        trunk = yield self.create("/api/v1/sip-trunks", {
            "name": "x", "host": "PBX.example.com", "outbound_address": "pbx.example.com:5060",
            "port": 5060, "username": "u", "auth_username": "u"}, "trunk")
        self.assertEqual(trunk["port"], 5060)


class TrunkValidationTests(ApiTestCase):
    @defer.inlineCallbacks
    def _refused(self, body: dict[str, Any], param: str) -> Any:
        response = yield self.client.post("/api/v1/sip-trunks", {"name": "x", **body})
        return self.assertError(response, 400, "invalid_request", param)

    @defer.inlineCallbacks
    def test_required_fields(self) -> Any:
        yield self._refused({"port": 5060}, "host")
        response = yield self.client.post("/api/v1/sip-trunks", {"host": "pbx.example.com"})
        self.assertError(response, 400, "invalid_request", "name")

    @defer.inlineCallbacks
    def test_ports(self) -> Any:
        for port in (0, 65536, -1, "5060", 5060.5, True, None):
            yield self._refused({"host": "pbx.example.com", "port": port}, "port")
        for address in ("pbx.example.com:0", "pbx.example.com:99999", "pbx.example.com:x", "[::1]:"):
            yield self._refused({"outbound_address": address}, "outbound_address")
        trunk = yield self.trunk(port=65535)
        self.assertEqual(trunk["port"], 65535)
        trunk = yield self.trunk(port=5061.0)
        self.assertEqual(trunk["port"], 5061)

    @defer.inlineCallbacks
    def test_hosts(self) -> Any:
        for host in ("", "pbx example.com", "sip:pbx.example.com", "user@pbx.example.com",
                     "pbx.example.com:5060", "-pbx.example.com", "pbx..example.com", "999.1.1.1",
                     "a" * 64 + ".example.com", "[10.0.0.1]", "2001:db8::zz", "http://pbx", 5):
            yield self._refused({"host": host}, "host")
        for host in ("192.168.1.100", "yourcompany.3cx.com", "localhost", "sip-1.provider.com.", "::1"):
            yield self.trunk(host=host)

    @defer.inlineCallbacks
    def test_transport_and_other_fields(self) -> Any:
        body = yield self._refused({"host": "h.example.com", "transport": "tls"}, "transport")
        self.assertIn("not supported yet", body["message"])
        yield self._refused({"host": "h.example.com", "transport": "sctp"}, "transport")
        yield self._refused({"host": "h.example.com", "inbound_addresses": ["not-an-ip"]}, "inbound_addresses[0]")
        yield self._refused({"host": "h.example.com", "inbound_addresses": "10.0.0.1"}, "inbound_addresses")
        yield self._refused({"host": "h.example.com", "outbound_number": "0850835037"}, "outbound_number")
        yield self._refused({"host": "h.example.com", "password": ""}, "password")
        yield self._refused({"host": "h.example.com", "secret_sauce": 1}, "secret_sauce")

    @defer.inlineCallbacks
    def test_patch_partial_and_scoped(self) -> Any:
        trunk = yield self.trunk(port=5070, username="u", password=PASSWORD)
        path = f"/api/v1/sip-trunks/{trunk['id']}"
        body = self.assertStatus((yield self.client.patch(path, {"host": "pbx2.example.com"})), 200)["sip_trunk"]
        self.assertEqual((body["host"], body["port"], body["username"]), ("pbx2.example.com", 5070, "u"))
        self.assertIs(body["has_password"], True)
        body = self.assertStatus((yield self.client.patch(path, {"auth_password": None})), 200)["trunk"]
        self.assertIs(body["has_password"], False)
        self.assertGreaterEqual(body["updated_at"], trunk["updated_at"])
        other = yield self.other_organization()
        self.assertError((yield other.patch(path, {"name": "theirs"})), 404, "not_found")
        self.assertError((yield other.get(path)), 404, "not_found")
        self.assertError((yield other.delete(path)), 404, "not_found")
        self.assertEqual(self.assertStatus((yield other.get("/api/v1/sip-trunks")), 200),
                         {"sip_trunks": [], "trunks": []})

    @defer.inlineCallbacks
    def test_delete(self) -> Any:
        trunk = yield self.trunk()
        path = f"/api/v1/sip-trunks/{trunk['id']}"
        self.assertEqual(self.assertStatus((yield self.client.delete(path)), 200), {"success": True})
        self.assertError((yield self.client.get(path)), 404, "not_found")


class TrunkPasswordTests(ApiTestCase):
    @defer.inlineCallbacks
    def test_password_never_answered_and_sealed_in_the_database(self) -> Any:
        responses = []
        responses.append((yield self.client.post("/api/v1/sip-trunks", {
            "name": "Office PBX", "host": "pbx.example.com", "password": PASSWORD})))
        trunk = responses[0].json()["trunk"]
        path = f"/api/v1/sip-trunks/{trunk['id']}"
        responses.append((yield self.client.get(path)))
        responses.append((yield self.client.get("/api/v1/sip-trunks")))
        responses.append((yield self.client.patch(path, {"password": PASSWORD + "2"})))
        responses.append((yield self.client.post("/api/v1/sip-trunks", {
            "name": "bad", "host": "bad host", "password": PASSWORD})))
        responses.append((yield self.client.post("/api/v1/sip-trunks", {
            "name": "bad", "host": "h.example.com", "password": PASSWORD, "auth_password": "other"})))
        responses.append((yield self.client.post("/api/v1/sip-trunks", {
            "name": "bad", "host": "h.example.com", "password": PASSWORD + "x" * 300})))
        for response in responses:
            self.assertNotIn(PASSWORD.encode(), response.body)
            self.assertNotIn(b'"password":', response.body)
            self.assertNotIn(b'"auth_password":', response.body)

        rows = yield self.db.runQuery("SELECT password_ciphertext, t::text FROM sip_trunks t")
        self.assertEqual(len(rows), 1)
        ciphertext, whole_row = bytes(rows[0][0]), rows[0][1]
        self.assertNotIn(PASSWORD.encode(), ciphertext)
        self.assertNotIn(PASSWORD, whole_row)
        self.assertNotIn(PASSWORD.encode().hex(), whole_row)
        opened = self.secretbox.open(ciphertext, "sip_trunks", trunk["id"], "password_ciphertext")
        self.assertEqual(opened, PASSWORD + "2")

        credentials = yield store.credentials(self.db, _org(trunk), _uuid(trunk["id"]))
        self.assertEqual(credentials.host, "pbx.example.com")
        self.assertEqual(self.secretbox.open(credentials.password_ciphertext, store.TABLE,
                                             credentials.id, store.PASSWORD_COLUMN), PASSWORD + "2")

    @defer.inlineCallbacks
    def test_password_bound_to_its_row(self) -> Any:
        first = yield self.trunk(password=PASSWORD)
        second = yield self.trunk(name="second")
        yield self.db.runOperation(
            "UPDATE sip_trunks SET password_ciphertext = (SELECT password_ciphertext FROM sip_trunks"
            " WHERE id = %s) WHERE id = %s", (first["id"], second["id"]))
        from voicedock.secretbox import SecretDecryptionError

        rows = yield self.db.runQuery("SELECT password_ciphertext FROM sip_trunks WHERE id = %s", (second["id"],))
        self.assertRaises(SecretDecryptionError, self.secretbox.open, bytes(rows[0][0]), "sip_trunks",
                          second["id"], "password_ciphertext")
        self.assertNotIn(PASSWORD, json.dumps(second))


def _uuid(text: str) -> Any:
    import uuid

    return uuid.UUID(text)


def _org(trunk: dict[str, Any]) -> Any:
    return _uuid(trunk["org_id"])
