"""Near-duplicates: MinHash over word features, LSH band keys, and quotes (a text containing another).

Many residents write about one problem in one place in their own words; reposts and quotes copy a
message and add a line. Within a time window (:data:`WINDOW`) such a message attaches to the case of
the earlier one instead of opening another case.

* **Features** of a text: the stems (first :data:`STEM` letters) of its normalized words of three
  letters and more, stop words left out, and numbers in full (a house number tells two complaints
  apart) — dates and times left out (:data:`DATES`: "Фотофиксация 20.02.2021, 19:59" under two
  different problems makes them no more alike). The **similarity** of two texts is the Jaccard
  index of their feature sets.
* **MinHash** (:data:`NUM_PERM` multiply-shift hash functions over stable CRC32 hashes, numpy)
  estimates it; **LSH** cuts the signature into :data:`BANDS` bands of :data:`ROWS` values, and
  each band's hash is a key stored in :class:`~otklik.intake.models.SimilarityKey`. Two texts of
  similarity 0.5 share a key with probability 0.74, of 0.6 with 0.91, of 0.8 with 0.9996.
* **Quotes**: the hash of a message's first :data:`HEAD_WORDS` words is a key too; a new text looks
  up every window of that many of its words, so it finds a message it quotes anywhere inside it.

A candidate found by a key is **verified** on the texts: similarity at least :data:`THRESHOLD`, or
the candidate's whole normalized text inside the new one. It is rejected when the texts name
different things — each has numbers the other lacks ("7 этаж" / "9 этаж", another house; a number
said twice counts twice), each has :data:`NOVEL_WORDS` or more words the other lacks (one long
template describing two defects), or each names a thing the other does not (:func:`things`: the
nouns, pymorphy3's lemmas, less the nouns of place and time: "кондиционер" / "решётка на окне",
"опора" / "дорожный знак") — and when the places differ: a different address, a territory outside
the other's, or points more than :data:`MAX_DISTANCE_M` apart (:func:`same_spot`). Above all (round 5,
one rule instead of special cases), two texts are one problem only when **neither says something the
other does not** (:func:`says`): the lemmas of their content words (nouns, adjectives, verbs and
participles), their numbers (also glued to a word: "4м", "между3") and their positions ("справа" =
"правое") must be the same once function words, politeness, time and dates and the portal's
boilerplate are left out; one text identical to the other but for dates is the same template. Measured on
hand-annotated pairs of real appeals (``otklik evaluate-duplicates``, ``docs/annotation/pairs.md``):
a wrong join hides a resident's problem, so the rules favour precision.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

import numpy as np

from otklik.understanding.text import URL_RE, fold, morph, strip_links

WINDOW = timedelta(days=3)
MIN_WORDS = 4
STEM = 5
NUM_PERM = 30
BANDS = 10
ROWS = 3
HEAD_WORDS = 5
MAX_QUOTE_WORDS = 200  # a quote is looked for in the first words of a long text only
THRESHOLD = 0.55
NOVEL_WORDS = 3  # words (stems) each text has and the other lacks: two descriptions, not one
MAX_DISTANCE_M = 20.0  # two points farther apart are two places (a phone's GPS errs by metres to tens)

_STOP_WORDS = """
    и в во на не нет но а о об от до по за из у к ко с со же ли бы то что как это так уже еще
    или для при над под про без через его ее их мы вы они он она оно я ты все всё вот там тут
    где когда кто чем чтобы если даже очень просто только был была были будет есть нам нас вам
    """
STOP_WORDS = frozenset(_STOP_WORDS.split())

# Nouns naming where, when or to whom, not what is wrong: two texts differing in them may still be
# about one thing ("в подъезде" / "на лестничной клетке"). The rest of the nouns are the things.
_SETTING_TEXT = """
    дом здание этаж подъезд парадная лестница клетка улица проспект переулок шоссе бульвар набережная
    двор территория адрес литера корпус строение квартира кв сторона место часть район округ город
    дорога тротуар асфальт покрытие газон сад сквер парк площадь остановка перекресток фасад стена
    спб петербург санкт день неделя месяц год время час раз сутки утро вечер ночь проблема вопрос
    просьба обращение жалоба ответ администрация житель жилец фото фотография фотофиксация состояние
    необходимость внимание помощь
