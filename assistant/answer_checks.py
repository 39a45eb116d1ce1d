"""Checks the application runs on a generated answer before the user sees it as final.

- ``answer_type``: the answer holds something of the kind the question asks for (a number for "berapa", a
  date for "kapan", a name for "siapa"), and says something the question did not already say ("The Liber
  servitoris was authored by [1]." fails).
- ``grounded``: every number in the answer occurs in a passage it cites (numbers normalised: "2,1 triliun"
  = "2.1 trillion", "27/4/2025" holds 27, 4 and 2025; a passage's number words count, "पांच" for 5), and,
  when the answer is in the passages' language, every name (a capitalised word inside a sentence) too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from assistant.answer_type import AnswerType
from assistant.number_words import word_values
from assistant.types import Check

_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)*\s*\]")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?(?![\w])|\d+")
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)(\w+)", re.UNICODE)
_UNCASED_SCRIPT = re.compile(r"[\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Words that say a quantity or a time without digits, in the languages of the question-word table.
_NUMBER_WORDS = re.compile(
    r"(?<!\w)(satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|puluh\w*|belas|ratus\w*|"
    r"ribu\w*|juta\w*|miliar\w*|triliun\w*|separuh|setengah|beberapa|banyak|sedikit|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|"
    r"thousands?|millions?|billions?|dozens?|several|many|few|half|none|no|unmanned|single|double|"
    r"eins?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|hundert|tausend|millionen?|"
    r"uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|cien|mil|millones?|"
    r"unu|doi|trei|patru|cinci|zece|sute|mii|milioane|bir|iki|üç|dört|beş|on|yüz|bin|milyon|milyar|"
    r"một|hai|ba|bốn|năm|mười|trăm|nghìn|triệu|"
    r"один|два|три|четыре|пять|десять|сто|тысяч\w*|миллион\w*|ένα|δύο|τρία|δέκα|εκατό|χιλιάδες|εκατομμύρια)(?!\w)"
    r"|[一二三四五六七八九十百千万亿两]|[٠-٩]|[०-९]|[๐-๙]|ثلاث|أربع|خمس|عشر|مئة|ألف|مليون|दो|तीन|चार|पांच|दस|सौ|हजार|लाख|करोड़"
    r"|หนึ่ง|สอง|สาม|สี่|ห้า|สิบ|ร้อย|พัน|ล้าน",
    re.IGNORECASE,
)
# Ordinals say a rank ("second", "kedua", "zweitgrößte", "ikinci", "第二"): a number for a rank question.
_ORDINALS = re.compile(
    r"(?<!\w)(\d+(st|nd|rd|th|e|er|ème|º|ª|\.)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
    r"tenth|pertama|ke ?(dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh)\w*|"
    r"(erst|zweit|dritt|viert|fünft|sechst|siebt|acht|neunt|zehnt)\w*|"
    r"primer[oa]?|segund[oa]|tercer[oa]?|cuart[oa]|quint[oa]|primeir[oa]|terceir[oa]|secondo|terzo|"
    r"premi[eè]re?|deuxième|troisième|second[e]?|eerste|tweede|derde|vierde|"
    r"primul|prima|al (doilea|treilea|patrulea)|a (doua|treia|patra)|"
    r"\w+(inci|ıncı|uncu|üncü)|thứ (nhất|nhì|hai|ba|tư|năm)|"
    r"перв\w+|втор\w+|трет\w+|четв[её]рт\w+|пят\w+|πρώτ\w+|δεύτερ\w+|τρίτ\w+)(?!\w)"
    r"|第[一二三四五六七八九十]|الأول|الثاني|الثالث|ثاني|ثالث|पहल|दूसर|तीसर|ที่(หนึ่ง|สอง|สาม)",
    re.IGNORECASE,
)
_DATE_WORDS = re.compile(
    r"(?<!\w)(januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|"
    r"january|february|march|may|june|july|august|october|december|"
    r"jan|feb|mar|apr|jun|jul|aug|agu|sep|sept|okt|oct|nov|des|dec|"
    r"januar|februar|märz|mai|dezember|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
    r"noviembre|diciembre|ianuarie|februarie|martie|aprilie|iunie|iulie|august|septembrie|octombrie|noiembrie|"
    r"decembrie|ocak|şubat|mart|nisan|mayıs|haziran|temmuz|ağustos|eylül|ekim|kasım|aralık|tháng|năm|"
    r"январ\w*|феврал\w*|март\w*|апрел\w*|ма[йя]|июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*|"
    r"senin|selasa|rabu|kamis|jumat|sabtu|minggu|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"kemarin|yesterday|today|hari ini|pagi|siang|sore|malam|morning|evening|night|"
    r"abad|century|jahrhundert|siglo|secol|век|αιώνα|yüzyıl|thế kỷ|spring|summer|autumn|winter|musim)(?!\w)"
    r"|[年月日]|ปี|เดือน|سنة|عام|वर्ष|साल|Ιανου|Φεβρου|Μαρτ|Απριλ|Μαΐ|Ιουν|Ιουλ|Αυγο|Σεπτ|Οκτ|Νοε|Δεκ",
    re.IGNORECASE,
)


_ARABIC_SEPARATORS = str.maketrans({"\u066b": ".", "\u066c": ","})  # Arabic decimal and thousands signs


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", _MARKER.sub(" ", text)).translate(_ARABIC_SEPARATORS)


def number_values(text: str) -> set[float]:
    """Every value the numbers of ``text`` can stand for: "2.100" is 2100 with a thousands dot or 2.1 with
    a decimal point, "2,1" is 2.1 with a decimal comma; each reading is kept, so that an answer written
    with another convention than its passage still matches. Digits joined by other signs ("27/4/2025")
    count apart. Digits of other scripts (Devanagari "५", Arabic-Indic "٥", Thai "๕") are read as theirs."""
    values: set[float] = set()
    for match in _NUMBER.finditer(_plain(text)):
        raw = re.sub(r"[\u00a0\u202f ]", "", match.group())
        for thousands, decimal in ((".", ","), (",", ".")):
            candidate = raw.replace(thousands, "").replace(decimal, ".")
            try:
                values.add(round(float(candidate), 6))
            except ValueError:
                continue
        for part in re.findall(r"\d+", raw):  # "2,1" also holds 2 and 1 (a passage may write "2 koma 1")
            values.add(float(int(part)))
    return values


_GROUPED = re.compile(r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+")


def _answer_numbers(text: str) -> list[tuple[str, set[float]]]:
    """The numbers the answer states, each with its possible values. A number in thousands groups
    ("15,000") stands for itself only: its parts (15 and 0) would match any passage that says 12.000."""
    out = []
    for match in _NUMBER.finditer(_plain(text)):
        raw = match.group()
        values = number_values(raw)
        if _GROUPED.fullmatch(raw):
            values = {v for v in values if v not in {float(int(p)) for p in re.findall(r"\d+", raw)}}
            values |= {round(float(re.sub(r"[.,\u00a0\u202f ]", "", raw)), 6)}
        out.append((raw, values))
    return out


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(_plain(text))}


def _names(text: str) -> list[str]:
    """Capitalised words that do not start a sentence (names in cased scripts)."""
    plain = _plain(text)
    starts = {m.start(1) for m in _SENTENCE_START.finditer(plain)}
    return [m.group() for m in _WORD.finditer(plain) if m.group()[:1].isupper() and m.start() not in starts]


CommonWords = Callable[[list[str]], set[str]]
# English function words: they say nothing new even where the collection, mostly in other languages, does
# not call them frequent ("The branch … that deals …": neither "The" nor "that" is an answer).
_FUNCTION_WORDS = frozenset(
    "the its that which this these those with from were been have also there their into they them".split()  # noqa: SIM905
)


def _new_content(answer: str, question: str, common: CommonWords | None = None) -> set[str]:
    """Words of the answer that the question does not hold and that carry content: four letters or
    more, digits, capitalised short words (acronyms such as "ABC") and words of uncased scripts; words
    that ``common`` calls frequent in the collection ("adalah", "which") say nothing."""
    asked = _words(question)
    words = _WORD.findall(_plain(answer))
    frequent = common([w.lower() for w in words]) if common is not None else set()
    new = set()
    for word in words:
        low = word.lower()
        if (
            low in asked
            or low in _FUNCTION_WORDS
            or (low in frequent and not word[:1].isupper() and not word.isdigit())
        ):
            continue
        if len(word) >= 4 or word.isdigit() or word[:1].isupper() or _UNCASED_SCRIPT.search(word):
            new.add(low)
    return new


def check_type(answer: str, question: str, kind: AnswerType, common: CommonWords | None = None) -> Check:
    """The answer holds something of ``kind`` and something the question did not say ("… was authored
    by [1]." only repeats "Who authored …?")."""
    new = _new_content(answer, question, common)
    if not new:
        return Check("answer_type", False, "the answer only repeats the question")
    text = " ".join(new)
    if kind == "date" and not (re.search(r"\d", text) or _DATE_WORDS.search(text)):
        return Check("answer_type", False, "the question asks when; the answer gives no date or time")
    if kind == "number" and not (
        re.search(r"\d", text) or _NUMBER_WORDS.search(text) or _new_ordinal(answer, question)
    ):
        return Check("answer_type", False, "the question asks how many or how much; the answer gives no number")
    if kind in ("person", "organisation", "place") and not _UNCASED_SCRIPT.search(answer):
        asked = _words(question)
        if not any(name.lower() not in asked for name in _names(answer) + _leading_names(answer)):
            return Check("answer_type", False, f"the question asks for a {kind}; the answer names none")
    return Check("answer_type", True)


def _new_ordinal(answer: str, question: str) -> bool:
    """The answer states a rank ("second", "thứ hai", "1st") that the question does not."""
    asked = _plain(question).lower()
    return any(m.group().lower() not in asked for m in _ORDINALS.finditer(_plain(answer)))


def _leading_names(answer: str) -> list[str]:
    """The first word of each sentence when it is capitalised and not a common sentence opener: a name
    often opens the answer ("Kim Jong Un memerintahkan …")."""
    plain = _plain(answer)
    out = []
    for match in _SENTENCE_START.finditer(plain):
        word = match.group(1)
        following = plain[match.end(1) : match.end(1) + 40].split()
        if word[:1].isupper() and following and following[0][:1].isupper():
            out.append(word)  # two capitalised words in a row: a name
    return out


def _found(word: str, haystack: str, words: set[str]) -> bool:
    """``word`` occurs in the passage text, also inside an affixed form or with an affix of its own."""
    w = word.lower()
    if w in haystack:
        return True
    return len(w) >= 5 and any(len(p) >= 5 and (p in w or w in p) for p in words)


def check_grounded(answer: str, question: str, cited: list[str], same_language: bool) -> Check:
    """Every number (and, in the passages' own language, every name) of the answer occurs in a passage
    it cites, or in the question."""
    if not cited:
        return Check("grounded", False, "the answer cites no passage")
    haystack = unicodedata.normalize("NFKC", " ".join(cited)).lower()
    # a passage may write the answer's number as a word ("पांच चरणों में" for "5 phases")
    passage_values = number_values(" ".join(cited)) | word_values(" ".join(cited)) | number_values(question)
    missing = [raw for raw, values in _answer_numbers(answer) if not values & passage_values]
    if same_language:
        words = {w for w in _WORD.findall(haystack)}
        asked = _words(question)
        names = [n for n in _names(answer) if not (_DATE_WORDS.fullmatch(n) or _NUMBER_WORDS.fullmatch(n))]
        missing += [n for n in names if n.lower() not in asked and not _found(n, haystack, words)]
    if missing:
        shown = ", ".join(dict.fromkeys(missing))
        return Check("grounded", False, f"not in the cited passages: {shown}")
    return Check("grounded", True)


def check_answer(
    answer: str,
    question: str,
    kind: AnswerType,
    cited: list[str],
    same_language: bool,
    common: CommonWords | None = None,
) -> list[Check]:
    """Both checks of a generated answer (``common``: the words frequent in the collection)."""
    return [check_type(answer, question, kind, common), check_grounded(answer, question, cited, same_language)]
