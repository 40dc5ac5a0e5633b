"""Query documents as the pipeline keeps them: parsed, validated and planned once."""