"""
_SETTING_NOUNS = frozenset(_SETTING_TEXT.split())
# One thing under two names, as residents write it.
_SAME_THING = {
    "выбоина": "яма",
    "отход": "мусор",
    "освещение": "свет",
    "лампочка": "лампа",
    "светильник": "лампа",
    "фонарь": "лампа",
    "граффити": "надпись",
    "рисунок": "надпись",
    "объявление": "реклама",
    "листовка": "реклама",
    "ям": "яма",  # pymorphy3 reads "ям" as a noun of its own
}

# Where in a building or on an object: two texts that each name a spot the other does not ("на первом
# этаже" / "между 3 и 4 этажами", "в тамбуре" / "6 эт.", the left / the right leaf of a door) are two
# spots, two things to fix. Lemmas.
_SPOT_TEXT = """
    этаж тамбур холл вестибюль лифт подвал чердак крыша кровля балкон лоджия площадка пролет марш
    выход вход крыльцо козырек арка торец угол створка полотно
    левый правый средний центральный центр верхний нижний передний задний лицевой дворовый боковой
    грузовой пассажирский
    между справа слева напротив
"""
_SPOTS = frozenset(_SPOT_TEXT.split())
_SPOT_ABBREVIATIONS = {"эт": "этаж"}
# Positions on an object, each under its common name: two texts that both place the problem and place it
# differently are two spots, even when one position contains the other ("на правое полотно" / "по верху
# среднего правого полотна", "вокруг входа" / "слева входа", "центральную часть фасада" / "слева от
# центральной арки"). Lemmas as pymorphy3 gives them ("среднего" is read as the noun "среднее").
_POSITION_TEXT = {
    "left": "левый слева налево",
    "right": "правый справа направо",
    "middle": "средний среднее середина посередине посредине посередина",
    "centre": "центральный центр",
    "top": "верхний верх вверху сверху наверху",
    "bottom": "нижний низ внизу снизу",
    "corner": "угол угловой",
    "around": "вокруг",
}
_POSITIONS = {lemma: name for name, text in _POSITION_TEXT.items() for lemma in text.split()}
# Ordinals read as their numbers: "в холле первого этажа" and "в холле 6 этажа" are two floors, "первым
# в блоке кондиционеров" and "вторым" two air conditioners.
_ORDINAL_TEXT = """
    первый второй третий четвертый пятый шестой седьмой восьмой девятый десятый одиннадцатый двенадцатый
    тринадцатый четырнадцатый пятнадцатый шестнадцатый семнадцатый восемнадцатый девятнадцатый двадцатый
"""
_ORDINALS = {lemma: str(n) for n, lemma in enumerate(_ORDINAL_TEXT.split(), start=1)}
_ORDINALS.update({"нулевой": "0", "тридцатый": "30", "сороковой": "40", "пятидесятый": "50", "сотый": "100"})
# An ordinal of time or of a sequence of appeals counts nothing of the place: "третий день", "второй раз",
# "в первую очередь", "уже второе обращение" (and "во-первых").
_SEQUENCE_TEXT = """
    раз день неделя месяц год время час минута сутки очередь квартал половина полугодие утро вечер ночь
    обращение жалоба заявка сообщение письмо запрос напоминание
