"""The commit registry: which version of an article readers see, and what a reader learns changed."""

from vectorstore.documents import Passage
from vectorstore.keyword import KeywordIndex
from vectorstore.versions import REMOVED, RegistryView, VersionRegistry, article_version, passage_version, version_tag


def test_committed_version_is_the_only_visible_one():
    view = RegistryView(3, committed={"a": "h1/400/80"}, pending={"a": {"h2/400/80"}})
    assert view.visible("a", "h1/400/80")
    assert not view.visible("a", "h2/400/80")  # being written
    assert not view.visible("a", "h0/400/80")  # replaced, not yet deleted


def test_without_a_committed_version_all_but_the_pending_one_are_visible():
    view = RegistryView(3, committed={"b": ""}, pending={"c": {"new/400/80"}})
    assert view.visible("legacy", "h/400/80")  # stored before the registry: stays visible
    assert view.visible("b", "h/400/80")  # written without a version
    assert not view.visible("c", "new/400/80")  # a new article being written
    assert view.visible("c", "old/400/80")


def test_removed_article_is_hidden():
    assert not RegistryView(1, committed={"a": REMOVED}).visible("a", "h/400/80")


def test_passage_ids_carry_the_version_and_keep_the_article_prefix():
    version = article_version("abc", "400/80")
    assert passage_version({"content_hash": "abc", "chunking": "400/80"}) == version
    new = Passage("a1", 3, "teks", 0, 4, version)
    assert new.passage_id == f"a1:{version_tag(version)}:3" and new.passage_id.startswith("a1:")
    assert Passage("a1", 3, "teks", 0, 4).passage_id == "a1:3"  # passages of old collections


def test_stale_versions_are_those_no_reader_sees():
    assert VersionRegistry.stale("v1", REMOVED, set())
    assert VersionRegistry.stale("v1", "v2", set()) and not VersionRegistry.stale("v2", "v2", {"v2"})
    assert VersionRegistry.stale("v2", "", {"v2"}) and not VersionRegistry.stale("v1", "", {"v2"})


def test_registry_records_pending_commit_and_what_changed(tmp_path):
    index = KeywordIndex(tmp_path)
    registry = index.registry
    start = registry.generation()
    registry.mark_pending({"a": "v1", "b": "v1"})
    assert registry.unfinished() == {"a": ("", {"v1"}), "b": ("", {"v1"})}
    pending = registry.view(["a", "b", "x"])
    assert not pending.visible("a", "v1") and pending.changed_since(start) == {"a", "b"}
    index.replace_articles([("a", [("a:t:0", "banjir")], "v1"), ("b", [("b:t:0", "pasar")], "v1")])
    committed = registry.view(["a"])
    assert committed.visible("a", "v1") and committed.changed_since(pending.generation) == {"a"}
    registry.settle(["a", "b"])
    assert registry.unfinished() == {}
    assert registry.view(["a"]).visible("a", "v1")
    assert index.article_states() == {"a": (1, "v1"), "b": (1, "v1")}


def test_tombstone_hides_the_article_until_settled(tmp_path):
    index = KeywordIndex(tmp_path)
    index.replace_article("a", [("a:t:0", "banjir")], "v1")
    before = index.registry.generation()
    index.delete_article("a", tombstone=True)
    assert not index.registry.view(["a"]).visible("a", "v1")
    assert index.registry.unfinished() == {"a": (REMOVED, set())}
    assert "a" not in index.article_states() and index.search("banjir", 5) == []
    index.registry.settle(["a"])
    view = index.registry.view(["a"])
    assert view.committed == {} and view.changed_since(before) == {"a"}  # the change stays known


def test_a_second_connection_sees_the_commit(tmp_path):
    writer, reader = KeywordIndex(tmp_path), KeywordIndex(tmp_path)
    writer.registry.mark_pending({"a": "v2"})
    assert reader.registry.view(["a"]).pending == {"a": {"v2"}}
    writer.replace_article("a", [("a:t:0", "banjir")], "v2")
    assert reader.registry.view(["a"]).committed == {"a": "v2"}
