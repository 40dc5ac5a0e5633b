"""Query documents as the pipeline keeps them: prechecked, normalized, parsed, validated and
planned once (prepared.py), with bounded parse + validation (precheck.py, offloop.py)."""