"""
_SEQUENCE_NOUNS = frozenset(_SEQUENCE_TEXT.split())
# Nouns a number names one of ("8 секция", "подъезд №10", "кв. 12"): two texts giving one of them two
# different numbers are two places, even when the numbers themselves are shared by chance ("8 секция …
# ГРЩ 3" / "3 секция").
_NUMBERED_TEXT = (
    "этаж подъезд парадная лестница секция корпус вход створка квартира дом помещение линия опора"
)
_NUMBERED = frozenset(_NUMBERED_TEXT.split())
_NUMBERED_ABBREVIATIONS = {"эт": "этаж", "кв": "квартира", "д": "дом", "пар": "парадная", "корп": "корпус"}
_NUMBER_MARKS = frozenset(["номер", "n"])  # "подъезд номер 5" ("№" is no word)
# Links to another appeal ("Предыдущие обращения: https://gorod.gov.spb.ru/problems/2576849/"): its number
# tells two templates apart as any number in the text does.
_LINK_NUMBER = re.compile(r"\d{5,}")
# Words naming a building in an address, not which one ("г.Санкт-Петербург, Серпуховская улица, дом 26,
# литера А" and "ул. Серпуховская, 26" are one building).
_ADDRESS_TEXT = """
    г гор город пос поселок п россия рф область обл район р н ул улица пр проспект пркт кт пер переулок
    ш шоссе наб набережная б р бульвар пл площадь проезд линия аллея тупик д дом литера лит корпус корп
    к стр строение здание
"""
_ADDRESS_WORDS = frozenset(_ADDRESS_TEXT.split())

# --- what a text says (round 5): one rule instead of special cases -------------------------------------
# Two texts are one problem only when neither says something the other does not: their content words
# (:func:`says`) are the same. Words that say nothing of the problem are left out: function words (by
# part of speech, see :data:`_CONTENT_POS`), politeness and requests, time and dates, the portal's and an
# address's boilerplate. Lemmas (pymorphy3).
_CONTENT_POS_TEXT = "NOUN ADJF ADJS VERB INFN PRTF PRTS GRND NUMR ABBR LATN UNKN"
_CONTENT_POS = frozenset(_CONTENT_POS_TEXT.split())
_AUXILIARY_TEXT = "быть являться мочь стать иметься"
_POLITE_TEXT = """
    просить просьба пожалуйста спасибо благодарить благодарность уважаемый заранее помочь помощь
    принять мера разобраться решить обратить внимание необходимый требоваться поддерживать поддержка
    присоединяться репост сообщать сообщить информировать сторона
"""
_TIME_TEXT = """
    день неделя месяц год время час минута сутки утро вечер ночь сегодня вчера завтра раз период срок
    момент дата число январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь
    понедельник вторник среда четверг пятница суббота воскресенье долгий последний прошлый текущий
    ежедневный постоянный
"""
_BOILERPLATE_TEXT = """
    фото фотография фотофиксация фотоматериал снимок приложить прилагать прилагаться вложение ссылка
    предыдущий обращение заявка жалоба сообщение ответ номер адрес житель жилец гражданин санкт петербург
    спб россия проблема вопрос ситуация
