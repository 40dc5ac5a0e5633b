"""Response cache: keys, policies, tags, and the in-process and Redis backends."""
