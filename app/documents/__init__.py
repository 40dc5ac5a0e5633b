"""Query documents as the pipeline keeps them: prechecked (precheck.py), normalized
(normalize.py), and parsed, validated and planned once (prepared.py)."""
