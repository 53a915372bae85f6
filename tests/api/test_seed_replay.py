"""
Every curl example of the seed pages, run as written (host, port, key and placeholder ids
replaced) against a real ``twistd -n voicedock`` process, each response checked field by
field against the response the seed shows. The seed's JSON configuration examples (PBX
trunks, the transfer tool) are sent too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg2
import treq
from twisted.internet import defer, utils
from twisted.trial import unittest

from tests.api.seeds import NUMBERS_PAGE, TRUNKS_PAGE, CurlExample, curl_examples, json_blocks
from voicedock.testing.postgres import create_database, drop_database
from voicedock.testing.server import ServerProcess

SEED_HOST = "https://api.hmsovereign.com"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEED_TIMESTAMP = "2025-12-13T10:00:00.000Z"
CURL = shutil.which("curl")


def seed_passwords() -> set[str]:
    found = set()
    for example in curl_examples(TRUNKS_PAGE):
        if example.data and '"password"' in example.data:
            found.add(json.loads(example.data)["password"])
    for _, block in json_blocks(TRUNKS_PAGE):
        if "password" in block:
            found.add(block["password"])
    return found


class SeedReplayTests(unittest.TestCase):
    timeout = 120

    @defer.inlineCallbacks
    def setUp(self) -> Any:
        name, dsn = create_database("vdseed")
        self.addCleanup(drop_database, name)
        self.dsn = dsn
        data_dir = Path(tempfile.mkdtemp(prefix="vd-"))
        self.addCleanup(shutil.rmtree, data_dir, True)
        self.server = ServerProcess(data_dir, db=dsn)
        yield self.server.start()
        self.addCleanup(self.server.stop)
        self.key = self.server.bootstrap_key()
        self.ids: dict[str, str] = {}
        self.bodies: list[bytes] = []

    # -- running examples ---------------------------------------------------------------

    def substitute(self, text: str) -> str:
        text = text.replace(SEED_HOST, self.server.api_url).replace("YOUR_API_KEY", self.key)
        for placeholder in sorted(self.ids, key=len, reverse=True):
            text = text.replace(placeholder, self.ids[placeholder])
        return text

    @defer.inlineCallbacks
    def run_example(self, example: CurlExample) -> Any:
        """Run the example as a user would; fires (status, parsed body)."""
        if CURL is not None:
            command = self.substitute(example.command) + " -sS -w '\\n%{http_code}'"
            out, err, code = yield utils.getProcessOutputAndValue("/bin/sh", ["-c", command], env=os.environ)
            self.assertEqual(code, 0, err)
            body, _, status = out.rpartition(b"\n")
            status = int(status)
        else:  # the same request, from the parsed command line
            headers = {k: [self.substitute(v)] for k, v in example.headers}
            data = self.substitute(example.data).encode() if example.data is not None else None
            response = yield treq.request(example.method, self.substitute(example.url), headers=headers,
                                          data=data, persistent=False)
            body, status = (yield response.content()), response.code
        self.bodies.append(body)
        return status, json.loads(body)

    @defer.inlineCallbacks
    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = yield treq.request(
            method, self.server.api_url + path, json=body,
            headers={"Authorization": [f"Bearer {self.key}"]}, persistent=False)
        content = yield response.content()
        self.bodies.append(content)
        return response.code, json.loads(content)

    # -- checking -------------------------------------------------------------------------

    def real_id(self, placeholder: str) -> str:
        if placeholder in self.ids:
            return self.ids[placeholder]
        for known, real in self.ids.items():  # elided ids in the seed: "17a0cb75-..."
            if placeholder.endswith("...") and known.startswith(placeholder[:-3]):
                return real
        raise KeyError(placeholder)

    def check_like_seed(self, seed: Any, actual: Any, where: str = "") -> None:
        """Every field the seed shows is there with the seed's value (ids and times mapped)."""
        if isinstance(seed, dict):
            self.assertIsInstance(actual, dict, where)
            for key, value in seed.items():
                self.assertIn(key, actual, f"{where}.{key} missing")
                self.check_like_seed(value, actual[key], f"{where}.{key}")
        elif isinstance(seed, list):
            self.assertEqual(len(seed), len(actual), where)
            for i, (s, a) in enumerate(zip(seed, actual)):
                self.check_like_seed(s, a, f"{where}[{i}]")
        elif seed == SEED_TIMESTAMP:
            self.assertRegex(actual, TIMESTAMP, where)
        elif isinstance(seed, str) and where.endswith("id") and seed not in ("", None):
            self.assertEqual(actual, self.real_id(seed), where)
            uuid.UUID(actual)
        else:
            self.assertEqual(actual, seed, where)

    # -- the replay -------------------------------------------------------------------------

    @defer.inlineCallbacks
    def test_seed_pages(self) -> Any:
        numbers = curl_examples(NUMBERS_PAGE)
        trunks = curl_examples(TRUNKS_PAGE)
        self.assertEqual((len(numbers), len(trunks)), (6, 5))
        register, reassign, unassign, set_trunk, list_numbers, delete_number = numbers
        create_trunk, assign_trunk, control_call, list_trunks, delete_trunk = trunks

        # Two assistants for the seed's assistant ids (the seed assumes they exist).
        for placeholders, name in ((("17a0cb75-fa09-4bdd-9a44-92a70d829c88",), "Support"),
                                   (("new-assistant-uuid-here", "28b1dc86-..."), "Sales")):
            status, body = yield self.api("POST", "/api/v1/assistants", {"name": name})
            self.assertEqual(status, 201, body)
            for placeholder in placeholders:
                self.ids[placeholder] = body["assistant"]["id"]

        # SIP trunks page: "Creating a SIP Trunk".
        status, body = yield self.run_example(create_trunk)
        self.assertEqual(status, 201, body)
        for placeholder in ("trunk-uuid", "trunk-uuid-here", "TRUNK_ID", "trunk-123-..."):
            self.ids[placeholder] = body["sip_trunk"]["id"]
        self.check_like_seed(create_trunk.response, body)
        self.assertEqual(body["trunk"], body["sip_trunk"])
        self.assertIs(body["sip_trunk"]["has_password"], True)

        # Phone numbers page: "Registering a Phone Number".
        status, body = yield self.run_example(register)
        self.assertEqual(status, 201, body)
        for placeholder in ("abc12345-1234-5678-9012-abcdef123456", "NUMBER_ID"):
            self.ids[placeholder] = body["number"]["id"]
        self.check_like_seed(register.response, body)
        self.assertEqual(body["number"]["agent_id"], self.ids["17a0cb75-fa09-4bdd-9a44-92a70d829c88"])

        # "Updating Assistant Assignment", "To unassign", "Configuring Call Transfers".
        for example, field, expected in ((reassign, "assistant_id", self.ids["new-assistant-uuid-here"]),
                                         (unassign, "assistant_id", None),
                                         (set_trunk, "transfer_trunk_id", self.ids["trunk-uuid-here"]),
                                         (assign_trunk, "transfer_trunk_id", self.ids["trunk-uuid"])):
            status, body = yield self.run_example(example)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["number"][field], expected)
            self.assertEqual(body["number"]["id"], self.ids["NUMBER_ID"])

        # "Listing All Numbers": make the state the seed's list shows, then list.
        status, body = yield self.api("PATCH", f"/api/v1/numbers/{self.ids['NUMBER_ID']}", {
            "assistant_id": self.ids["17a0cb75-fa09-4bdd-9a44-92a70d829c88"], "transfer_trunk_id": None})
        self.assertEqual(status, 200, body)
        status, body = yield self.api("POST", "/api/v1/numbers", {
            "phone_number": "+31201234567", "name": "Sales Line",
            "agent_id": self.ids["28b1dc86-..."], "transfer_trunk_id": self.ids["trunk-123-..."]})
        self.assertEqual(status, 201, body)
        self.ids["def67890-..."] = body["number"]["id"]
        status, body = yield self.run_example(list_numbers)
        self.assertEqual(status, 200, body)
        self.check_like_seed(list_numbers.response, body)

        # "Listing SIP Trunks".
        status, body = yield self.run_example(list_trunks)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["sip_trunks"], body["trunks"])
        self.check_like_seed({"sip_trunks": [create_trunk.response["sip_trunk"]]}, body)

        # "Deleting a SIP Trunk": numbers using it get transfer_trunk_id null.
        status, body = yield self.run_example(delete_trunk)
        self.assertEqual((status, body), (200, {"success": True}))
        status, body = yield self.api("GET", f"/api/v1/numbers/{self.ids['def67890-...']}")
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["number"]["transfer_trunk_id"])

        # "Deleting a Phone Number".
        status, body = yield self.run_example(delete_number)
        self.assertEqual((status, body), (200, {"success": True}))
        status, body = yield self.api("GET", f"/api/v1/numbers/{self.ids['NUMBER_ID']}")
        self.assertEqual((status, body["code"]), (404, "not_found"))

        # "API-Initiated Transfers" belongs to call control (a later release): with no such
        # call it is a JSON 404, as it will be for an unknown call then.
        self.ids["CALL_ID"] = str(uuid.uuid4())
        status, body = yield self.run_example(control_call)
        self.assertEqual((status, body["code"]), (404, "not_found"))

        # The trunk configuration examples and the transfer tool, sent as bodies.
        blocks = json_blocks(TRUNKS_PAGE)
        self.assertEqual([heading for heading, _ in blocks],
                         ["Add the transfer tool to your assistant:", "FreePBX / Asterisk", "3CX",
                          "Generic SIP Provider"])
        (_, tool_config), *pbx_examples = blocks
        for heading, example in pbx_examples:
            status, body = yield self.api("POST", "/api/v1/sip-trunks", example)
            self.assertEqual(status, 201, (heading, body))
            expected = {k: v for k, v in example.items() if k != "password"}
            self.assertEqual({k: body["sip_trunk"][k] for k in expected}, expected)
        assistant = self.ids["17a0cb75-fa09-4bdd-9a44-92a70d829c88"]
        status, body = yield self.api("PATCH", f"/api/v1/assistants/{assistant}", tool_config)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["assistant"]["llm_config"]["tools"], tool_config["llm_config"]["tools"])

        # The trunk passwords: in no response, not in the log, not in plain text in the database.
        passwords = seed_passwords()
        self.assertEqual(len(passwords), 4)
        for password in passwords:
            for answer in self.bodies:
                self.assertNotIn(password.encode(), answer)
            self.assertNotIn(password, self.server.output)
        conn = psycopg2.connect(self.dsn)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT t::text, password_ciphertext FROM sip_trunks t")
                rows = cursor.fetchall()
        finally:
            conn.close()
        self.assertEqual(len(rows), 3)
        for text, ciphertext in rows:
            self.assertIsNotNone(ciphertext)
            for password in passwords:
                self.assertNotIn(password, text)
                self.assertNotIn(password.encode(), bytes(ciphertext))