"""
_NOT_CONTENT = frozenset(
    (_AUXILIARY_TEXT + _POLITE_TEXT + _TIME_TEXT + _BOILERPLATE_TEXT + _ADDRESS_TEXT).split()
)
_TIME_NOUNS = frozenset(_TIME_TEXT.split()) | _SEQUENCE_NOUNS  # "2 недели", "3 раза": no number of a place
_GLUED = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")  # "4м" → "4 м", "между3" → "между 3"
_DIGIT = re.compile(r"\d")  # what every match of _GLUED and of DATES is next to or contains


@lru_cache(maxsize=200_000)
def _content_word(word: str) -> str | None:
    """The content a word carries: its position's name ("справа", "правое" → "@right"), else its lemma
    in its common name when it is a content word (:data:`_CONTENT_POS`, not a pronoun, not in
    :data:`_NOT_CONTENT`), else None."""
    lemma = _SPOT_ABBREVIATIONS.get(word) or _NUMBERED_ABBREVIATIONS.get(word)
    if lemma is None:
        parse = morph().parse(word)[0]
        lemma = fold(parse.normal_form)
        position = _POSITIONS.get(lemma)
        if position is not None:
            return f"@{position}"
        tag = parse.tag
        kind = str(tag.POS or str(tag).split(",")[0])  # LATN, UNKN: no part of speech
        if "Apro" in tag or "Anum" in tag or kind not in _CONTENT_POS:
            return None
    if len(lemma) < 2 or lemma in _NOT_CONTENT or lemma in STOP_WORDS:
        return None
    return _SAME_THING.get(lemma, lemma)


def says(normalized: str) -> frozenset[str]:
    """What a normalized text (dates and times left out) says: its content words' lemmas, its numbers
    (also those glued to a word: "4м", "между3"; ordinals read as numbers; not a count of days or of
    appeals: "2 недели", "второе обращение") as "#N", its positions as "@name"."""
    words = _GLUED.sub(" ", normalized).split()
    return _says(words, _numerals(words))


def _says(words: Sequence[str], nums: Sequence[str | None]) -> frozenset[str]:
    """:func:`says` of a text's words (glued numbers split) and their :func:`_numerals`."""
    out: set[str] = set()
    for i, (word, number) in enumerate(zip(words, nums, strict=True)):
        if number is not None:
            following = words[i + 1] if i + 1 < len(words) else ""
            if not (word.isdigit() and following and _reading(following)[0] in _TIME_NOUNS):
                out.add(f"#{number}")
            continue
        found = _content_word(word)
        if found is not None:
            out.add(found)
    return frozenset(out)


_rng = np.random.default_rng(20261123)
_A = _rng.integers(1, np.iinfo(np.uint64).max, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, np.iinfo(np.uint64).max, size=NUM_PERM, dtype=np.uint64)
_SHIFT = np.uint64(32)


