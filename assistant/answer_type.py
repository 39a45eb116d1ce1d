"""What a question asks for (person, place, date, number, organisation, reason, definition), from a table
of question words per language. Used to check that an answer holds something of that type.

The table covers Indonesian, English and the other languages of the eval sets (ar de el es hi ro ru th tr vi
zh), plus Malay, French, Portuguese, Italian and Dutch. The first pattern that matches wins, so the specific
ones ("what year", "berapa") come before the general ones ("what", "apa"). ``benchmarks/answer_types.py``
measures it on eval-dev and eval-train.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

AnswerType = Literal["person", "place", "date", "number", "organisation", "reason", "definition", "other"]

# (type, pattern) in order; patterns are matched against the lower-cased, NFKC question.
_W = r"(?<!\w)"  # start of a word, also for scripts without \b-friendly boundaries


def _first(word: str, others: str) -> str:
    """A pattern for ``word`` as a whole word with none of the question words ``others`` before it."""
    return rf"^(?:(?!\b(?:{others})\b).)*\b(?:{word})\b"


_TABLE: list[tuple[AnswerType, str]] = [
    # dates and times
    ("date", _W + r"(what|which) (year|month|day|date|century|decade|time)\b"),
    # "when" asks for a date unless another question word came first ("What body of water … when Genghis Khan
    # died?", "Care este tactica … atunci când …"): then it opens a clause of the question.
    (
        "date",
        _first(r"when", r"what|which|who|whom|whose|where|how|why") + r"|\b(in what year|since when|how long ago)\b",
    ),
    (
        "date",
        _W + r"(kapan|bilamana|sejak kapan|tahun berapa|pada tahun berapa|tanggal berapa|bulan apa|"
        r"tahun apa|pukul berapa|jam berapa|abad ke ?berapa|hari apa)",
    ),
    ("date", r"\b(wann|in welchem jahr|seit wann|welchem jahrhundert)\b"),
    (
        "date",
        r"(cuándo|cuando|en qué año|en que año|qué año|en qué fecha|quand|en quelle année|quando|em que ano|"
        r"in che anno|wanneer|in welk jaar)",
    ),
    ("date", _first(r"când", r"care|ce|cine|unde|cum|câți|câte|cât") + r"|(în ce an|ce an)"),
    ("date", r"(когда|в каком году|какого года|в каком веке)"),
    ("date", r"(πότε|ποιο έτος|ποια χρονιά|ποιον αιώνα)"),
    ("date", r"(ne zaman|hangi yıl|hangi tarih|hangi yüzyıl|kaç yılında)"),
    ("date", r"(khi nào|năm nào|bao giờ|lúc nào|vào năm|thời gian nào|ngày nào)"),
    ("date", r"(何时|什么时候|哪一年|哪年|何年|几年|什么时间|哪个世纪)"),
    ("date", r"(متى|في أي سنة|في أي عام|أي سنة|أي عام)"),
    ("date", r"(कब|किस वर्ष|किस साल|कौन से वर्ष)"),
    ("date", r"(เมื่อใด|เมื่อไร|เมื่อไหร่|ปีใด|ปีอะไร|ช่วงใด)"),
    # ranks ("where is Brazil ranked", "welchen Rang"): an ordinal, not a place
    ("number", r"\b(where|what|which|how) .{0,60}\b(rank|ranks|ranked|ranking)\b|\b(what|which) (rank|ranking)\b"),
    ("number", _W + r"(peringkat|urutan|ranking) (ke ?)?(berapa|mana|apa)"),
    ("number", r"\b(welche[nmrs]? rang|rangliste|platzierung)"),
    ("number", r"((qué|cuál|qual|quale) (posición|posição|posizione|rango)|quel(le)? (rang|position))"),
    ("number", r"(на каком месте|какое место заним|какое место занял)"),
    ("number", r"(κατάταξη|κατατάσσεται)"),
    ("number", r"(xếp hạng|hạng mấy|đứng thứ)"),
    ("number", r"(排名|第几|排第)"),
    ("number", r"(في أي مرتبة|ما ترتيب|ما مرتبة)"),
    ("number", r"(रैंक)"),
    ("number", r"(อันดับ)"),
    # numbers and quantities
    (
        "number",
        r"\b(how (many|much|long|far|big|large|old|tall|high|deep|often)|what (percent|percentage|number|"
        r"amount|proportion|share|size))\b",
    ),
    ("number", _W + r"(berapa|seberapa)"),
    ("number", r"\b(wie (viele?|groß|lange|hoch|weit|alt|oft)|wieviele?)\b"),
    ("number", r"(cuántos|cuántas|cuánto|cuánta|combien|quantos|quantas|quanto|quanta|hoeveel)"),
    ("number", r"(câți|câte|cât)\b"),
    ("number", r"(сколько|какова численность|каков размер)"),
    ("number", r"(πόσα|πόσοι|πόσες|πόσο|πόση)"),
    ("number", r"(kaç|ne kadar|yüzde kaç)"),
    ("number", r"(bao nhiêu|mấy)"),
    ("number", r"(多少|几个|几位|几名|几次|多大|多长|多高|多远|多久)"),
    ("number", r"(كم|ما عدد|ما نسبة)"),
    ("number", r"(कितने|कितनी|कितना)"),
    ("number", r"(เท่าไร|เท่าไหร่|กี่)"),
    # organisations (before person: "which organisation" is not "who")
    (
        "organisation",
        r"\b(what|which) (organi[sz]ation|company|party|team|club|agency|institution|group|firm|"
        r"university|school|network|body(?! of water)|entity|council|union|association)\b",
    ),
    (
        "organisation",
        _W + r"(organisasi|perusahaan|partai|klub|tim|lembaga|instansi|badan|universitas|"
        r"kesebelasan|kelompok|institusi|perserikatan|persatuan) (apa|mana|apakah)",
    ),
    ("organisation", r"(welche[rsmn]? (organisation|firma|partei|unternehmen|universität|mannschaft))"),
    ("organisation", r"((qué|cuál) (organización|empresa|compañía|partido|equipo|universidad))"),
    ("organisation", r"(какая (организация|компания|партия|команда)|какой (университет|клуб))"),
    ("organisation", r"(hangi (kuruluş|şirket|parti|takım|örgüt|üniversite))"),
    ("organisation", r"(哪家|哪个公司|哪个组织|哪个机构|哪一家)"),
    # persons
    ("person", r"\b(who|whom|whose)\b"),
    ("person", _W + r"(siapa|siapakah)"),
    ("person", r"\b(wer|wen|wem|wessen)\b"),
    ("person", r"(quién|quiénes|quien|qui est|qui a|quem|chi |wie )"),
    ("person", r"(cine|cui)\b"),
    ("person", r"(кто|кого|кому|кем|чей|чья|чьё)"),
    ("person", r"(ποιος|ποια ήταν η|ποιον|ποιοι|ποιας|από ποιον)"),
    ("person", r"(kim|kimin|kime|kimler)"),
    ("person", r"((?<!\w)ai(?!\w))"),  # the word, not the end of "mai ", "loại ", "diketuai "
    ("person", r"(谁|誰)"),
    ("person", r"(من هو|من هي|من الذي|من هم|^من |‏من )"),
    ("person", r"(कौन|किसने|किसका|किसकी|किसके)"),
    ("person", r"(ใคร)"),
    # places
    ("place", r"\b(where|what (country|city|place|region|state|river|province|town|island|continent|location))\b"),
    (
        "place",
        _W + r"(di mana|dimana|ke mana|kemana|dari mana|darimana|mana|negara apa|kota apa|provinsi apa|"
        r"daerah apa|wilayah apa|pulau apa|tempat apa|di negara|di kota)",
    ),
    ("place", r"\b(wo|wohin|woher|in welche[mrn]? (land|stadt|region))\b"),
    ("place", r"(dónde|donde|adónde|où|onde|dove|waar)"),
    ("place", r"(unde|în ce (țară|oraș))"),
    ("place", r"(где|куда|откуда|в какой стране|в каком городе)"),
    ("place", r"((?<!\w)πού(?!\w)|σε ποια χώρα|σε ποια πόλη)"),  # not inside "ντεμπούτο"
    ("place", r"(nerede|nereye|nereden|hangi ülke|hangi şehir)"),
    ("place", r"(ở đâu|đi đâu|tại đâu|nơi nào|nước nào|thành phố nào)"),
    ("place", r"(哪里|哪儿|在哪|何处|哪个国家|哪个城市|哪座城市)"),
    ("place", r"(أين|إلى أين|من أين)"),
    ("place", r"(कहाँ|कहां)"),
    ("place", r"(ที่ใด|ที่ไหน|ประเทศใด|เมืองใด)"),
    # reasons
    ("reason", r"\b(why|for what reason|what caused|how come)\b"),
    ("reason", _W + r"(mengapa|kenapa|apa sebab|apa alasan|apa penyebab|sebab apa|alasan apa|penyebab)"),
    ("reason", r"\b(warum|weshalb|wieso|weswegen)\b"),
    ("reason", r"(por qué|porque|pourquoi|por que|perché|waarom)"),
    ("reason", r"(de ce|din ce motiv)"),
    ("reason", r"(почему|зачем|по какой причине)"),
    ("reason", r"(γιατί|για ποιο λόγο)"),
    ("reason", r"(neden|niçin|niye)"),
    ("reason", r"(tại sao|vì sao|lý do)"),
    ("reason", r"(为什么|为何|原因)"),
    ("reason", r"(لماذا|لم |ما سبب)"),
    ("reason", r"(क्यों)"),
    ("reason", r"(ทำไม|เพราะเหตุใด)"),
    # definitions: "what is X?" with little else
    ("definition", r"^(what is|what are|what does .{1,40} mean|define)\b"),
    ("definition", r"^(apa (itu|yang dimaksud|arti|pengertian)|apakah (itu|yang dimaksud)|apa yang dimaksud)"),
    ("definition", r"^(was ist|was sind|was bedeutet)\b"),
    ("definition", r"^(qué es|que es|qu'est-ce que|o que é|cos'è|wat is)"),
    ("definition", r"^(ce este|ce sunt|ce înseamnă)"),
    ("definition", r"^(что такое|что означает)"),
    ("definition", r"^(τι είναι|τι σημαίνει)"),
    ("definition", r"(nedir\??$|ne demektir|ne anlama gel)"),
    ("definition", r"(là gì\??$)"),
    ("definition", r"^(什么是|何为)"),
    ("definition", r"^(ما هو|ما هي|ماذا يعني)"),
    ("definition", r"(क्या है\??$|का अर्थ)"),
    ("definition", r"(คืออะไร|หมายถึงอะไร)"),
]
_COMPILED = [(kind, re.compile(pattern)) for kind, pattern in _TABLE]


def answer_type(question: str) -> AnswerType:
    """The kind of answer ``question`` asks for ("other" when no question word says)."""
    text = " ".join(unicodedata.normalize("NFKC", question).lower().split())
    for kind, pattern in _COMPILED:
        if pattern.search(text):
            return kind
    return "other"
