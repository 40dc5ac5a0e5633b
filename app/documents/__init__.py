"""GraphQL documents as text: normalization (the prepared-document key) and bounded
parse + validation."""