_WORD_RE = re.compile(r"\w+")
DATES = re.compile(
    r"(?<!\d)\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?(?:\s*г(?:ода|\.)?)?(?!\d)"
    r"|(?<!\d)\d{1,2}:\d{2}(?!\d)|(?<!\d)(?:19|20)\d{2}\s*г(?:ода|\.)?(?![а-яё])",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    """Lower-case folded words, links and mentions removed: a regex, cheap enough for every candidate."""
    return _normalize_plain(strip_links(text))


def _normalize_plain(plain: str) -> str:
    """:func:`normalize` of a text whose links and mentions are stripped already."""
    return " ".join(_WORD_RE.findall(plain.lower().replace("ё", "е")))


def features(normalized: str) -> frozenset[str]:
    """The feature set of a normalized text (see the module's docstring)."""
    out = set()
    for word in normalized.split():
        if word.isdigit():
            out.add(word)
        elif len(word) >= 3 and word not in STOP_WORDS:
            out.add(word[:STEM])
    return frozenset(out)


def _numerals(words: Sequence[str]) -> list[str | None]:
    """Each word's number: its digits, the number of an ordinal ("первого" → "1") unless it counts time
    or appeals ("третий день", "второе обращение", "во-первых"), else None."""
    out: list[str | None] = []
    for i, word in enumerate(words):
        if word.isdigit():
            out.append(word)
            continue
        number = _ORDINALS.get(_reading(word)[0]) if len(word) >= 4 else None
        if number is not None and (
            (i and words[i - 1] in ("во", "в") and word.endswith("ых"))
            or any(_reading(w)[0] in _SEQUENCE_NOUNS for w in words[i + 1 : i + 3])
        ):
            number = None
        out.append(number)
    return out


def numbers(normalized: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The numbers of a text, ordinals read as numbers and ``extra`` ones added (the numbers of its links),
    a repeated one counted ("5 парадная 5 этаж" has 5 twice: "5", "5#2")."""
    return _numbers(_numerals(normalized.split()), extra)


def _numbers(nums: Sequence[str | None], extra: Iterable[str] = ()) -> frozenset[str]:
    """:func:`numbers` of a text's :func:`_numerals`."""
    seen: dict[str, int] = {}
    out = []
    for number in [*(n for n in nums if n is not None), *extra]:
        seen[number] = seen.get(number, 0) + 1
        out.append(number if seen[number] == 1 else f"{number}#{seen[number]}")
    return frozenset(out)


def _numbered(word: str) -> str | None:
    """The noun a word is when numbers name one of it (:data:`_NUMBERED`), else None."""
    lemma = _NUMBERED_ABBREVIATIONS.get(word) or _reading(word)[0]
    return lemma if lemma in _NUMBERED else None


def numbered(normalized: str) -> dict[str, frozenset[str]]:
    """Which floor, entrance, section, flat… a text names: each numbered noun (:data:`_NUMBERED`) with the
    numbers next to it ("8 секция", "подъездами №10", "первого этажа", "между 10 и 9 этажами"); a number
    between two such nouns ("подъезд 2 этаж 5") could be either and is left out."""
    words = normalized.split()
    return _numbered_nouns(words, _numerals(words))


def _numbered_nouns(words: Sequence[str], nums: Sequence[str | None]) -> dict[str, frozenset[str]]:
    """:func:`numbered` of a text's words and their :func:`_numerals`."""
    out: dict[str, set[str]] = {}
    for i, number in enumerate(nums):
        if number is None:
            continue
        before = i - 2 if i >= 2 and words[i - 1] in _NUMBER_MARKS else i - 1
        ahead = i + 3 if words[i + 1 : i + 2] == ["и"] and i + 2 < len(nums) and nums[i + 2] else i + 1
        after = _numbered(words[ahead]) if ahead < len(words) else None  # "между 10 и 9 этажами"
        prior = _numbered(words[before]) if before >= 0 and nums[before] is None else None
        if (after is None) != (prior is None):
            out.setdefault(after or prior or "", set()).add(number)
    return {noun: frozenset(found) for noun, found in out.items()}


def link_numbers(text: str) -> list[str]:
    """The numbers in a text's links (another appeal's number in its address)."""
    if "http" not in text and "www" not in text:
        return []
    return [n for link in URL_RE.findall(text) for n in _LINK_NUMBER.findall(link)]


def same_links(a: str, b: str) -> bool:
    """Whether two texts can be one problem as far as their links tell: not when each links a number the
    other does not (one template citing two other appeals)."""
    numbers_a, numbers_b = set(link_numbers(a)), set(link_numbers(b))
    return not (numbers_a - numbers_b and numbers_b - numbers_a)


@lru_cache(maxsize=200_000)
def _reading(word: str) -> tuple[str, str]:
    """(lemma, part of speech) of a word: pymorphy3's likeliest reading; "ORD" for an ordinal, "ABBR"
    for an abbreviation."""
    parse = morph().parse(word)[0]
    tag = parse.tag
    pos = "ORD" if "Anum" in tag else "ABBR" if "Abbr" in tag else str(tag.POS or "")
    return fold(parse.normal_form), pos


def _thing(word: str) -> str | None:
    """The thing a word names: its lemma when it is a noun other than a setting noun, in its common
    name; else None."""
    lemma, pos = _reading(word)
    if pos != "NOUN":
        return None
    lemma = _SAME_THING.get(lemma, lemma)
    return None if lemma in _SETTING_NOUNS else lemma


def things(normalized: str) -> frozenset[str]:
    """What a text is about: the lemmas of its nouns, setting nouns left out (see :data:`_SETTING_NOUNS`)."""
    return frozenset(
        t
        for w in normalized.split()
        if (len(w) >= 3 or w in _SAME_THING) and not w.isdigit() and (t := _thing(w)) is not None
    )


def spots(normalized: str) -> frozenset[str]:
    """Where in a building or on an object a text is: its spot words (:data:`_SPOTS`; "на первом этаже":
    "этаж" — which floor is a number, see :func:`numbers`)."""
    lemmas = (_SPOT_ABBREVIATIONS.get(w) or _reading(w)[0] for w in normalized.split() if not w.isdigit())
    return frozenset(lemma for lemma in lemmas if lemma in _SPOTS)


_NAME = re.compile(r"[А-ЯЁ][а-яё]{2,}")
_SENTENCE_END = frozenset('.!?\n:;"«(')


def _inside_sentence(text: str, found: re.Match[str]) -> bool:
    """Whether a capitalised word found in ``text`` stands inside a sentence (a name, not a sentence's
    first word)."""
    before = text[: found.start()].rstrip()
    return bool(before) and before[-1] not in _SENTENCE_END and not text[found.start() - 1].isalnum()


def names(text: str) -> frozenset[str]:
    """The proper names of a text: capitalised words inside a sentence ("решётка на фасаде по
    Можайской"), as stems, so that "Можайская" and "Можайской" are one name."""
    out = set()
    for found in _NAME.finditer(text):
        if not _inside_sentence(text, found):
            continue
        word = found.group().lower().replace("ё", "е")
        if word not in STOP_WORDS:
            out.add(word[:STEM])
    return frozenset(out)


_WORD_CASED = re.compile(r"[А-ЯЁа-яё]+")


def positions(text: str) -> frozenset[str]:
    """Where on an object a text places the problem (:data:`_POSITIONS`: "слева", "правого", "по
    верху"), names left out ("Администрации Центрального района")."""
    if not any(map(_position, _WORD_CASED.findall(text))):
        return frozenset()  # (most texts: no word names a position, no word's place need be read)
    out = set()
    for found in _WORD_CASED.finditer(text):
        position = _position(found.group())
        if position is None or (found.group()[0].isupper() and _inside_sentence(text, found)):
            continue
        out.add(position)
    return frozenset(out)


@lru_cache(maxsize=200_000)
def _position(word: str) -> str | None:
    """The position (:data:`_POSITIONS`) a word as written names, or None."""
    return _POSITIONS.get(_reading(fold(word))[0])


# The similar stage compares every candidate's address with the message's: a few hundred addresses
# a batch, each parsed tens of times without the cache.
@lru_cache(maxsize=50_000)
def building(address: str) -> Building:
    """A building address as (its numbers, its name words): the city, "улица", "дом", "литера А" left out."""
    words = _WORD_RE.findall(address.lower().replace("ё", "е"))
    numbers = tuple(sorted(w for w in words if w[0].isdigit()))
    return numbers, frozenset(
        w for w in words if not w[0].isdigit() and len(w) > 1 and w not in _ADDRESS_WORDS
    )


Building = tuple[tuple[str, ...], frozenset[str]]


def known_building(address: str) -> Building | None:
    """:func:`building` of an address, None when it is unknown (empty or blank)."""
    return building(address) if address.strip() else None


def same_building(a: str, b: str) -> bool:
    """Whether two building addresses can be one building: unknown (empty) counts as the same; else the
    same numbers (house, block) and the name words of one among the other's."""
    return same_parsed_building(known_building(a), known_building(b))


def same_parsed_building(a: Building | None, b: Building | None) -> bool:
    """:func:`same_building` of two addresses already parsed by :func:`known_building`."""
    if a is None or b is None:
        return True
    (numbers_a, words_a), (numbers_b, words_b) = a, b
    return numbers_a == numbers_b and (words_a <= words_b or words_b <= words_a)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_EMPTY = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)


def signature(feats: Iterable[str]) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint64 values) of a feature set."""
    return signatures([feats])[0]


def signatures(feature_sets: Sequence[Iterable[str]]) -> np.ndarray:
    """MinHash signatures of many feature sets at once (one row each): one numpy pass for a batch."""
    crc = zlib.crc32
    hashes: list[int] = []
    starts: list[int] = []
    for feats in feature_sets:
        starts.append(len(hashes))
        hashes += [crc(f.encode("utf-8")) for f in feats]
    out = np.tile(_EMPTY, (len(starts), 1))
    if not hashes:
        return out
    values = np.array(hashes, dtype=np.uint64)
    with np.errstate(over="ignore"):
        permuted = (values[:, None] * _A + _B) >> _SHIFT
    bounds = np.array([*starts, len(hashes)])
    filled = np.flatnonzero(bounds[1:] > bounds[:-1])  # the sets with features (reduceat needs them)
    if filled.size:
        out[filled] = np.minimum.reduceat(permuted, bounds[filled], axis=0)
    return out


def _person(kind: bytes) -> bytes:
    return kind.ljust(16, b"\0")


_BAND_PERSONS = [_person(b"otklik-band-%d" % i) for i in range(BANDS)]
_HEAD_PERSON = _person(b"otklik-head")
_BAND_BYTES = ROWS * 8


def _key(kind: bytes, payload: bytes) -> int:
    digest = hashlib.blake2b(payload, digest_size=8, person=_person(kind)).digest()
    return int.from_bytes(digest, "little", signed=True)


def band_keys(sig: np.ndarray) -> list[int]:
    raw = sig.tobytes()  # the same bytes as each band's slice's tobytes()
    blake, size = hashlib.blake2b, _BAND_BYTES
    return [
        int.from_bytes(
            blake(raw[i * size : (i + 1) * size], digest_size=8, person=person).digest(),
            "little",
            signed=True,
        )
        for i, person in enumerate(_BAND_PERSONS)
    ]


def head_key(words: Sequence[str]) -> int:
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8, person=_HEAD_PERSON).digest()
    return int.from_bytes(digest, "little", signed=True)


@dataclass
class Fingerprint:
    """What a message contributes and looks up: its band keys, its head key and its quote windows."""

    normalized: str
    features: frozenset[str]
    numbers: frozenset[str]
    bands: list[int]
    head: int | None
    things: frozenset[str] = frozenset()
    spots: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    positions: frozenset[str] = frozenset()
    numbered: dict[str, frozenset[str]] = field(default_factory=dict)
    content: frozenset[str] = frozenset()

    @property
    def stored_keys(self) -> list[int]:
        """Keys stored for the message (others find it by them)."""
        return self.bands + ([self.head] if self.head is not None else [])

    def lookup_keys(self) -> list[int]:
        """Keys to look up: the same bands, and every window that could be a quoted message's head."""
        words = self.normalized.split()[:MAX_QUOTE_WORDS]
        windows = {head_key(words[i : i + HEAD_WORDS]) for i in range(0, len(words) - HEAD_WORDS + 1)}
        return self.bands + sorted(windows)


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of a message's text."""
    return fingerprints([text])[0]


