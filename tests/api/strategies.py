"""Hypothesis strategies for request bodies: random JSON and near-valid mutations."""

from __future__ import annotations

import copy
from typing import Any, Sequence

from hypothesis import strategies as st

from tests.api.examples import FULL

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", "+31850835037", "pbx.example.com", "sip:a@b.example.com", "udp", "tls",
                       "local", "openai", "transfer_call", "function", "00000000-0000-0000-0000-000000000000",
                       "2025-12-13", "x" * 300, "\u0000", "é"])
)


def json_values(keys: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    key = st.text(max_size=10) | st.sampled_from(list(keys) or ["name"])
    return st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=5),
        max_leaves=12,
    )


EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "numbers": [
        {"phone_number": "+31850835037", "name": "Main Support Line",
         "assistant_id": "17a0cb75-fa09-4bdd-9a44-92a70d829c88"},
        {"phone_number": "+31201234567", "agent_id": None, "transfer_trunk_id": None, "is_active": False},
    ],
    "sip-trunks": [
        {"name": "Office PBX", "host": "pbx.example.com", "port": 5060, "username": "hms-sovereign",
         "password": "secure-password"},
        {"name": "Carrier", "provider": "voys", "inbound_addresses": ["203.0.113.0/24"],
         "outbound_address": "sip.example.com:5080", "outbound_number": "+31850835037",
         "auth_username": "acct", "auth_password": "pw", "transport": "tcp"},
    ],
    "assistants": [
        {"name": "Support"},
        FULL,
        {"name": "Realtime", "llm_config": {"provider": "xai_realtime", "turn_detection": {"threshold": 0.4}}},
    ],
}


def _slots(doc: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append((doc, k))
            _slots(v, out)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append((doc, i))
            _slots(v, out)
    return out


@st.composite
def mutated_bodies(draw: Any, resource: str, keys: Sequence[str] = ()) -> Any:
    """A valid example with up to three random edits (replace, delete, add a key)."""
    doc = copy.deepcopy(draw(st.sampled_from(EXAMPLES[resource])))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        slots = _slots(doc, [])
        if not slots:
            break
        container, where = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            container[where] = draw(json_values(keys))
        elif action == "delete":
            del container[where]
        elif isinstance(container, dict):
            container[draw(st.sampled_from(list(keys) or ["x"]) | st.text(max_size=8))] = draw(json_values(keys))
    return doc


def bodies(resource: str, keys: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    return mutated_bodies(resource, keys) | json_values(keys)
