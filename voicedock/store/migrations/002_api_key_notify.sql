-- VoiceDock schema, version 2: tell API processes when keys change, so they can cache
-- key lookups and still refuse a revoked key at once (voicedock.api.auth).
CREATE FUNCTION voicedock_notify_api_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('voicedock_api_keys', TG_OP);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION voicedock_notify_api_keys();
