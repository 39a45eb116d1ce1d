"""Evidence first: score the retrieved passages and their sentences for the question, before generating.

Signals that mean the same in every language: the dense (e5, cross-lingual) similarity of the question to
each sentence of a passage, the passage's own dense similarity, and its rank in the fused retrieval (which
carries the keyword leg where the question shares words with the passage). The scores order what the
model reads, best evidence first, and name the best evidence sentence, shown to the user before the
generated answer. Weights fitted on ``../shared/eval-train`` (``benchmarks/rerank.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vectorstore.chunking import sentence_spans

EmbedQuery = Callable[[str], list[float]]
EmbedGroups = Callable[[list[list[str]]], list[list[list[float]]]]

# score = best sentence + W_SECOND * second-best sentence + W_PASSAGE * passage + W_RANK / retrieval rank
# + W_KEYWORD * keyword score / the best keyword score. Fitted on eval-train (benchmarks/rerank.py, 421
# answerable questions): the best sentence and the rank alone cross-validated best (MRR 0.890 -> 0.904);
# fitting all four weights reached 0.911 in sample but 0.899 cross-validated, so the others stay at 0.
W_PASSAGE = 0.0
W_SECOND = 0.0
W_RANK = 0.02
W_KEYWORD = 0.0
MIN_SENTENCE_CHARS = 12


@dataclass
class EvidenceSentence:
    """One sentence of a passage with its similarity to the question; offsets are into the passage."""

    text: str
    start: int
    end: int
    score: float


@dataclass
class PassageEvidence:
    """How well one retrieved passage answers the question (``rank``: its place in the fused retrieval, 1..)."""

    rank: int
    passage_score: float
    sentences: list[EvidenceSentence]
    score: float = 0.0

    @property
    def best(self) -> EvidenceSentence | None:
        """The sentence closest to the question."""
        return max(self.sentences, key=lambda s: s.score, default=None)


def split_sentences(passage: str) -> list[tuple[str, int, int]]:
    """The passage's sentences (text, start, end); very short fragments join the sentence after them."""
    out: list[tuple[str, int, int]] = []
    carry: int | None = None
    for start, end in sentence_spans(passage):
        start = carry if carry is not None else start
        if end - start < MIN_SENTENCE_CHARS:
            carry = start
            continue
        carry = None
        out.append((" ".join(passage[start:end].split()), start, end))
    if carry is not None:
        if out:
            start = out[-1][1]
            out[-1] = (" ".join(passage[start:].split()), start, len(passage.rstrip()))
        else:
            out.append((" ".join(passage[carry:].split()), carry, len(passage.rstrip())))
    return out or [(" ".join(passage.split()), 0, len(passage))]


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return float(sum(x * y for x, y in zip(a, b, strict=True)))


def combined_score(sentences: list[float], passage: float, rank: int, keyword: float) -> float:
    """The rerank score of a passage from its signals (weights fitted on eval-train): its sentences'
    similarities, its own, its retrieval rank (1..) and its keyword score relative to the best one (0..1)."""
    ordered = sorted(sentences, reverse=True) or [0.0]
    second = ordered[1] if len(ordered) > 1 else ordered[0]
    return ordered[0] + W_SECOND * second + W_PASSAGE * passage + W_RANK / rank + W_KEYWORD * keyword


def score_passages(
    query: str,
    passages: list[str],
    passage_scores: list[float],
    embed_query: EmbedQuery,
    embed_groups: EmbedGroups,
    query_vector: list[float] | None = None,
    keyword_scores: list[float] | None = None,
) -> list[PassageEvidence]:
    """Evidence for each passage (in the order given, which is the retrieval's): every sentence's dense
    similarity to ``query`` and the combined score. ``embed_groups`` embeds each passage's sentences as
    one group, so a sentence's vector depends on its passage alone (and can be kept across questions)."""
    keywords = keyword_scores or [0.0] * len(passages)
    top_keyword = max(keywords, default=0.0) or 1.0
    vector = query_vector if query_vector is not None else embed_query(query)
    split = [split_sentences(p) for p in passages]
    groups = embed_groups([[text for text, _, _ in sentences] for sentences in split])
    out: list[PassageEvidence] = []
    for rank, (sentences, vectors, passage_score, keyword) in enumerate(
        zip(split, groups, passage_scores, keywords, strict=True), start=1
    ):
        scored = [
            EvidenceSentence(text, start, end, round(_dot(vector, v), 4))
            for (text, start, end), v in zip(sentences, vectors, strict=True)
        ]
        evidence = PassageEvidence(rank, passage_score, scored)
        evidence.score = combined_score([x.score for x in scored], passage_score, rank, keyword / top_keyword)
        out.append(evidence)
    return out


def rerank_order(evidence: list[PassageEvidence]) -> list[int]:
    """Indexes of the passages, best evidence first."""
    return sorted(range(len(evidence)), key=lambda i: evidence[i].score, reverse=True)
