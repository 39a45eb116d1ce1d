"""Sentences that stop before their point: "The Liber servitoris was authored by [1].", "… adalah [1]." — the
small LLM wrote the frame of the answer and put a citation marker where the entity should be.

A sentence's last word (citation markers set aside) is looked up in a list, per language, of words that
cannot end a statement: copulas, prepositions, articles, conjunctions. Languages that put the verb or a
postposition last (Turkish, Hindi, and German or Dutch verbs and separable particles) list only the words
that cannot end a sentence there either. Written-lowercase words only, so an initial ("by A. Smith") is
not one; words that also end English sentences ("era", "son", "die", "care", "van", "in", "on") are left out.
"""

from __future__ import annotations

import re
import unicodedata

_WORDS = {
    # en
    "is are was were be been being by of the a an to at for from with as and or than that which whose into "
    "onto called named including between",
    # id, ms
    "adalah ialah yaitu yakni merupakan oleh dari di ke pada dengan untuk dan atau yang sebagai bernama "
    "disebut dalam kepada tentang antara sebuah seorang daripada bahwa",
    # de (no verbs, no separable particles: "… kommt an." ends a sentence)
    "von vom der das dem des ein eine einen einem einer und oder durch für zum zur im",
    # es, fr, pt, it
    "es fue fueron por de del el la los las un una y o en con para que como",
    "est sont était fut par du des le les et ou à au aux avec pour",
    "é são foi foram pelo pela da dos das os um uma e em na com",
    "è sono furono dal della di il lo gli per che",
    # nl (verb-final clauses: no copulas)
    "het een en",
    # ro
    "este sunt către al cu la în pe și sau pentru că",
    # tr (postpositions end phrases: only the conjunctions)
    "ve veya",
    # vi
    "là của bởi và hoặc với từ tại các những",
    # ru
    "и или в во на с со к ко по от из для о об у является являются",
    # el
    "είναι ήταν από του της των το τη την ο η οι τα ένα μια και ή σε στο στη στην με για",
    # ar
    "من في إلى على عن مع و أو هو هي التي الذي",
    # hi (the verb ends a sentence: only conjunctions and "by")
    "और या द्वारा",
}
DANGLING = frozenset(" ".join(_WORDS).split())
# Scripts without spaces: the sentence ends in one of these.
_UNSPACED_END = re.compile(r"(是|为|由|被|称为|叫做|和|与|及|คือ|โดย|ของ|และ|หรือ)$")
_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)*\s*\]")
_SENTENCE = re.compile(r"(.*?)([.!?。！？।]+(?=\s|$)|[\n;:]|$)", re.DOTALL)
# an apostrophe inside a word keeps it whole ("Qur'an" does not end in "an")
_TOKEN = re.compile(r"[^\s.,;:!?()\[\]{}\"“”‘«»„、。，：；！？।]+")


def dangling_word(answer: str) -> str | None:
    """The word a sentence of ``answer`` ends in when no statement can end in it, else None."""
    text = unicodedata.normalize("NFKC", _MARKER.sub(" ", answer))
    for match in _SENTENCE.finditer(text):
        tokens = _TOKEN.findall(match.group(1))
        if not tokens:
            continue
        last = tokens[-1]
        if len(last) == 1 and match.group(2) == ".":  # an abbreviation: "y. pestis", "e. coli"
            continue
        if last in DANGLING:  # as written: "A" (an initial) or "In" (a title) is not one
            return last
        if match := _UNSPACED_END.search(last):
            return match.group()
    return None
