-- Core tables of the Vanta Ledger data model (DESIGN.md section 4).

CREATE TABLE companies (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text NOT NULL,
    registration_number text UNIQUE,
    industry            text,
    company_type        text NOT NULL
        CHECK (company_type IN ('core_family', 'business_partner', 'subsidiary')),
    status              text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'inactive', 'archived')),
    contact             jsonb NOT NULL DEFAULT '{}'::jsonb,
    tax_info            jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE company_relationships (
    company_a_id      bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    company_b_id      bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    relationship_type text NOT NULL,
    strength          double precision NOT NULL DEFAULT 0.5 CHECK (strength BETWEEN 0 AND 1),
    UNIQUE (company_a_id, company_b_id, relationship_type),
    CHECK (company_a_id <> company_b_id)
);

CREATE TABLE projects (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name       text NOT NULL,
    client     text,
    value      numeric(15, 2),
    start_date date,
    end_date   date,
    status     text NOT NULL DEFAULT 'active'
        CHECK (status IN ('planned', 'active', 'completed', 'cancelled'))
);

CREATE TABLE documents (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id        bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    project_id        bigint REFERENCES projects (id) ON DELETE SET NULL,
    filename          text NOT NULL,
    document_type     text NOT NULL
        CHECK (document_type IN ('invoice', 'receipt', 'contract', 'tender', 'report',
                                 'bank_statement', 'tax_compliance', 'license', 'proposal',
                                 'other')),
    category          text NOT NULL
        CHECK (category IN ('financial', 'legal', 'compliance', 'project', 'general')),
    status            text NOT NULL DEFAULT 'active'
        CHECK (status IN ('draft', 'active', 'archived')),
    processing_status text NOT NULL DEFAULT 'pending'
        CHECK (processing_status IN ('pending', 'processed', 'failed')),
    mime_type         text,
    file_size         integer CHECK (file_size >= 0),
    content_sha256    text,
    uploaded_at       timestamptz NOT NULL DEFAULT now(),
    uploaded_by       text
);

CREATE TABLE ledger_entries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id       bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    project_id       bigint REFERENCES projects (id) ON DELETE SET NULL,
    document_id      bigint REFERENCES documents (id) ON DELETE SET NULL,
    entry_type       text NOT NULL
        CHECK (entry_type IN ('income', 'expense', 'transfer', 'withdrawal', 'investment',
                              'loan')),
    category         text,
    description      text,
    amount           numeric(15, 2) NOT NULL CHECK (amount >= 0),
    currency         text NOT NULL DEFAULT 'KES',
    reference_number text,
    transaction_date date NOT NULL,
    approval_status  text NOT NULL DEFAULT 'pending'
        CHECK (approval_status IN ('pending', 'approved', 'rejected')),
    approved_by      text,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- PostgreSQL backend of the metadata store: one row per document.
CREATE TABLE document_metadata (
    document_id    bigint PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    tags           text[] NOT NULL DEFAULT '{}',
    keywords       text[] NOT NULL DEFAULT '{}',
    classification text,
    summary        text,
    invoice_number text,
    vendor_name    text,
    total_amount   numeric(15, 2),
    currency       text,
    risk_score     double precision CHECK (risk_score BETWEEN 0 AND 1),
    entities       jsonb NOT NULL DEFAULT '[]'::jsonb,
    text           text,
    search_vector  tsvector
);

-- array_to_string is not immutable, so a generated column cannot build the vector;
-- a trigger does, and it also covers rows loaded with COPY.
CREATE FUNCTION document_metadata_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english',
            coalesce(NEW.vendor_name, '') || ' ' || coalesce(NEW.invoice_number, '') || ' ' ||
            array_to_string(NEW.tags, ' ')), 'A') ||
        setweight(to_tsvector('english',
            coalesce(NEW.classification, '') || ' ' || array_to_string(NEW.keywords, ' ') ||
            ' ' || coalesce(NEW.summary, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.text, '')), 'C');
    RETURN NEW;
END;
$$;

CREATE TRIGGER document_metadata_search_vector_trigger
    BEFORE INSERT OR UPDATE ON document_metadata
    FOR EACH ROW EXECUTE FUNCTION document_metadata_search_vector();
