"""The store's place among the layers: it imports only the vocabulary, clock, errors and the
pure helpers below it; the HTTP and browser layers take time from verify.clock, not the store;
capture tells the review workflow through the store's stored-snapshot hook, not an import."""

from __future__ import annotations

from test_architecture import import_graph

from verify import store
from verify.review import workflow as review

# what verify.store may import from the rest of verify
BELOW_THE_STORE = {
    "verify.model",
    "verify.clock",
    "verify.errors",
    "verify.urls",
    "verify.text.matchkeys",
}


def test_the_store_imports_nothing_above_it():
    graph = import_graph()
    for name, imports in graph.items():
        if name == "verify.store" or name.startswith("verify.store."):
            above = {m for m in imports if not m.startswith("verify.store")} - BELOW_THE_STORE
            assert above == set(), f"{name} imports {sorted(above)}"


def test_fetch_and_browser_take_time_from_the_clock_not_the_store():
    graph = import_graph()
    for name in ("verify.capture.fetch", "verify.capture.browser"):
        assert "verify.clock" in graph[name]
        assert not any(m.startswith("verify.store") for m in graph[name]), name


def test_capture_does_not_import_review_and_review_subscribes_to_the_hook():
    graph = import_graph()
    assert "verify.review.workflow" not in graph["verify.capture.engine"]
    assert any(
        getattr(h, "__module__", "") == review.__name__ for h in store.snapshots.STORED_HOOKS
    )


def test_the_old_archive_module_warns_and_still_answers(db):
    import pytest

    from verify import archive

    with pytest.warns(DeprecationWarning, match="use verify.store.get_claim"):
        getter = archive.get_claim
    assert getter is store.get_claim
    with pytest.warns(DeprecationWarning, match="use verify.store.list_assessments"):
        assert archive.assessments is store.list_assessments
