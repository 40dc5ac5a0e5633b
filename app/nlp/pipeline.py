"""Build and keep the spaCy pipeline of this worker process (imported here, lazily).

Default: ``spacy.blank("en")`` + an ``entity_ruler`` (deterministic, nothing to
download). With a trained pipeline named (``VANTA_SPACY_MODEL``) it is loaded instead and
the ruler goes before its statistical ``ner``, so rule entities win where they overlap.
One pipeline per (model, register) is kept per process: loading is the first document's cost.
"""

from __future__ import annotations

import hashlib
from typing import Any

from app.nlp.patterns import (
    organisation_patterns,
    rule_patterns,
    tokenizer_prefixes,
    tokenizer_suffixes,
)

__all__ = ["get_pipeline", "register_digest"]

_PIPELINES: dict[tuple[str | None, str], Any] = {}
_MAX_KEPT = 4


def register_digest(names: tuple[str, ...]) -> str:
    """A stable key of a company register (sha256, the same in every process)."""
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()


def get_pipeline(model: str | None, org_names: tuple[str, ...]) -> Any:
    """This process's pipeline for ``model`` (None: blank English) and these organisations."""
    key = (model, register_digest(org_names))
    nlp = _PIPELINES.get(key)
    if nlp is None:
        if len(_PIPELINES) >= _MAX_KEPT:
            _PIPELINES.clear()
        nlp = _PIPELINES[key] = _build(model, org_names)
    return nlp


def _build(model: str | None, org_names: tuple[str, ...]) -> Any:
    import spacy
    from spacy.util import compile_prefix_regex, compile_suffix_regex

    nlp = spacy.load(model) if model else spacy.blank("en")
    tokenizer = nlp.tokenizer
    tokenizer.prefix_search = compile_prefix_regex(
        tokenizer_prefixes() + list(nlp.Defaults.prefixes or ())
    ).search
    tokenizer.suffix_search = compile_suffix_regex(
        list(nlp.Defaults.suffixes or ()) + tokenizer_suffixes()
    ).search
    config = {"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
    if "ner" in nlp.pipe_names:
        ruler = nlp.add_pipe("entity_ruler", before="ner", config=config)
    else:
        ruler = nlp.add_pipe("entity_ruler", config=config)
    ruler.add_patterns(rule_patterns() + organisation_patterns(org_names))
    return nlp
