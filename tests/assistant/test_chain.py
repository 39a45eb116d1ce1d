"""Answer-chain logic with a scripted chat model (the real model is covered by the e2e tests)."""

from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

from assistant.chain import Answerer
from assistant.evidence import EvidenceSentence, PassageEvidence
from assistant.refusal import RefusalRule


class FixedRetriever(BaseRetriever):
    docs: list[Document]
    queries: list[str] = Field(default_factory=list)

    def _get_relevant_documents(self, query, *, run_manager):
        self.queries.append(query)
        return self.docs


def _doc(i, text, score=0.9):
    meta = {
        "article_id": f"a{i}",
        "source": f"/x/a{i}.txt",
        "title": f"T{i}",
        "start": 0,
        "end": len(text),
        "dense_score": score,
        "score": 0.03,
        "passage_id": f"a{i}:0",
        "date_iso": "2025-04-29T10:21:00",
    }
    return Document(page_content=text, metadata=meta)


DOCS = [
    _doc(1, "Pasukan Korea Utara membantu merebut Kursk."),
    _doc(2, "Pengiriman pasukan atas perintah langsung Pemimpin Korea Utara, Kim Jong Un."),
]


def _model(*replies):
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


def test_stream_yields_sources_then_tokens_and_drops_bad_citations():
    answerer = Answerer(FixedRetriever(docs=DOCS), _model("Kim Jong Un memerintahkannya [2][7]. Ya [9]."))
    events = list(answerer.stream("Siapa yang memerintahkan pengiriman pasukan?"))
    assert events[0].kind == "sources" and len(events[0].sources) == 2
    shown = "".join(e.text for e in events if e.kind == "token")
    assert "[7]" not in shown and "[9]" not in shown
    answer = events[-1].answer
    assert answer.citations == [2]
    assert answer.language == "id"
    assert answer.unsupported == ["Ya."]
    assert answer.to_json()["sources"][1]["passage"].startswith("Pengiriman")


def test_refusal_sentence_from_the_model_is_marked_declined():
    reply = "Artikel-artikel yang tersedia tidak memuat informasi untuk menjawab pertanyaan ini."
    answer = Answerer(FixedRetriever(docs=DOCS), _model(reply)).ask("Berapa harga cabai?")
    assert answer.declined and answer.citations == []
    assert "T1" in answer.answer  # names the closest articles


def test_low_relevance_declines_without_calling_the_model():
    docs = [_doc(1, "Resep kue.", score=0.5)]
    answer = Answerer(FixedRetriever(docs=docs), _model(), min_relevance=0.78).ask("Who won the election?")
    assert answer.declined
    assert answer.answer.startswith("The articles do not contain")


def test_follow_up_is_rewritten_before_retrieval():
    retriever = FixedRetriever(docs=DOCS, queries=[])
    model = _model("Siapa yang memerintahkan Korea Utara mengirim pasukan ke Rusia?", "Kim Jong Un [2].")
    answerer = Answerer(retriever, model)
    history = [("Apa yang dilakukan Korea Utara?", "Korea Utara mengirim pasukan ke Rusia [1].")]
    events = list(answerer.stream("Siapa yang memerintahkannya?", history))
    assert events[0].kind == "rewritten"
    assert retriever.queries == ["Siapa yang memerintahkan Korea Utara mengirim pasukan ke Rusia?"]
    assert events[-1].answer.rewritten == retriever.queries[0]


def test_first_turn_is_not_rewritten():
    retriever = FixedRetriever(docs=DOCS, queries=[])
    Answerer(retriever, _model("Kim Jong Un [2].")).ask("Siapa yang memerintahkan pengiriman pasukan?")
    assert retriever.queries == ["Siapa yang memerintahkan pengiriman pasukan?"]


def _locate(p_none, n=2):
    """A which-passage verdict: P(0) = p_none, the rest on passage ``n``."""
    import math

    top = [{"token": "0", "logprob": math.log(p_none)}, {"token": str(n), "logprob": math.log(1 - p_none)}]
    return AIMessage(
        content="0" if p_none > 0.5 else str(n),
        response_metadata={"logprobs": {"content": [{"token": "x", "logprob": 0.0, "top_logprobs": top}]}},
    )


RULE = RefusalRule(-2.0, {"locate_none": 4.0})


def test_which_passage_check_declines_when_none_is_likely():
    model = GenericFakeChatModel(messages=iter([_locate(0.9)]))
    answer = Answerer(FixedRetriever(docs=DOCS), model, max_decline=0.5, rule=RULE).ask("Berapa harga cabai?")
    assert answer.declined
    assert abs(answer.signals["locate_none"] - 0.9) < 1e-9
    assert answer.decline_probability > 0.5