def fingerprints(texts: Sequence[str]) -> list[Fingerprint]:
    """Fingerprints of many texts; their MinHash signatures in one numpy pass. A text fingerprinted
    lately in this process (a repost, a templated complaint, a stored message read again) is not
    made again: a fingerprint depends on its text alone and nobody changes one."""
    made = {text: _RECENT.get(text) for text in texts}
    missing = [text for text, fp in made.items() if fp is None]
    if missing:
        if len(_RECENT) + len(missing) > _RECENT_SIZE:
            _RECENT.clear()
        for text, fp in zip(missing, _fingerprints(missing), strict=True):
            made[text] = _RECENT[text] = fp
    return [made[text] for text in texts]  # type: ignore[misc]


# text → its fingerprint, the latest this process made (cleared whole when full: a bound, not an LRU)
_RECENT: dict[str, Fingerprint] = {}
_RECENT_SIZE = 20_000


def _fingerprints(texts: Sequence[str]) -> list[Fingerprint]:
    plains = [strip_links(text) for text in texts]
    normalized = [_normalize_plain(plain) for plain in plains]  # normalize(text), links stripped once
    # features and numbers without dates and times; the whole text for quotes
    content = [
        normalize(DATES.sub(" ", text)) if _DIGIT.search(text) and DATES.search(text) else n
        for text, n in zip(texts, normalized, strict=True)
    ]
    feats = [features(n) for n in content]
    sigs = signatures(feats)
    out = []
    for text, plain, norm, bare, fs, sig in zip(texts, plains, normalized, content, feats, sigs, strict=True):
        words = norm.split()
        head = head_key(words[:HEAD_WORDS]) if len(words) >= HEAD_WORDS else None
        # the content's words and their numerals, read once for numbers, numbered and says
        bare_words = bare.split()
        nums = _numerals(bare_words)
        glued = _GLUED.sub(" ", bare) if _DIGIT.search(bare) else bare
        if glued != bare:
            said = glued.split()
            said_nums = _numerals(said)
        else:
            said, said_nums = bare_words, nums
        out.append(
            Fingerprint(
                norm,
                fs,
                _numbers(nums, link_numbers(text)),
                band_keys(sig),
                head,
                things(bare),
                spots(bare),
                names(plain),
                positions(DATES.sub(" ", plain) if _DIGIT.search(plain) else plain),
                _numbered_nouns(bare_words, nums),
                _says(said, said_nums),
            )
        )
    return out


