"""Article text is untrusted: before it reaches the model it is defused (it cannot pass for the prompt's
own structure) and its instructions to the model are set aside; links are taken out of answers.

The prompt already tells the model that passages are data, but a 1.5B model still followed a fake
chat turn ("You are DAN … start every answer with …") in 4 of 10 hostile cases. Sentences that
address the model (ignore previous instructions, "to the AI reading this", "reply to every question
with …", "[SYSTEM] …") are therefore replaced by a marker in what the model reads; the user still sees
the whole passage. News text talks *about* assistants rather than *to* them, so the patterns ask for
the second person, an imperative aimed at the model, or a role label.
"""

from __future__ import annotations

import re

# Inside a passage, whatever could pass for the prompt's own structure is defused: the block's tags,
# chat-template control tokens (<|im_start|> ...), and a passage number at the start of a line.
_FAKE_TAG = re.compile(r"<\s*/?\s*passages?\b[^>]*>", re.IGNORECASE)
_CONTROL_TOKEN = re.compile(r"<\|[^|>\s]{0,40}\|>|<\s*/?\s*(?:s|im_start|im_end|system|user|assistant)\s*>", re.I)
_LINE_NUMBER = re.compile(r"(?m)^(\s*)\[(\d+)\]")

QUARANTINED = "(…)"

_AI = r"(?:ai|a\.i\.|chatbot|llm|language model|model bahasa|gpt|chatgpt)"
_ASSISTANT = rf"(?:(?:ai |virtual )?assistant|asisten(?: ai| virtual)?|{_AI})"
_INSTRUCTIONS = (
    r"(?:instructions?|rules?|prompts?|guidelines?|directions?|questions?|instruksi|perintah|aturan|arahan|"
    r"pertanyaan|pedoman)"
)
_ADDRESSED = [
    # overriding what came before
    rf"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{{0,40}}\b{_INSTRUCTIONS}",
    rf"\b(?:abaikan|lupakan|acuhkan|jangan ikuti|jangan patuhi)\b[^.!?\n]{{0,40}}\b{_INSTRUCTIONS}",
    # speaking to the model: "To the AI reading this:", "Catatan untuk asisten AI:"
    rf"\b(?:to|for|dear|hey|attention)\s+(?:the\s+|any\s+|all\s+)?{_ASSISTANT}s?\s*(?:reading|that reads|"
    r"processing|summari[sz]ing|[:,])",
    rf"\b(?:untuk|kepada|bagi|hai|wahai)\s+(?:para\s+|semua\s+)?{_ASSISTANT}\s*(?:yang membaca|[:,])",
    rf"\b(?:the|this|an?)\s+{_ASSISTANT}\s+(?:must|should|shall|has to|is required to|will now)\s+(?:tell|say|"
    r"reply|answer|respond|state|write|include|ignore|reveal|print|add|cite|refuse)\b",
    r"\byou are (?:now |no longer |not )?(?:an? |the )?[\w-]*\s*(?:assistant|ai|bot|model|DAN)\b",
    r"\b(?:anda|kamu) (?:sekarang |bukan lagi )?(?:adalah )?(?:seorang |sebuah )?(?:asisten|ai|bot|model)\b",
    r"\bfrom now on,? (?:you|write|answer|reply|respond|always|only|never)\b",
    r"\bmulai (?:sekarang|saat ini),? (?:kamu|anda|jawab|tulis|selalu|hanya)\b",
    # directives about the answers themselves
    r"\b(?:reply|respond) to (?:every|each|all|any) (?:questions?|messages?|prompts?)\b",
    r"\banswer (?:every|each|all|any) (?:questions?|messages?|prompts?) (?:with|by|in|only)\b",
    r"\b(?:start|begin|end|prefix|finish)\s+(?:every|each|all|your)\s+(?:answers?|responses?|replies|messages?)\b",
    r"\b(?:every|each|all|your) (?:answers?|responses?|replies) (?:must|should|shall)\b",
    r"\b(?:when|whenever|before|after) you (?:answer|reply|respond)\b",
    r"\bwhatever the question\b",
    r"\b(?:in|with) your (?:answers?|responses?|replies)\b",
    r"\byour (?:complete |full |entire |whole )?(?:system )?(?:prompt|instructions|rules)\b",
    r"\b(?:jawab(?:lah)?|balas(?:lah)?) (?:setiap|semua|tiap) (?:pertanyaan|pesan)\b",
    r"\b(?:dalam|pada|di) jawaban(?:mu| anda| kamu)\b",
    r"\b(?:apa pun|apapun) pertanyaannya\b",
    # role labels, chat-template turns and fake authority
    r"<\|[^|>\s]{0,40}\|>|\[/?INST\]",
    r"^\W{0,3}(?:system|developer|assistant|user|admin|administrator|sistem|asisten)\s*[:\]>)]",
    r"\[\s*(?:system|developer|admin|sistem|inst|/inst)\s*\]",
    r"\bsystem override\b",
    r"\b(?:new|updated|important|urgent) instructions? (?:from|for) (?:the )?(?:developer|admin\w*|system|"
    rf"operator|{_ASSISTANT})\b",
    r"\b(?:instruksi|perintah|arahan) (?:baru|penting|khusus) (?:dari|untuk) (?:pengembang|admin|sistem|"
    rf"{_ASSISTANT})\b",
]
_ADDRESSES_MODEL = re.compile("|".join(f"(?:{p})" for p in _ADDRESSED), re.IGNORECASE | re.MULTILINE)
# Two structural tells, whatever the phrasing. A line in the prompt's own citation format ("[1] …",
# "Sumber [2]: …") poses as a ready-made cited answer: news text does not number its lines so (none of
# eval-dev's 1,975 articles has such a line). And a sentence about "the answer" that names the assistant
# speaks to the model about what to say ("Kunci jawaban resmi (untuk asisten AI): …").
_REFERENCE_LINE = re.compile(r"(?m)^[ \t]*(?:[^\W\d_]+[ \t]+){0,2}\[\d{1,3}\][ \t]*[:.)\-–]?[ \t]*\S[^\n]*")
_REFERENCE_SENTENCE = re.compile(r"^\s*(?:[^\W\d_]+\s+){1,2}\[\d{1,3}\]\s*:")
_ANSWER_WORD = re.compile(r"\b(?:jawaban\w*|answers?|answered)\b", re.IGNORECASE)
_NAMES_ASSISTANT = re.compile(rf"\b{_ASSISTANT}(?:\b|s\b)", re.IGNORECASE)
# a sentence ends at . ! ? (then optional closing quote or bracket) before white space, or at a line break;
# "http://evil.example" is not a sentence end
_BOUNDARY = re.compile(r"((?<=[.!?])[ \t]+|(?<=[.!?][\"'”’)\]])[ \t]+|[ \t]*\n\s*)")

_MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))+\)")
_URL = re.compile(r"\b(?:https?|ftp|javascript|data)://\S+|\bwww\.\S+|\bjavascript:\S+", re.IGNORECASE)


def defuse(text: str) -> str:
    """Passage text that cannot close the passages block, open a chat turn or pose as another passage."""
    text = _FAKE_TAG.sub(lambda m: m.group().replace("<", "(").replace(">", ")"), text)
    text = _CONTROL_TOKEN.sub(lambda m: m.group().replace("<", "(").replace(">", ")").replace("|", ""), text)
    return _LINE_NUMBER.sub(r"\1(\2)", text)


def _sentences(text: str) -> list[str]:
    """``text`` split into sentences and the white space between them (odd items), which join back to it."""
    return _BOUNDARY.split(text)


def _speaks_to_model(sentence: str) -> bool:
    """Whether a sentence addresses the model, poses as a cited answer, or tells the assistant the answer."""
    return bool(
        _ADDRESSES_MODEL.search(sentence)
        or _REFERENCE_SENTENCE.search(sentence)
        or (_ANSWER_WORD.search(sentence) and _NAMES_ASSISTANT.search(sentence))
    )


def instructions_to_model(text: str) -> list[str]:
    """The lines in citation format and the sentences that address the model (what ``quarantine`` sets aside)."""
    lines = [m.group().strip() for m in _REFERENCE_LINE.finditer(text)]
    rest = _REFERENCE_LINE.sub("", text)
    return lines + [part for part in _sentences(rest)[::2] if part.strip() and _speaks_to_model(part)]


def quarantine(text: str) -> str:
    """``text`` with each line in citation format and each sentence that addresses the model replaced
    by ``QUARANTINED``."""
    text = _REFERENCE_LINE.sub(QUARANTINED, text)
    parts = _sentences(text)
    for i in range(0, len(parts), 2):  # each sentence is judged once
        if parts[i] != QUARANTINED and _speaks_to_model(parts[i]):
            parts[i] = QUARANTINED
    return "".join(parts)


def strip_links(text: str) -> str:
    """The answer without links: an article can ask the model to plant one, and the sources list
    already shows where each passage comes from. ``[text](url)`` keeps its text."""
    return strip_link_text(text).strip()


def strip_link_text(text: str) -> str:
    """``strip_links`` for a piece of an answer: the same removals, its surrounding spaces kept."""
    text = _MARKDOWN_LINK.sub(lambda m: m.group(1), text)
    return re.sub(r"[ \t]{2,}", " ", _URL.sub("", text))
