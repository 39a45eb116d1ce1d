from vectorstore.keyword import KeywordIndex, tokenize


def test_tokenize_indonesian_and_no_space_scripts():
    assert tokenize("Pasukan Korea Utara, 2025!") == ["pasukan", "korea", "utara", "2025"]
    zh = tokenize("维多利亚")
    assert "维多" in zh and "维" in zh
    th = tokenize("ประเทศไทย")
    assert "ปร" in th


def test_index_add_search_remove(tmp_path):
    index = KeywordIndex(tmp_path)
    index.replace_article("a", [("a:0", "Kim Jong Un memerintahkan pengiriman pasukan"), ("a:1", "Kursk")])
    index.replace_article("b", [("b:0", "Harga beras naik di Jakarta")])
    assert index.search("siapa memerintahkan pasukan", 5)[0][0] == "a:0"
    index.delete_article("a")
    assert index.search("pasukan", 5) == []
    assert index.search("beras", 5)[0][0] == "b:0"
    # a second handle (another process) sees the same data
    assert KeywordIndex(tmp_path).search("beras", 5)[0][0] == "b:0"


def test_fusion_keeps_each_legs_best_hit():
    from vectorstore.retriever import keep_leaders, reciprocal_rank_fusion
    from vectorstore.store import Hit

    dense = ["d1", "d2", "d3", "d4", "d5", "d6"]
    keyword = ["k1", "d6"]
    fused = reciprocal_rank_fusion([dense, keyword], k=10, weights=[1.5, 1.0])
    ranked = [Hit(pid, "", {"article_id": pid}, score) for pid, score in sorted(fused.items(), key=lambda x: -x[1])]
    assert "k1" not in [h.passage_id for h in ranked[:5]]  # weighted RRF alone would drop it
    top = [h.passage_id for h in keep_leaders(ranked, ["d1", "k1"], 5)]
    assert "k1" in top[:5] and "d1" in top[:5]


def test_removal_does_not_rebuild_the_index(tmp_path):
    index = KeywordIndex(tmp_path)
    index.replace_article("a", [("a:0", "pasukan Korea Utara"), ("a:1", "pasukan di Kursk")])
    index.replace_article("b", [("b:0", "pasukan Rusia")])
    assert len(index.search("pasukan", 5)) == 3
    built = index._bm25
    index.delete_article("a")
    assert [pid for pid, _ in index.search("pasukan", 5)] == ["b:0"]
    assert index._bm25 is built  # filtered, not rebuilt
    assert [pid for pid, _ in KeywordIndex(tmp_path).search("pasukan", 5)] == ["b:0"]  # another process too
    index.replace_article("c", [("c:0", "pasukan Ukraina")])  # an addition rebuilds without the removed
    assert sorted(pid for pid, _ in index.search("pasukan", 5)) == ["b:0", "c:0"]
    assert index._bm25 is not built


def test_allowed_passages_are_ranked_alone(tmp_path):
    index = KeywordIndex(tmp_path)
    index.replace_article("a", [("a:0", "banjir banjir banjir Jakarta"), ("a:1", "banjir Bekasi")])
    index.replace_article("b", [("b:0", "banjir di Bogor")])
    assert index.search("banjir", 1, allowed={"b:0"}) == [("b:0", index.search("banjir", 3, {"b:0"})[0][1])]
    assert {pid for pid, _ in index.search("banjir", 5, allowed={"a:1", "b:0"})} == {"a:1", "b:0"}
    assert index.search("banjir", 5, allowed=set()) == []


def test_one_article_per_cluster_keeps_the_best_ranked():
    from vectorstore.retriever import collapse_clusters
    from vectorstore.store import Hit

    def hit(pid, aid, cluster):
        return Hit(pid, "", {"article_id": aid, "cluster": cluster}, 1.0)

    hits = [hit("k:0", "k", "k"), hit("a:0", "a", "k"), hit("t:0", "t", "t"), hit("k:1", "k", "k"), hit("x:0", "x", "")]
    kept, dropped = collapse_clusters(hits)
    assert [h.passage_id for h in kept] == ["k:0", "t:0", "k:1", "x:0"]
    assert [h.passage_id for h in dropped["k"]] == ["a:0"]


def test_document_frequencies(tmp_path):
    index = KeywordIndex(tmp_path)
    assert index.document_frequencies(["kim"]) == (0, {})
    index.replace_article("a", [("a#0", "Kim Jong Un di Pyongyang"), ("a#1", "Kim dan pasukan")])
    index.replace_article("b", [("b#0", "Harga cabai di Jakarta")])
    total, counts = index.document_frequencies(["kim", "di", "cabai", "rusia"])
    assert total == 3 and counts == {"kim": 2, "di": 2, "cabai": 1, "rusia": 0}
