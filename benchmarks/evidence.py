"""The evidence step (every candidate's sentences embedded and scored for the question), two ways:

    python benchmarks/evidence.py [--questions FILE] [--limit 20] [--runs 3]

* **one batch**: every sentence of the ten candidates in one ``embed_documents`` call (the Answerer
  before session 10);
* **each passage apart**: one call per passage (``embed_sentence_groups``, what the Answerer does), so
  a passage's vectors depend on that passage alone; timed with its kept vectors cleared before every
  question, and **kept** with them kept (a passage read again, in the chat or the service, is not
  embedded again).

With int8 embeddings (``embedding_int8``, the default) the activations are quantized per batch, so a
sentence's vector depends on the sentences batched with it. The script prints the median seconds per
question of each way, the largest change of a sentence's score, and how often the order of the passages
and the best evidence sentence are the same. Settings as for ``assistant`` (``ASSISTANT_DATA_DIR``...);
without ``--questions`` it asks the sample article's questions (``common.SAMPLE_QUESTIONS``). Asserts
nothing; run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from common import SAMPLE_QUESTIONS
from rerank import in_one_batch

from assistant.evidence import rerank_order, score_passages


def _outcome(evidence: list) -> tuple[list[int], str]:
    """What the Answerer takes from the evidence: the order of the passages and the best sentence."""
    order = rerank_order(evidence)
    best = evidence[order[0]].best
    return order, best.text if best else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, help="a questions.jsonl (its first --limit questions)")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from assistant.services import Services
    from assistant.settings import load_settings

    questions = SAMPLE_QUESTIONS
    if args.questions:
        lines = args.questions.read_text(encoding="utf-8").splitlines()[: args.limit]
        questions = [json.loads(line)["question"] for line in lines]
    services = Services(load_settings(), reader=True)
    embedder = services.embedder
    retriever = services.retriever()
    retrieved = []
    for question in questions:
        docs = retriever.invoke(question)  # also keeps the question's vector, as for the Answerer
        texts = [d.page_content for d in docs]
        keyword = [float(d.metadata.get("keyword_score", 0.0)) for d in docs]
        dense = [float(d.metadata.get("dense_score", 0.0)) for d in docs]
        retrieved.append((question, texts, keyword, dense))

    def run(way: str) -> tuple[float, list]:
        seconds, results = [], []
        embed = in_one_batch(embedder) if way == "one batch" else embedder.embed_sentence_groups
        for _ in range(args.runs):
            for question, texts, keyword, dense in retrieved:
                if way == "each passage apart":
                    embedder._groups.clear()
                t = time.perf_counter()
                evidence = score_passages(question, texts, dense, embedder.embed_query, embed, None, keyword)
                seconds.append(time.perf_counter() - t)
                results.append(evidence)
        return statistics.median(seconds), results[: len(retrieved)]

    base_s, base = run("one batch")
    other_s, other = run("each passage apart")
    run("kept")  # not measured: every question's passages read once, so the timed pass reads them again
    kept_s, _ = run("kept")
    same = sum(_outcome(a) == _outcome(b) for a, b in zip(base, other, strict=True))
    moved = max(
        abs(x.score - y.score)
        for a, b in zip(base, other, strict=True)
        for pa, pb in zip(a, b, strict=True)
        for x, y in zip(pa.sentences, pb.sentences, strict=True)
    )
    print(f"{len(retrieved)} questions, {args.runs} runs each; seconds per question (median)")
    print(f"{'one batch':22}{base_s:8.3f}")
    print(f"{'each passage apart':22}{other_s:8.3f}")
    print(f"{'kept (read again)':22}{kept_s:8.3f}")
    print(f"same passage order and best sentence: {same}/{len(base)}")
    print(f"largest change of a sentence's score: {moved:.4f}")


if __name__ == "__main__":
    main()
