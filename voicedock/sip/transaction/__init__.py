# -*- test-case-name: tests.sip.test_transaction_manager -*-
"""
SIP transactions (RFC 3261 §17 as amended by RFC 6026): the four machines,
one module each, their timers, and the manager that matches messages to them.
"""

from voicedock.sip.transaction.interfaces import (
    ClientTransactionUser,
    ServerTransactionUser,
    TransactionCore,
)
from voicedock.sip.transaction.invite_client import InviteClientTransaction, ack_for_non_2xx
from voicedock.sip.transaction.invite_server import InviteServerTransaction
from voicedock.sip.transaction.machine import Input, State, Transaction
from voicedock.sip.transaction.manager import (
    ClientTransaction,
    ServerTransaction,
    TransactionManager,
)
from voicedock.sip.transaction.non_invite_client import NonInviteClientTransaction
from voicedock.sip.transaction.non_invite_server import NonInviteServerTransaction
from voicedock.sip.transaction.timers import TimerSettings

__all__ = [
    "ClientTransaction",
    "ClientTransactionUser",
    "Input",
    "InviteClientTransaction",
    "InviteServerTransaction",
    "NonInviteClientTransaction",
    "NonInviteServerTransaction",
    "ServerTransaction",
    "ServerTransactionUser",
    "State",
    "TimerSettings",
    "Transaction",
    "TransactionCore",
    "TransactionManager",
    "ack_for_non_2xx",
]
