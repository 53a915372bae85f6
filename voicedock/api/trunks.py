# -*- test-case-name: tests.api.test_trunks -*-
"""
``/sip-trunks``: connections to other phone systems, used for transfers.

Two spellings (DECISIONS.md "SIP trunks"): the seed's ``host``/``port``/``username``/
``password`` with ``{"sip_trunk": ...}``, and the official client's ``outbound_address``
(``host[:port]``; ``address`` in its latest version), ``auth_username``,
``auth_password`` with ``{"trunk": ...}``. Both are accepted, and answers carry both
envelope keys and both spellings. Spellings that disagree are refused.

The password is write-only: sealed with the server's secret box, bound to the trunk's
row, and answered only as ``has_password``.
"""

from __future__ import annotations

import uuid
from typing import Any

from twisted.internet import defer

from voicedock.api import errors
from voicedock.api.common import SUCCESS, TIMESTAMP, e164_string, path_id, text, uuid_string
from voicedock.api.deps import ApiDependencies
from voicedock.api.routing import Call, Operation
from voicedock.api.schema import Array, Boolean, Field, Integer, Nullable, Object, Ref, String
from voicedock.api.validators import (
    check_host, check_host_port, check_ip_or_network, format_host_port, split_host_port,
)
from voicedock.api.wire import timestamp
from voicedock.store import trunks as store
from voicedock.store.trunks import SipTrunk

DEFAULT_PORT = 5060

TRUNK_INPUT = Object(
    {
        "name": Field(text(200, "Display name"), required=True),
        "host": Field(String(min_length=1, max_length=255, check=check_host, description=(
            "SIP server host name, IPv4 or IPv6 address. Required on create unless "
            "`outbound_address` (or `address`) is given."))),
        "port": Field(Integer(minimum=1, maximum=65535, description="SIP port (default 5060)")),
        "transport": Field(String(
            enum=["udp", "tcp"],
            refuse={"tls": "`transport` tls is not supported yet: use udp or tcp"},
            description="udp (default) or tcp; tls is refused until it is supported")),
        "username": Field(Nullable(text(128, "Authentication username"))),
        "password": Field(Nullable(text(256, "Authentication password; encrypted at rest, never returned")),
                          write_only=True),
        "provider": Field(Nullable(text(64, "Free-form provider name (e.g. asterisk, 3cx)"))),
        "inbound_addresses": Field(Array(
            String(min_length=1, max_length=64, check=check_ip_or_network),
            max_items=50,
            description="Addresses (IPs or CIDR networks) this provider sends calls from")),
        "outbound_address": Field(String(min_length=1, max_length=270, check=check_host_port, description=(
            "host[:port] ([v6]:port for IPv6); another way to give `host` and `port`. "
            "Without a port, `port` (or 5060) applies. Must agree with `host`/`port` if both are sent."))),
        "outbound_number": Field(Nullable(e164_string("Caller number presented on calls through this trunk"))),
        "is_active": Field(Boolean()),
    },
    aliases={"auth_username": "username", "auth_password": "password", "address": "outbound_address"},
    ignored=("id", "org_id", "organization_id", "has_password", "created_at", "updated_at"),
    name="SipTrunk",
    example={"name": "Office PBX", "host": "pbx.example.com", "port": 5060,
             "username": "hms-sovereign", "password": "secure-password"},
)

_OPT = Nullable(String())
TRUNK = Ref(
    "SipTrunk",
    Object(
        {
            "id": Field(uuid_string(), required=True),
            "org_id": Field(uuid_string("The organization"), required=True),
            "name": Field(String(), required=True),
            "host": Field(String(), required=True),
            "port": Field(Integer(minimum=1, maximum=65535), required=True),
            "transport": Field(String(enum=["udp", "tcp"]), required=True),
            "username": Field(_OPT, required=True),
            "auth_username": Field(Nullable(String(description="Same as username")), required=True),
            "has_password": Field(Boolean(description="Whether a password is stored (it is never returned)"),
                                  required=True),
            "provider": Field(_OPT, required=True),
            "inbound_addresses": Field(Array(String()), required=True),
            "outbound_address": Field(String(description="host:port"), required=True),
            "address": Field(String(description="Same as outbound_address"), required=True),
            "outbound_number": Field(_OPT, required=True),
            "is_active": Field(Boolean(), required=True),
            "created_at": Field(TIMESTAMP, required=True),
            "updated_at": Field(TIMESTAMP, required=True),
        }
    ),
)
TRUNK_ENVELOPE = Ref("SipTrunkEnvelope", Object({
    "sip_trunk": Field(TRUNK, required=True),
    "trunk": Field(TRUNK, required=True),
}))
TRUNK_LIST = Ref("SipTrunkList", Object({
    "sip_trunks": Field(Array(TRUNK), required=True),
    "trunks": Field(Array(TRUNK), required=True),
}))


