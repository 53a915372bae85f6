# -*- test-case-name: tests.sip.test_transaction_diagrams -*-
"""
Graphviz ``.dot`` diagrams of the four transaction machines, drawn from their transition
tables (so a diagram cannot drift from the code). ``python -m
voicedock.sip.transaction.diagram docs/state-machines`` writes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from voicedock.sip.transaction.invite_client import InviteClientTransaction
from voicedock.sip.transaction.invite_server import InviteServerTransaction
from voicedock.sip.transaction.machine import Transaction
from voicedock.sip.transaction.non_invite_client import NonInviteClientTransaction
from voicedock.sip.transaction.non_invite_server import NonInviteServerTransaction

MACHINES: dict[str, type[Transaction]] = {
    "invite-client": InviteClientTransaction,
    "non-invite-client": NonInviteClientTransaction,
    "invite-server": InviteServerTransaction,
    "non-invite-server": NonInviteServerTransaction,
}


def dot(name: str, machine: type[Transaction]) -> str:
    """The machine's table as a Graphviz digraph: one edge per (state, input) row."""
    lines = [
        f'digraph "{name}" {{',
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for (state, input_), transition in machine.TABLE.items():
        label = input_.value
        if transition.outputs:
            label += " / " + ", ".join(transition.outputs)
        lines.append(f'  "{state.value}" -> "{transition.next.value}" [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, machine in MACHINES.items():
        path = folder / f"{name}.dot"
        path.write_text(dot(name, machine))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/state-machines")):
        print(path)
