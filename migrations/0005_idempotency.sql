-- Idempotency-Key records (app/idempotency.py): one row per (token subject, key), written in
-- the mutation's own transaction with the digest of the request and the exact response bytes.
-- Rows older than 24 hours are ignored and purged opportunistically.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    subject text NOT NULL,
    idempotency_key text NOT NULL,
    request_digest bytea NOT NULL,
    status smallint,
    response bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, idempotency_key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at_idx ON idempotency_keys (created_at);
