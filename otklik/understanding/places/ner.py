"""natasha's NER as a fallback of the place stage: location spans in a text.

The models ship inside the natasha wheel (offline) and load once per process (~1.5 s, ~200 MB;
:class:`otklik.caching.ProcessCache`).
natasha still imports pymorphy2, which needs ``pkg_resources`` unless ``PYMORPHY2_DICT_PATH`` is set:
it is set here before anything of natasha is imported. The stage calls NER only for texts where the
gazetteer found nothing (see :func:`otklik.understanding.places.locate`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from otklik.caching import ProcessCache


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    stop: int


def _load() -> tuple[Any, Any]:
    # pymorphy3 reads the same variable: set it only while natasha loads, or every pymorphy3
    # analyzer created later in this process (or in a worker it starts) opens pymorphy2's
    # dictionaries and fails ("unpack requires a buffer of 8 bytes").
    previous = os.environ.get("PYMORPHY2_DICT_PATH")
    if previous is None:
        import pymorphy2_dicts_ru

        os.environ["PYMORPHY2_DICT_PATH"] = pymorphy2_dicts_ru.get_path()
    try:
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter

        return Segmenter(), NewsNERTagger(NewsEmbedding())
    finally:
        if previous is None:
            os.environ.pop("PYMORPHY2_DICT_PATH", None)


# no version key: the models are the installed natasha's, loaded once per process (under the
# cache's lock, which also keeps two threads from setting the variable at once)
models_cache: ProcessCache[tuple[Any, Any]] = ProcessCache(build=_load)


def _models() -> tuple[Any, Any]:
    """The segmenter and the NER tagger (no query)."""
    return models_cache.get()


def available() -> bool:
    try:
        import natasha  # noqa: F401
    except ImportError:
        return False
    return True


def locations(text: str) -> list[Span]:
    """LOC spans of the text in reading order."""
    from natasha import Doc

    segmenter, tagger = _models()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    return [Span(s.text, s.start, s.stop) for s in doc.spans if s.type == "LOC"]
