"""HTTP extras around the GraphQL endpoint: CORS, compression, shared header helpers."""
