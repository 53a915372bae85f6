"""The committed state-machine diagrams match the transition tables."""

from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from voicedock.sip.transaction.diagram import MACHINES, dot

DOCS = Path(__file__).parents[2] / "docs" / "state-machines"


class DiagramTests(SynchronousTestCase):
    def test_committed_diagrams_are_current(self):
        for name, machine in MACHINES.items():
            path = DOCS / f"{name}.dot"
            self.assertEqual(
                path.read_text(), dot(name, machine),
                f"{path} is stale: run python -m voicedock.sip.transaction.diagram docs/state-machines",
            )

    def test_every_row_is_an_edge(self):
        for name, machine in MACHINES.items():
            self.assertEqual(dot(name, machine).count(" -> "), len(machine.TABLE))
