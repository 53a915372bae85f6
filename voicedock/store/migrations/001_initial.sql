-- VoiceDock schema, version 1. Applied once, in one transaction, by voicedock.store.migrate.
-- Needs PostgreSQL 15 or newer (ON DELETE SET NULL with a column list).

CREATE TABLE server_settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored only as SHA-256 hashes; `prefix` (the first characters) lets an
-- operator tell keys apart in `voicedock keys list`.
CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    key_hash        bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    prefix          text NOT NULL,
    name            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

CREATE TABLE assistants (
    id                        uuid PRIMARY KEY,
    organization_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                      text NOT NULL,
    is_active                 boolean NOT NULL DEFAULT true,
    -- every other documented field, as validated by the API
    config                    jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- write-only secrets, encrypted with the server's key (voicedock.secretbox)
    webhook_secret_ciphertext bytea,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);

CREATE TABLE sip_trunks (
    id                  uuid PRIMARY KEY,
    organization_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                text NOT NULL,
    host                text NOT NULL,
    port                integer NOT NULL DEFAULT 5060 CHECK (port BETWEEN 1 AND 65535),
    transport           text NOT NULL DEFAULT 'udp' CHECK (transport IN ('udp', 'tcp')),
    username            text,
    password_ciphertext bytea,
    provider            text,
    inbound_addresses   text[] NOT NULL DEFAULT '{}',
    outbound_number     text,
    is_active           boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, id)
);

-- One number routes to one organization: phone_number is unique across the server.
-- References stay inside the organization (composite keys); deleting the assistant or
-- trunk clears only that column.
CREATE TABLE phone_numbers (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    phone_number      text NOT NULL UNIQUE CHECK (phone_number ~ '^\+[1-9][0-9]{1,14}$'),
    name              text,
    assistant_id      uuid,
    transfer_trunk_id uuid,
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (organization_id, assistant_id)
        REFERENCES assistants (organization_id, id) ON DELETE SET NULL (assistant_id),
    FOREIGN KEY (organization_id, transfer_trunk_id)
        REFERENCES sip_trunks (organization_id, id) ON DELETE SET NULL (transfer_trunk_id)
);
CREATE INDEX phone_numbers_organization ON phone_numbers (organization_id);
CREATE INDEX phone_numbers_assistant ON phone_numbers (assistant_id);
CREATE INDEX phone_numbers_trunk ON phone_numbers (transfer_trunk_id);

CREATE TABLE calls (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    number_id        uuid REFERENCES phone_numbers (id) ON DELETE SET NULL,
    assistant_id     uuid REFERENCES assistants (id) ON DELETE SET NULL,
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound', 'web')),
    status           text NOT NULL CHECK (status IN
                        ('ringing', 'in-progress', 'transferring', 'ended', 'failed', 'rejected')),
    end_reason       text,
    error            text,
    caller_phone     text,
    assistant_phone  text,
    sip_call_id      text,
    started_at       timestamptz,
    ended_at         timestamptz,
    duration_seconds integer,
    messages         jsonb,
    transfers        jsonb NOT NULL DEFAULT '[]'::jsonb,
    summary          text,
    analysis_result  jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_organization_created ON calls (organization_id, created_at DESC);
CREATE INDEX calls_status ON calls (organization_id, status);

-- Changes that the SIP side's number lookup caches must see, in this process and in any
-- other server process sharing the database: NOTIFY voicedock_routing with the table name.
CREATE FUNCTION voicedock_notify_routing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('voicedock_routing', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER phone_numbers_routing AFTER INSERT OR UPDATE OR DELETE ON phone_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION voicedock_notify_routing();
CREATE TRIGGER assistants_routing AFTER INSERT OR UPDATE OR DELETE ON assistants
    FOR EACH STATEMENT EXECUTE FUNCTION voicedock_notify_routing();
CREATE TRIGGER organizations_routing AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION voicedock_notify_routing();
CREATE TRIGGER sip_trunks_routing AFTER INSERT OR UPDATE OR DELETE ON sip_trunks
    FOR EACH STATEMENT EXECUTE FUNCTION voicedock_notify_routing();