def test_which_passage_check_lets_answer_through():
    model = GenericFakeChatModel(messages=iter([_locate(0.1), AIMessage(content="Kim Jong Un [2].")]))
    answer = Answerer(FixedRetriever(docs=DOCS), model, max_decline=0.5, rule=RULE).ask("Siapa yang memerintahkan?")
    assert not answer.declined and answer.citations == [2]
    assert answer.decline_probability < 0.5


def test_a_question_across_languages_is_not_declined_before_it_is_answered():
    # the rule's signals read lower across languages: there the answer's checks decide, not the rule
    docs = [Document(page_content=d.page_content, metadata={**d.metadata, "lang": "id"}) for d in DOCS]
    model = GenericFakeChatModel(messages=iter([_locate(0.9), AIMessage(content="Kim Jong Un ordered it [2].")]))
    answer = Answerer(FixedRetriever(docs=docs), model, max_decline=0.5, rule=RULE).ask("Who ordered the troops?")
    assert answer.decline_probability > 0.5
    assert answer.signals["passages_same_language"] == 0.0
    assert "Kim Jong Un" in " ".join([answer.answer, *answer.attempts])


def test_a_question_in_the_passages_language_is_declined_before_it_is_answered():
    docs = [Document(page_content=d.page_content, metadata={**d.metadata, "lang": "id"}) for d in DOCS]
    model = GenericFakeChatModel(messages=iter([_locate(0.9)]))
    answer = Answerer(FixedRetriever(docs=docs), model, max_decline=0.5, rule=RULE).ask("Berapa harga cabai?")
    assert answer.declined and answer.signals["passages_same_language"] == 1.0


def test_a_question_whose_passages_are_mostly_in_its_language_is_declined_before_it_is_answered():
    # a multilingual collection: one passage in another language does not silence the rule
    docs = [
        Document(page_content=d.page_content, metadata={**d.metadata, "lang": lang})
        for d, lang in zip(DOCS, ["id", "en"], strict=True)
    ]
    model = GenericFakeChatModel(messages=iter([_locate(0.9)]))
    answer = Answerer(FixedRetriever(docs=docs), model, max_decline=0.5, rule=RULE).ask("Berapa harga cabai?")
    assert answer.declined
    assert answer.signals["passages_language_share"] == 0.5 and answer.signals["passages_same_language"] == 0.0


def _evidence(question, passages, keyword, dense):
    """Scores each passage by the share of the question's words it holds (a stand-in for e5)."""
    words = set(question.lower().rstrip("?").split())
    out = []
    for rank, passage in enumerate(passages, start=1):
        sentences = [EvidenceSentence(passage, 0, len(passage), len(words & set(passage.lower().split())) / 10)]
        out.append(PassageEvidence(rank, 0.8, sentences, sentences[0].score))
    return out


def test_passages_are_reranked_best_evidence_first_and_the_evidence_is_shown_before_the_answer():
    answerer = Answerer(FixedRetriever(docs=DOCS), _model("Kim Jong Un [1]."), evidence=_evidence)
    events = list(answerer.stream("Siapa perintah langsung pengiriman pasukan?"))
    kinds = [e.kind for e in events]
    assert kinds.index("evidence") < kinds.index("token")
    sources = events[0].sources
    assert sources[0].passage.startswith("Pengiriman") and sources[0].n == 1  # renumbered
    answer = events[-1].answer
    assert answer.evidence.n == 1 and answer.evidence.sentence.startswith("Pengiriman")
    assert answer.checks and all(c.ok for c in answer.checks)


def test_a_failed_check_gets_one_focused_retry_on_the_evidence():
    model = _model("Pengiriman dilakukan [1].", "Kim Jong Un memerintahkannya [1].")
    answerer = Answerer(FixedRetriever(docs=DOCS), model, evidence=_evidence)
    events = list(answerer.stream("Siapa yang memberi perintah langsung pengiriman pasukan?"))
    assert "retry" in [e.kind for e in events]
    answer = events[-1].answer
    assert answer.answer == "Kim Jong Un memerintahkannya [1]." and answer.retried
    assert answer.attempts == ["Pengiriman dilakukan [1]."]
    assert all(c.ok for c in answer.checks)


def test_an_invented_number_is_declined_when_the_evidence_holds_none():
    model = _model("Sebanyak 12.000 pasukan [1].", "Sebanyak 15.000 pasukan [1].")
    answerer = Answerer(FixedRetriever(docs=DOCS), model, evidence=_evidence)
    answer = answerer.ask("Berapa jumlah pasukan yang dikirim?")
    assert answer.declined and answer.answer_type == "number"
    assert [c.name for c in answer.checks if not c.ok] == ["grounded"]


def test_prompt_budget_trims_what_the_model_reads_not_the_sources():
    seen = []

    def trim(question, passages):
        seen.append(list(passages))
        return ["(cut)" for _ in passages]

    model = _model("Kim Jong Un [2].")
    answerer = Answerer(FixedRetriever(docs=DOCS), model, trim=trim)
    prompts = []
    answerer.chain = (lambda inputs: prompts.append(inputs["passages"]) or inputs) | answerer.chain
    answer = answerer.ask("Siapa yang memerintahkan pengiriman pasukan?")
    assert seen == [[d.page_content for d in DOCS]]
    assert prompts == ["<passages>\n[1] (cut)\n\n[2] (cut)\n</passages>"]
    assert answer.sources[1].passage.startswith("Pengiriman")  # the user still sees whole passages
    assert "trim_s" in answer.timings


