"""The answer check that runs before timing: both servers' documents must agree after the
peer's names are mapped onto ours, and any difference is named by its path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.peer.compare import AnswerMismatch, canonical, check_same, first_difference


def _document(ident: int, *, peer: bool) -> dict[str, Any]:
    """One Q1 node as either server renders it (ours: enums upper case, fewer digits)."""
    if peer:
        return {
            "rowId": str(ident),
            "documentType": "bank_statement",
            "fileSize": 2269405,
            "uploadedAt": "2026-06-29T23:55:01.000000+00:00",
            "companyByCompanyId": {"rowId": "1", "name": "Bahari Holdings Ltd"},
            "documentMetadatumByDocumentId": {"tags": ["paid"], "totalAmount": "2366.90"},
        }
    return {
        "id": str(ident),
        "documentType": "BANK_STATEMENT",
        "fileSize": 2269405,
        "uploadedAt": "2026-06-29T23:55:01+00:00",
        "company": {"id": "1", "name": "Bahari Holdings Ltd"},
        "metadata": {"tags": ["paid"], "totalAmount": "2366.9"},
    }


def _answers(ids: list[int]) -> tuple[dict[str, Any], dict[str, Any]]:
    ours = {"data": {"documents": {"nodes": [_document(i, peer=False) for i in ids]}}}
    peer = {"data": {"allDocuments": {"nodes": [_document(i, peer=True) for i in ids]}}}
    return ours, peer


def test_the_same_documents_rendered_each_way_agree_and_count_their_ids() -> None:
    ours, peer = _answers([3, 2, 1])
    assert check_same("Q1", ours, peer) == 6  # three documents and their companies


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda nodes: nodes.pop(), "3 items != 2"),
        (lambda nodes: nodes.reverse(), "nodes[0].id"),
        (lambda nodes: nodes[1].update(rowId="99"), "nodes[1].id"),
        (lambda nodes: nodes[0]["companyByCompanyId"].update(name="Other"), "company.name"),
        (lambda nodes: nodes[2]["documentMetadatumByDocumentId"].update(tags=[]), "tags"),
        (lambda nodes: nodes[0].update(uploadedAt="2026-06-29T23:55:02+00:00"), "uploadedAt"),
        (lambda nodes: nodes[0].update(documentMetadatumByDocumentId=None), "metadata"),
        (lambda nodes: nodes[0].pop("fileSize"), "fields"),
    ],
)
def test_a_mismatch_is_caught_and_named(change: Any, where: str) -> None:
    ours, peer = _answers([3, 2, 1])
    change(peer["data"]["allDocuments"]["nodes"])
    with pytest.raises(AnswerMismatch, match="Q1") as caught:
        check_same("Q1", ours, peer)
    assert where in str(caught.value)


def test_an_error_answer_never_matches_data() -> None:
    ours, _ = _answers([1])
    with pytest.raises(AnswerMismatch):
        check_same("Q3", ours, {"errors": [{"message": "boom"}]})


def test_numbers_and_their_string_forms_are_one_value_but_text_keeps_its_letters() -> None:
    assert canonical("12") == canonical(12) == canonical("12.00")
    assert canonical("KES") == canonical("kes") != canonical("KSH")
    assert first_difference(canonical({"a": [1, None]}), canonical({"a": [1, None]})) is None
    assert first_difference(canonical({"a": None}), canonical({"a": "x"})) == "data.a: None != 'x'"


def test_the_peer_answer_is_not_changed_by_the_check() -> None:
    ours, peer = _answers([2, 1])
    before = copy.deepcopy(peer)
    check_same("Q1", ours, peer)
    assert peer == before
