"""Persisted queries: Apollo's automatic persisted queries and trusted documents."""
