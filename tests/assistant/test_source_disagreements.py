"""Passages of an answer that state different figures for one measure are shown side by side."""

from assistant.source_disagreements import answer_disagreements, disagreement_line
from assistant.types import Source

KOMPAS = "BPBD Sukabumi mencatat 12 orang tewas dan empat orang masih hilang akibat banjir bandang."
TEMPO = "Jumlah korban meninggal akibat banjir bandang di Kabupaten Sukabumi bertambah menjadi 15 tewas."


def _source(n, article, passage, outlet, date="2025-05-06T09:15:00", copies=None):
    return Source(
        n, article, f"/{article}.html", "Banjir", date, passage, 0, len(passage), 0.8,
        outlet=outlet, lang="id", also_reported_by=copies or [],
    )


def test_two_outlets_with_different_tolls_are_both_shown():
    sources = [_source(1, "k", KOMPAS, "Kompas"), _source(2, "t", TEMPO, "Tempo", "2025-05-06T13:40:00")]
    found = answer_disagreements(sources, [1])
    assert [d["measure"] for d in found] == ["deaths"]
    assert [(v["value"], v["outlet"], v["citation"]) for v in found[0]["versions"]] == [
        (12.0, "Kompas", 1),
        (15.0, "Tempo", 2),
    ]
    line = "deaths: Kompas (2025-05-06): 12 orang tewas [1] · Tempo (2025-05-06): 15 tewas [2]"
    assert disagreement_line(found[0]) == line


def test_no_disagreement_without_a_cited_measure_copies_or_citations():
    sources = [_source(1, "k", KOMPAS, "Kompas"), _source(2, "t", TEMPO, "Tempo")]
    assert answer_disagreements(sources, []) == []
    other = _source(1, "x", "Hujan deras mengguyur selama enam jam.", "Kompas")
    assert answer_disagreements([other, sources[1]], [1]) == []  # the cited passage states no toll
    copy = _source(2, "t", TEMPO, "Tempo", copies=[{"article_id": "k"}])
    syndicated = _source(1, "k", KOMPAS, "Kompas", copies=[{"article_id": "t"}])
    assert answer_disagreements([syndicated, copy], [1]) == []  # copies of one report do not disagree