def trunk_json(t: SipTrunk) -> dict[str, Any]:
    address = format_host_port(t.host, t.port)
    return {
        "id": t.id,
        "org_id": t.organization_id,
        "name": t.name,
        "host": t.host,
        "port": t.port,
        "transport": t.transport,
        "username": t.username,
        "auth_username": t.username,
        "has_password": t.has_password,
        "provider": t.provider,
        "inbound_addresses": list(t.inbound_addresses),
        "outbound_address": address,
        "address": address,
        "outbound_number": t.outbound_number,
        "is_active": t.is_active,
        "created_at": timestamp(t.created_at),
        "updated_at": timestamp(t.updated_at),
    }


def _one(t: SipTrunk) -> dict[str, Any]:
    body = trunk_json(t)
    return {"sip_trunk": body, "trunk": body}


def _fold_address(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Turn ``outbound_address`` into ``host`` and ``port``, refusing disagreements."""
    address = body.pop("outbound_address", None)
    if address is not None:
        host, port = split_host_port(address)
        if "host" in body and body["host"].lower() != host.lower():
            raise errors.invalid_request(
                "`host` and `outbound_address` name different hosts; send one of them.", "host"
            )
        if port is not None and "port" in body and body["port"] != port:
            raise errors.invalid_request(
                "`port` and the port in `outbound_address` differ; send one of them.", "port"
            )
        body["host"] = host
        body.setdefault("port", port if port is not None else DEFAULT_PORT)
    if creating and "host" not in body:
        raise errors.invalid_request(
            "`host` is required (or give `outbound_address` as host[:port]).", "host"
        )
    return body


class TrunkRoutes:
    """The handlers of ``/sip-trunks``."""

    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps

    def operations(self) -> list[Operation]:
        tag = "SIP trunks"
        return [
            Operation("GET", "/sip-trunks", "listSipTrunks", "List SIP trunks", tag, self.list,
                      response=TRUNK_LIST),
            Operation("POST", "/sip-trunks", "createSipTrunk", "Create a SIP trunk", tag, self.create,
                      response=TRUNK_ENVELOPE, status=201, body=TRUNK_INPUT),
            Operation("GET", "/sip-trunks/{id}", "getSipTrunk", "Get a SIP trunk", tag, self.get,
                      response=TRUNK_ENVELOPE, errors=("not_found",)),
            Operation("PATCH", "/sip-trunks/{id}", "updateSipTrunk",
                      "Update a SIP trunk (e.g. rotate its password)", tag, self.update,
                      response=TRUNK_ENVELOPE, body=TRUNK_INPUT, partial=True, errors=("not_found",)),
            Operation("DELETE", "/sip-trunks/{id}", "deleteSipTrunk",
                      "Delete a SIP trunk (numbers using it get transfer_trunk_id null)", tag,
                      self.delete, response=SUCCESS, errors=("not_found",)),
        ]

    def _columns(self, body: dict[str, Any], trunk_id: uuid.UUID, creating: bool) -> dict[str, Any]:
        columns = _fold_address(dict(body), creating)
        if "password" in columns:
            password = columns.pop("password")
            columns[store.PASSWORD_COLUMN] = (
                None if password is None
                else self.deps.secretbox.seal(password, store.TABLE, trunk_id, store.PASSWORD_COLUMN)
            )
        return columns

    @defer.inlineCallbacks
    def list(self, call: Call) -> Any:
        found = yield store.list_trunks(self.deps.db, call.organization_id)
        items = [trunk_json(t) for t in found]
        return {"sip_trunks": items, "trunks": items}

    @defer.inlineCallbacks
    def get(self, call: Call) -> Any:
        found = yield store.get_trunk(self.deps.db, call.organization_id, path_id(call, "SIP trunk"))
        if found is None:
            raise errors.not_found("SIP trunk")
        return _one(found)

    @defer.inlineCallbacks
    def create(self, call: Call) -> Any:
        trunk_id = uuid.uuid4()
        columns = self._columns(call.body or {}, trunk_id, creating=True)
        created = yield store.create_trunk(self.deps.db, call.organization_id, trunk_id, columns)
        self.deps.routing_changed()
        return _one(created)

    @defer.inlineCallbacks
    def update(self, call: Call) -> Any:
        trunk_id = path_id(call, "SIP trunk")
        columns = self._columns(call.body or {}, trunk_id, creating=False)
        updated = yield store.update_trunk(self.deps.db, call.organization_id, trunk_id, columns)
        if updated is None:
            raise errors.not_found("SIP trunk")
        self.deps.routing_changed()
        return _one(updated)

    @defer.inlineCallbacks
    def delete(self, call: Call) -> Any:
        deleted = yield store.delete_trunk(self.deps.db, call.organization_id, path_id(call, "SIP trunk"))
        if not deleted:
            raise errors.not_found("SIP trunk")
        self.deps.routing_changed()
        return {"success": True}
