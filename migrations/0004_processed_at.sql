-- When a document finished processing (processed or failed): the watermark from which
-- real-time listeners replay the events they missed while disconnected. Idempotent on
-- purpose: the processing branch's 0003 adds the same column and index.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS processed_at timestamptz;
CREATE INDEX IF NOT EXISTS documents_processed_at_idx ON documents (processed_at);
