-- Document intake and processing (DESIGN.md section 11): a durable job queue in PostgreSQL.
-- Workers claim with FOR UPDATE SKIP LOCKED and an expiring lease; a crashed worker's claim
-- is taken over once the lease has passed. One active (queued/running) job per document.

-- Shared with the real-time migration (same two idempotent statements): when processing
-- ended, processed or failed.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS processed_at timestamptz;
CREATE INDEX IF NOT EXISTS documents_processed_at_idx ON documents (processed_at);

-- A company's own "large amount" threshold for the risk rules (NULL: the server default).
ALTER TABLE companies ADD COLUMN IF NOT EXISTS risk_amount_threshold numeric(15, 2);

CREATE TABLE document_jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id      bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    state            text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL CHECK (max_attempts >= 1),
    run_after        timestamptz NOT NULL DEFAULT now(),
    claim_token      uuid,
    locked_by        text,
    lease_expires_at timestamptz,
    last_error       text,
    risk_reasons     jsonb,
    classification_confidence real,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);

-- What a claim scans: queued jobs by due time, running ones by lease expiry.
CREATE INDEX document_jobs_queued_idx ON document_jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX document_jobs_running_idx ON document_jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX document_jobs_document_idx ON document_jobs (document_id, id DESC);
CREATE UNIQUE INDEX document_jobs_one_active_idx ON document_jobs (document_id)
    WHERE state IN ('queued', 'running');

-- Vendors a company has seen (the "vendor never seen before" risk rule), kept by workers so
-- that the rule works the same whichever metadata backend holds the vendor names.
CREATE TABLE company_vendors (
    company_id        bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    vendor_key        text NOT NULL,
    first_document_id bigint NOT NULL,
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, vendor_key)
);

CREATE INDEX IF NOT EXISTS documents_company_sha256_idx ON documents (company_id, content_sha256);
