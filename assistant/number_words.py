"""Numbers written as words, read as their values, in the languages of the question-word table (id/ms, en,
de, es, ro, tr, vi, ru, el, zh, ar, hi, th, fr, pt, it, nl): 0–20, the tens, hundred and thousand (and a
few larger units), so that an answer's "5" is found in a passage that writes "पांच", "fünf" or "五".

A compact table rather than ``num2words``: that library has no Greek, Chinese, Hindi or Malay, and gives
one form per number where passages inflect ("пяти", Arabic "خمس"). Words that are also frequent words of
another language ("on", Turkish ten; "due", Italian two; "năm", Vietnamese five and "year") are left out:
a passage would otherwise ground that number by accident.
"""

from __future__ import annotations

import re
import unicodedata

# Values of each table entry, in order: 0..20, the tens 30..90, 100, 1000.
_VALUES = [*range(21), 30, 40, 50, 60, 70, 80, 90, 100, 1000]
# Per language, one entry per value ("," between values, "/" between forms, "-" for none).
_TABLE: dict[str, str] = {
    "id": "nol,satu,dua,tiga,empat,lima,enam,tujuh,delapan,sembilan,sepuluh,sebelas,dua belas,tiga belas,"
    "empat belas,lima belas,enam belas,tujuh belas,delapan belas,sembilan belas,dua puluh,tiga puluh,"
    "empat puluh,lima puluh,enam puluh,tujuh puluh,delapan puluh,sembilan puluh,seratus,seribu",
    "en": "zero,one,two,three,four,five,six,seven,eight,nine,ten,eleven,twelve,thirteen,fourteen,fifteen,"
    "sixteen,seventeen,eighteen,nineteen,twenty,thirty,forty,fifty,sixty,seventy,eighty,ninety,"
    "hundred/one hundred,thousand/one thousand",
    "de": "null,eins/ein/eine,zwei,drei,vier,fünf,sechs,sieben,acht,neun,zehn,elf,zwölf,dreizehn,vierzehn,"
    "fünfzehn,sechzehn,siebzehn,achtzehn,neunzehn,zwanzig,dreißig,vierzig,fünfzig,sechzig,siebzig,achtzig,"
    "neunzig,hundert/einhundert,tausend/eintausend",
    "es": "cero,uno/una,dos,tres,cuatro,cinco,seis,siete,ocho,nueve,diez,once,doce,trece,catorce,quince,"
    "dieciséis,diecisiete,dieciocho,diecinueve,veinte,treinta,cuarenta,cincuenta,sesenta,setenta,ochenta,"
    "noventa,cien/ciento,mil",
    "ro": "zero,unu/una,doi/două,trei,patru,cinci,șase,șapte,opt,nouă,zece,unsprezece,doisprezece,"
    "treisprezece,paisprezece,cincisprezece,șaisprezece,șaptesprezece,optsprezece,nouăsprezece,douăzeci,"
    "treizeci,patruzeci,cincizeci,șaizeci,șaptezeci,optzeci,nouăzeci,o sută/sută,o mie/mie",
    "tr": "sıfır,bir,iki,üç,dört,beş,altı,yedi,sekiz,dokuz,-,on bir/onbir,on iki/oniki,on üç/onüç,"
    "on dört/ondört,on beş/onbeş,on altı/onaltı,on yedi/onyedi,on sekiz/onsekiz,on dokuz/ondokuz,yirmi,"
    "otuz,kırk,elli,altmış,yetmiş,seksen,doksan,yüz,bin",
    "vi": "-,một,hai,ba,bốn,-,sáu,bảy,tám,chín,mười,mười một,mười hai,mười ba,mười bốn,mười lăm/mười năm,"
    "mười sáu,mười bảy,mười tám,mười chín,hai mươi,ba mươi,bốn mươi,năm mươi,sáu mươi,bảy mươi,tám mươi,"
    "chín mươi,một trăm/trăm,một nghìn/nghìn/ngàn",
    "ru": "ноль/нуль,один/одна/одно/одного/одной,два/две/двух/двум/двумя,три/трёх/трех/тремя,"
    "четыре/четырёх/четырех,пять/пяти/пятью,шесть/шести,семь/семи,восемь/восьми,девять/девяти,"
    "десять/десяти,одиннадцать,двенадцать,тринадцать,четырнадцать,пятнадцать,шестнадцать,семнадцать,"
    "восемнадцать,девятнадцать,двадцать/двадцати,тридцать/тридцати,сорок/сорока,пятьдесят,шестьдесят,"
    "семьдесят,восемьдесят,девяносто,сто/ста,тысяча/тысячи/одна тысяча",
    "el": "μηδέν,ένα/ένας/μία/μια,δύο,τρία/τρεις,τέσσερα/τέσσερις,πέντε,έξι,επτά/εφτά,οκτώ/οχτώ,"
    "εννέα/εννιά,δέκα,έντεκα,δώδεκα,δεκατρία,δεκατέσσερα,δεκαπέντε,δεκαέξι/δεκάξι,δεκαεπτά/δεκαεφτά,"
    "δεκαοκτώ/δεκαοχτώ,δεκαεννέα/δεκαεννιά,είκοσι,τριάντα,σαράντα,πενήντα,εξήντα,εβδομήντα,ογδόντα,"
    "ενενήντα,εκατό,χίλια/χίλιοι/χίλιες",
    "ar": "صفر,واحد/واحدة/إحدى,اثنان/اثنين/اثنتان/اثنتين,ثلاثة/ثلاث,أربعة/أربع,خمسة/خمس,ستة/ست,سبعة/سبع,"
    "ثمانية/ثماني/ثمان,تسعة/تسع,عشرة/عشر,أحد عشر/إحدى عشرة,اثنا عشر/اثني عشر,ثلاثة عشر/ثلاث عشرة,"
    "أربعة عشر/أربع عشرة,خمسة عشر/خمس عشرة,ستة عشر/ست عشرة,سبعة عشر/سبع عشرة,ثمانية عشر/ثماني عشرة,"
    "تسعة عشر/تسع عشرة,عشرون/عشرين,ثلاثون/ثلاثين,أربعون/أربعين,خمسون/خمسين,ستون/ستين,سبعون/سبعين,"
    "ثمانون/ثمانين,تسعون/تسعين,مائة/مئة,ألف",
    "hi": "शून्य,एक,दो,तीन,चार,पांच/पाँच,छह/छः,सात,आठ,नौ,दस,ग्यारह,बारह,तेरह,चौदह,पंद्रह/पन्द्रह,सोलह,"
    "सत्रह,अठारह,उन्नीस,बीस,तीस,चालीस,पचास,साठ,सत्तर,अस्सी,नब्बे,सौ,हज़ार/हजार",
    "fr": "zéro,un/une,deux,trois,quatre,cinq,six,sept,huit,neuf,dix,onze,douze,treize,quatorze,quinze,seize,"
    "dix sept,dix huit,dix neuf,vingt,trente,quarante,cinquante,soixante,soixante dix,quatre vingts/quatre vingt,"
    "quatre vingt dix,cent,mille",
    "pt": "zero,um/uma,dois/duas,três,quatro,cinco,seis,sete,oito,nove,dez,onze,doze,treze,catorze/quatorze,"
    "quinze,dezasseis/dezesseis,dezassete/dezessete,dezoito,dezanove/dezenove,vinte,trinta,quarenta,"
    "cinquenta,sessenta,setenta,oitenta,noventa,cem/cento,mil",
    "it": "zero,uno/una,-,tre,quattro,cinque,sei,sette,otto,nove,dieci,undici,dodici,tredici,quattordici,"
    "quindici,sedici,diciassette,diciotto,diciannove,venti,trenta,quaranta,cinquanta,sessanta,settanta,"
    "ottanta,novanta,cento,mille",
    "nl": "nul,één,twee,drie,vier,vijf,zes,zeven,acht,negen,tien,elf,twaalf,dertien,veertien,vijftien,"
    "zestien,zeventien,achttien,negentien,twintig,dertig,veertig,vijftig,zestig,zeventig,tachtig,negentig,"
    "honderd,duizend",
}
# Larger units, written alone ("lima juta" is read as 5 and a million: the answer's "5 million" holds both).
_UNITS = (
    "juta/million/millionen/millón/millones/milion/milioane/milyon/triệu/миллион/миллиона/εκατομμύριο/"
    "مليون/million/milhão/milione/miljoen=1000000,ribu/mii/тысяч/χιλιάδες/آلاف=1000,lakh/लाख=100000,"
    "करोड़=10000000,miliar/billion/milliarde/milyar/tỷ/миллиард/مليار=1000000000"
)
# Scripts written without spaces between words: a number word is looked for inside the text.
_THAI_DIGITS = ["ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า"]
_THAI = (
    {word: float(value) for value, word in enumerate(_THAI_DIGITS)}
    | {"สิบ" + word: float(10 + value) for value, word in enumerate(_THAI_DIGITS) if value >= 2}
    | {word + "สิบ": float(10 * value) for value, word in enumerate(_THAI_DIGITS) if value >= 3}
    | {"สิบ": 10.0, "สิบเอ็ด": 11.0, "ยี่สิบ": 20.0, "ร้อย": 100.0, "พัน": 1000.0, "หมื่น": 10000.0}
    | {"แสน": 100000.0, "ล้าน": 1000000.0}
)
_CHINESE_DIGITS = {
    c: v
    for v, cs in enumerate(["零〇", "一壹", "二两贰", "三叁", "四肆", "五伍", "六陆", "七柒", "八捌", "九玖"])
    for c in cs
}
_CHINESE_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10000, "亿": 100000000}
_CHINESE_RUN = re.compile("[" + "".join(_CHINESE_DIGITS) + "".join(_CHINESE_UNITS) + "]+")
_SEPARATORS = re.compile(r"[\s.,;:!?()\[\]{}\"'“”‘’«»„、。，：；！？·\-–—/]+")


