-- Document.ledgerEntries reads the entries of many documents at once.
CREATE INDEX IF NOT EXISTS ledger_entries_document_idx ON ledger_entries (document_id);
