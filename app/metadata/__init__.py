"""The document metadata store: one interface, a PostgreSQL and a MongoDB backend."""
