"""The transactional outbox: written with the change, delivered with retries on a clock."""

import time

from twisted.internet import defer, reactor, task
from twisted.trial.unittest import TestCase

from voicedock.store import outbox
from voicedock.store.outbox import OutboxRelay, RetryPolicy
from voicedock.store.pool import Database
from voicedock.testing.postgres import make_test_database


@defer.inlineCallbacks
def _settle(relay=None, until=lambda: True, seconds=10.0):
    """
    Let real database round trips finish (the relay's timers stay on the test clock): wait
    until ``until()`` holds and the relay has been idle for a few turns of the reactor.
    """
    waited, idle = 0.0, 0
    while idle < 5:
        yield task.deferLater(reactor, 0.01, lambda: None)
        waited += 0.01
        if waited > seconds:
            raise AssertionError("the relay did not settle")
        idle = idle + 1 if until() and (relay is None or not relay.busy) else 0


class Recorder:
    def __init__(self, failures=0):
        self.seen = []
        self.failures = failures

    def __call__(self, message):
        self.seen.append((message.topic, message.payload, message.attempts))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("receiver down")
        return defer.succeed(None)


class OutboxTests(TestCase):
    @defer.inlineCallbacks
    def setUp(self):
        self.db = yield make_test_database(self)
        self.clock = task.Clock()
        self.clock.advance(int(time.time()))  # whole seconds: exact in timestamptz

    def relay(self, handler, **kw):
        relay = OutboxRelay(self.db, self.clock, handler, **kw)
        self.addCleanup(relay.stop)
        return relay

    @defer.inlineCallbacks
    def test_written_only_with_its_change(self):
        @defer.inlineCallbacks
        def change(cursor, fail):
            yield cursor.execute("INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'acme')")
            yield outbox.enqueue(cursor, "webhook.status-update", {"status": "ended"})
            if fail:
                raise ValueError("the change failed")

        yield self.assertFailure(self.db.runInteraction(change, True), ValueError)
        self.assertEqual((yield self.db.runQuery("SELECT count(*) FROM outbox")), [(0,)])
        yield self.db.runInteraction(change, False)
        self.assertEqual((yield self.db.runQuery("SELECT count(*) FROM outbox")), [(1,)])

    @defer.inlineCallbacks
    def test_relay_delivers_on_notify(self):
        handler = Recorder()
        relay = self.relay(handler)
        yield relay.start()
        yield self.db.runInteraction(outbox.enqueue, "t", {"n": 1})
        yield _settle(relay, lambda: handler.seen)
        self.assertEqual(handler.seen, [("t", {"n": 1}, 1)])
        rows = yield self.db.runQuery("SELECT delivered_at IS NOT NULL, attempts FROM outbox")
        self.assertEqual(rows, [(True, 1)])

    @defer.inlineCallbacks
    def test_failures_retry_with_backoff_and_give_up(self):
        handler = Recorder(failures=3)
        policy = RetryPolicy(first_delay=10, factor=2, max_delay=100, max_attempts=3)
        relay = self.relay(handler, policy=policy)
        yield relay.start()
        yield self.db.runInteraction(outbox.enqueue, "t", {})
        yield _settle(relay, lambda: handler.seen)
        self.assertEqual(len(handler.seen), 1)
        self.clock.advance(9.9)
        yield _settle(relay)
        self.assertEqual(len(handler.seen), 1, "not due before 10 s")
        self.clock.advance(0.1)
        yield _settle(relay, lambda: len(handler.seen) == 2)
        self.assertEqual(len(handler.seen), 2)
        self.clock.advance(20)  # 10 * 2
        yield _settle(relay, lambda: len(handler.seen) == 3)
        self.assertEqual([s[2] for s in handler.seen], [1, 2, 3])
        rows = yield self.db.runQuery("SELECT failed_at IS NOT NULL, last_error FROM outbox")
        self.assertEqual(rows, [(True, "RuntimeError: receiver down")])
        self.clock.advance(1000)
        yield _settle(relay)
        self.assertEqual(len(handler.seen), 3, "given up: never tried again")

    @defer.inlineCallbacks
    def test_retry_survives_a_restart(self):
        first = Recorder(failures=1)
        relay = self.relay(first, policy=RetryPolicy(first_delay=60))
        yield relay.start()
        yield self.db.runInteraction(outbox.enqueue, "t", {"x": 1})
        yield _settle(relay, lambda: first.seen)
        yield relay.stop()
        # a new process (another pool), a minute later
        db2 = Database(reactor, self.db.dsn, size=1)
        yield db2.start()
        self.addCleanup(db2.close)
        self.clock.advance(60)
        second = Recorder()
        relay2 = OutboxRelay(db2, self.clock, second)
        self.addCleanup(relay2.stop)
        yield relay2.start()
        yield _settle(relay2, lambda: second.seen)
        self.assertEqual(second.seen, [("t", {"x": 1}, 2)])

    @defer.inlineCallbacks
    def test_two_relays_never_take_the_same_message(self):
        for n in range(30):
            yield self.db.runInteraction(outbox.enqueue, "t", {"n": n})
        db2 = Database(reactor, self.db.dsn, size=1)
        yield db2.start()
        self.addCleanup(db2.close)
        now = self.clock.seconds()
        a, b = yield defer.gatherResults([outbox.claim(self.db, now, 20), outbox.claim(db2, now, 20)])
        ids = [m.id for m in a] + [m.id for m in b]
        self.assertEqual(len(ids), 30)
        self.assertEqual(len(set(ids)), 30)
        # leased: nobody gets them again until the lease ends
        self.assertEqual((yield outbox.claim(self.db, now + 59, 50)), [])
        self.assertEqual(len((yield outbox.claim(self.db, now + 61, 50))), 30)

    def test_policy(self):
        policy = RetryPolicy(first_delay=5, factor=2, max_delay=30, max_attempts=5)
        self.assertEqual([policy.delay_after(n) for n in range(1, 6)], [5, 10, 20, 30, None])