def _phrases() -> dict[tuple[str, ...], float]:
    """Every written form, split into words, with its value."""
    phrases: dict[tuple[str, ...], float] = {}
    for lang, row in _TABLE.items():
        entries = row.split(",")
        assert len(entries) == len(_VALUES), lang
        for value, forms in zip(_VALUES, entries, strict=True):
            for form in forms.split("/"):
                if form != "-":
                    phrases[tuple(form.split())] = float(value)
    for group in _UNITS.split(","):
        forms, value = group.split("=")
        for form in forms.split("/"):
            phrases[(form,)] = float(value)
    return phrases


_PHRASES = _phrases()
_LONGEST = max(len(p) for p in _PHRASES)


def _chinese_value(run: str) -> float:
    """The value of a run of Chinese numerals ("十七" 17, "二十" 20, "三百" 300, "一九八〇" 1980)."""
    if not any(c in _CHINESE_UNITS for c in run):
        return float(int("".join(str(_CHINESE_DIGITS[c]) for c in run)))
    total, section, digit = 0, 0, None
    for char in run:
        if char in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[char]
        elif (unit := _CHINESE_UNITS[char]) >= 10000:
            total += (section + (digit or 0) or 1) * unit
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * unit
            digit = None
    return float(total + section + (digit or 0))


def word_values(text: str) -> set[float]:
    """The values of the number words of ``text`` (digits are read by ``answer_checks.number_values``)."""
    lowered = unicodedata.normalize("NFKC", text).lower()
    tokens = [t for t in _SEPARATORS.split(lowered) if t]
    values: set[float] = set()
    for i in range(len(tokens)):
        for n in range(1, _LONGEST + 1):
            phrase = tuple(tokens[i : i + n])
            value = _PHRASES.get(phrase)
            if value is None and phrase[0].startswith("و") and n == 1:  # Arabic "and" joined to the word
                value = _PHRASES.get((phrase[0][1:],))
            if value is not None:
                values.add(value)
    values.update(v for word, v in _THAI.items() if word in lowered)
    for match in _CHINESE_RUN.finditer(lowered):
        values.add(_chinese_value(match.group()))
    return values