def test_answer_says_which_cited_report_is_newer_and_passes_the_filter():
    older = _doc(1, "Pasukan Korea Utara tiba di Kursk.")
    newer = _doc(2, "Korea Utara mengakui pengiriman pasukan ke Rusia.")
    newer.metadata["date_iso"] = "2025-05-02T09:00:00"
    newer.metadata["outlet"] = "Kompas.com"
    newer.metadata["also_reported_by"] = [{"article_id": "x", "outlet": "ANTARA News", "date": 1746147600}]
    retriever = FixedRetriever(docs=[older, newer])
    answerer = Answerer(retriever, _model("Pasukan tiba [1]. Korea Utara mengakuinya [2]."))
    answer = answerer.ask("Apa yang terjadi dengan pasukan Korea Utara?", where={"lang": "id"})
    assert answer.dates_note.startswith("Laporan yang dikutip terbit pada waktu berbeda: yang terbaru [2] Kompas.com")
    data = answer.to_json()
    assert data["dates_note"] == answer.dates_note
    assert data["sources"][1]["also_reported_by"][0]["outlet"] == "ANTARA News"
    assert data["sources"][1]["also_reported_by"][0]["date"].startswith("2025-05-02")


class RecordingModel(GenericFakeChatModel):
    """Scripted replies; remembers the messages of every call."""

    prompts: list = Field(default_factory=list)

    def _generate(self, messages, *args, **kwargs):
        self.prompts.append(messages)  # streaming goes through here too
        return super()._generate(messages, *args, **kwargs)


def test_common_prompt_prefix_is_processed_before_each_question():
    replies = ("", "Kim Jong Un [2].", "", "Kim [2].")
    model = RecordingModel(messages=iter([AIMessage(content=r) for r in replies]))
    answerer = Answerer(FixedRetriever(docs=DOCS), model, check=False, prefix_first=True)
    answerer.ask("Siapa yang memerintahkan pengiriman pasukan?")
    answerer.ask("Siapa pemimpinnya?")
    # every question starts from the prefix alone, so a repeated question is computed as the first was
    warm, first, warm_again, second = model.prompts
    assert warm == warm_again
    assert warm[0].content == first[0].content == second[0].content  # one system prompt, whatever the language
    head = warm[1].content[: warm[1].content.index("<passages>") + len("<passages>")]
    assert first[1].content.startswith(head) and "[1] Pasukan" in first[1].content


def test_an_answer_in_the_passages_language_is_retried_then_the_evidence_is_shown_translated():
    model = _model(
        "Pasukan dikirim atas perintah langsung Kim Jong Un [2].",
        "Pengiriman pasukan atas perintah langsung Kim Jong Un [2].",
        "The troops were sent on the direct order of the North Korean leader, Kim Jong Un.",
    )
    answerer = Answerer(FixedRetriever(docs=DOCS), model, evidence=_evidence)
    answer = answerer.ask("Who gave the direct order to send the troops?")
    assert [c.name for c in answer.checks if not c.ok] == ["language"]
    assert answer.answer.startswith("The articles say (translated): The troops were sent")
    assert answer.answer.endswith("]") and not answer.declined


def test_a_translation_that_changes_a_number_is_not_shown():
    docs = [_doc(1, "Sebanyak 12.000 pasukan dikirim ke Kursk oleh Korea Utara.")]
    model = _model(
        "Sebanyak 12.000 pasukan dikirim ke Kursk oleh Korea Utara [1].",
        "Sebanyak 12.000 pasukan dikirim ke Kursk oleh Korea Utara [1].",
        "North Korea sent 15,000 troops to Kursk.",
    )
    answerer = Answerer(FixedRetriever(docs=docs), model, evidence=_evidence)
    answer = answerer.ask("How many troops were sent to Kursk?")
    assert answer.answer.startswith("The articles say: Sebanyak 12.000 pasukan")


def test_a_translated_quote_carries_only_the_applications_citation_and_no_links():
    model = _model(
        "Pasukan dikirim atas perintah langsung Kim Jong Un [2].",
        "Pengiriman pasukan atas perintah langsung Kim Jong Un [2].",
        "The troops were sent on the direct order of Kim Jong Un [1], see https://evil.example/x.",
    )
    answer = Answerer(FixedRetriever(docs=DOCS), model, evidence=_evidence).ask(
        "Who gave the order to send the troops?"
    )
    assert answer.answer.startswith("The articles say (translated): The troops were sent")
    assert "http" not in answer.answer and answer.answer.count("[") == 1