def contains(outer: str, inner: str) -> bool:
    """Whether the normalized text ``inner`` (of MIN_WORDS words or more) is inside ``outer``."""
    return len(inner.split()) >= MIN_WORDS and f" {inner} " in f" {outer} "


def match_score(new: Fingerprint, old: Fingerprint) -> float:
    """How near ``new`` is to ``old`` (0 when not a near-duplicate): similarity, or 1 for a quote."""
    if (new.numbers - old.numbers) and (old.numbers - new.numbers):
        return 0.0  # "7 этаж" and "9 этаж", house 5 and house 7: two things
    if new.content != old.content:
        return 0.0  # one says something the other does not (round 5): a word, a number, a position
    if contains(new.normalized, old.normalized):
        return 1.0
    if len(new.features - old.features) >= NOVEL_WORDS and len(old.features - new.features) >= NOVEL_WORDS:
        return 0.0  # each says something the other does not: two descriptions
    if (new.things - old.things) and (old.things - new.things):
        return 0.0  # each names a thing the other does not: "кондиционер" / "решётка", "опора" / "знак"
    if (new.spots - old.spots) and (old.spots - new.spots):
        return 0.0  # each names a spot the other does not: "на первом этаже" / "в тамбуре", left / right
    if (new.names - old.names) and (old.names - new.names):
        return 0.0  # each names a street or a name the other does not: "фасад по Можайской" / "по …проспекту"
    if new.positions and old.positions and new.positions != old.positions:
        return 0.0  # placed differently on one object: "правое полотно" / "среднего правого полотна"
    if any(
        (found - old.numbered[noun]) and (old.numbered[noun] - found)
        for noun, found in new.numbered.items()
        if noun in old.numbered
    ):
        return 0.0  # "8 секция … ГРЩ 3" / "3 секция": another section, whatever numbers the texts share
    score = similarity(new.features, old.features)
    return score if score >= THRESHOLD else 0.0


Point = tuple[float, float]


def distance_m(a: Point, b: Point) -> float:
    """Metres between two WGS 84 points (an equirectangular approximation: exact enough for metres)."""
    dy = (a[0] - b[0]) * 111_320.0
    dx = (a[1] - b[1]) * 111_320.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def same_spot(a: Point | None, b: Point | None) -> bool:
    """Whether two points can be one place: unknown counts as the same, else within MAX_DISTANCE_M."""
    return a is None or b is None or distance_m(a, b) <= MAX_DISTANCE_M


def point(lat: float | None, lon: float | None) -> Point | None:
    return (lat, lon) if lat is not None and lon is not None else None


__all__ = [
    "BANDS",
    "MAX_DISTANCE_M",
    "NOVEL_WORDS",
    "THRESHOLD",
    "WINDOW",
    "Fingerprint",
    "contains",
    "features",
    "fingerprint",
    "fingerprints",
    "match_score",
    "point",
    "same_spot",
    "says",
    "signature",
    "signatures",
    "similarity",
]
