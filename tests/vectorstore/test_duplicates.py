"""Near-duplicate clusters: syndicated copies join one cluster, persisted across reopening."""

from vectorstore.duplicates import DuplicateIndex, shingles, signature

STORY = (
    "Presiden meresmikan Bendungan Karian di Kabupaten Lebak, Banten, pada Sabtu pagi. Bendungan itu "
    "diharapkan mengairi 22.000 hektare sawah dan menyediakan air baku bagi warga Serang, Cilegon dan "
    "Tangerang. Pembangunan bendungan menelan biaya Rp 2,1 triliun dan dikerjakan sejak 2016. Menurut "
    "Kementerian Pekerjaan Umum, bendungan juga berfungsi mengendalikan banjir di daerah hilir Sungai Ciujung."
)
WIRE_COPY = "Lebak (ANTARA) - " + STORY + " Pewarta: Tim ANTARA. Editor: Redaksi."
OTHER = (
    "Banjir merendam sejumlah kawasan di Jakarta Utara pada Selasa pagi setelah hujan deras mengguyur sejak "
    "malam. Presiden meminta kementerian membantu warga. Ketinggian air mencapai 60 sentimeter di Sunter."
)


def test_shingles_are_word_trigrams():
    assert shingles("Satu dua, TIGA empat") == {"satu dua tiga", "dua tiga empat"}
    assert shingles("dua kata") == {"dua", "kata"}


def test_wire_copy_is_near_and_other_story_is_far():
    assert signature(STORY).jaccard(signature(WIRE_COPY)) > 0.6
    assert signature(STORY).jaccard(signature(OTHER)) < 0.1


def test_clusters_persist_and_grow_incrementally(tmp_path):
    index = DuplicateIndex(tmp_path)
    assert index.assign("kompas", STORY, "Kompas.com", "https://kompas.com/1", "Karian", 100) == "kompas"
    assert index.assign("tempo", OTHER, "Tempo.co") == "tempo"
    index.close()

    reopened = DuplicateIndex(tmp_path)  # a later ingest: the copy joins the stored story's cluster
    assert reopened.assign("antara", WIRE_COPY, "ANTARA News", date=200) == "kompas"
    assert [m.outlet for m in reopened.members("kompas")] == ["Kompas.com", "ANTARA News"]
    assert reopened.cluster_of("antara") == "kompas" and reopened.indexed() == {"kompas", "tempo", "antara"}
    reopened.remove("antara")
    assert [m.article_id for m in reopened.members("kompas")] == ["kompas"]
    # re-assigning an article replaces its old signature instead of matching itself
    assert reopened.assign("kompas", OTHER) == "tempo"


def test_remove_without_loading_the_lsh(tmp_path):
    index = DuplicateIndex(tmp_path)
    index.assign("kompas", STORY)
    index.close()

    reopened = DuplicateIndex(tmp_path)  # a removal in a new process: one row deleted, no LSH built
    reopened.remove("kompas")
    assert reopened._lsh is None and reopened.indexed() == set()
    assert reopened.assign("antara", WIRE_COPY) == "antara"  # the removed story is not matched later


def _short_articles(count: int, footer: str) -> list[str]:
    import random

    rng = random.Random(7)
    vocab = [f"{a}{b}" for a in ("ka", "ri", "mo", "te", "su", "la", "pe", "di", "ba", "no") for b in
             ("rang", "tuk", "mbu", "sih", "ngan", "wat", "lis", "mar", "gen", "pok")]
    texts = []
    for _ in range(count):
        body = " ".join(rng.choice(vocab) for _ in range(14)) + "."
        texts.append(f"{body}\n{footer}")
    return texts


def test_a_footer_shared_by_many_articles_makes_no_near_duplicates(tmp_path):
    """Issue 17, list 7: 300 short articles of one site with the same long footer are 300 stories."""
    from vectorstore.duplicates import DuplicateIndex

    footer = (
        "Baca berita terbaru lainnya hanya di situs kami dan ikuti kanal resmi kami di media sosial.\n"
        "Hak cipta dilindungi undang-undang. Dilarang mengutip, menyalin, atau menayangkan ulang.\n"
        "Redaksi menerima tulisan pembaca melalui alamat surel resmi yang tercantum di halaman kontak."
    )
    index = DuplicateIndex(tmp_path)
    clusters = [index.assign(f"a{i}", text, "Situs Contoh") for i, text in enumerate(_short_articles(300, footer))]
    joined = sum(cluster != f"a{i}" for i, cluster in enumerate(clusters))
    assert joined <= 1, joined  # at most the second article, before the footer is known to be shared


def test_a_wire_story_at_many_outlets_still_clusters(tmp_path):
    from vectorstore.duplicates import DuplicateIndex

    (story,) = _short_articles(1, "Pewarta: Nama Wartawan. Editor: Nama Editor yang bertugas hari ini.")
    index = DuplicateIndex(tmp_path)
    clusters = {index.assign(f"o{i}", f"Berita dari outlet {i} hari ini.\n{story}", f"Outlet {i}") for i in range(6)}
    assert clusters == {"o0"}
