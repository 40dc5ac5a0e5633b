-- Indexes for the access paths of DESIGN.md sections 4 and 5. Keyset pagination orders by
-- (sort key, id), so the id is the tie-breaker column of every paging index.

CREATE INDEX documents_company_idx ON documents (company_id);
CREATE INDEX documents_company_type_idx ON documents (company_id, document_type);
CREATE INDEX documents_company_status_idx ON documents (company_id, status);
CREATE INDEX documents_company_uploaded_idx ON documents (company_id, uploaded_at DESC, id DESC);
CREATE INDEX documents_uploaded_idx ON documents (uploaded_at DESC, id DESC);
CREATE INDEX documents_project_idx ON documents (project_id);

CREATE INDEX ledger_company_date_idx ON ledger_entries (company_id, transaction_date DESC, id DESC);
CREATE INDEX ledger_company_type_idx ON ledger_entries (company_id, entry_type);
CREATE INDEX ledger_approval_idx ON ledger_entries (approval_status);

CREATE INDEX projects_company_idx ON projects (company_id);
CREATE INDEX companies_status_idx ON companies (status);
CREATE INDEX companies_name_idx ON companies (name);
CREATE INDEX company_relationships_b_idx ON company_relationships (company_b_id);

CREATE INDEX document_metadata_search_idx ON document_metadata USING gin (search_vector);
CREATE INDEX document_metadata_tags_idx ON document_metadata USING gin (tags);
