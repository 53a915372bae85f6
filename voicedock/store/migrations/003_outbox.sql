-- VoiceDock schema, version 3: the transactional outbox.
--
-- A change and the messages that report it (webhook deliveries, later) are written in the
-- same transaction, so a message exists exactly when its change was committed. A relay
-- (voicedock.store.outbox.OutboxRelay) delivers them with retries that survive restarts;
-- several server processes can share the table (rows are claimed with SKIP LOCKED).

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    organization_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
    topic           text NOT NULL CHECK (length(topic) BETWEEN 1 AND 100),
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',  -- new: due at once
    -- a claimed row is leased to one relay until then; an expired lease is claimable again
    leased_until    timestamptz,
    delivered_at    timestamptz,
    failed_at       timestamptz,  -- gave up: no more attempts
    last_error      text
);
CREATE INDEX outbox_due ON outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE FUNCTION voicedock_notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('voicedock_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_enqueued AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION voicedock_notify_outbox();
