"""The durable processing queue: jobs in PostgreSQL, workers that claim them, the supervisor."""
