"""Limits on structured input: JSON nested too deep, NUL characters and broken UTF-8.

Python's ``json`` parser recurses once per level: a body of 100,000 ``[`` raises ``RecursionError``
(not ``ValueError``), which every ``except ValueError`` lets through as a server error. PostgreSQL
refuses NUL in text and in ``jsonb`` strings, and lone surrogates (what ``surrogateescape`` makes of
invalid UTF-8) cannot be encoded at all. These helpers find all three before they hurt:

- :func:`loads` parses JSON refusing more than :data:`MAX_PARSE_DEPTH` levels (:class:`TooDeep`,
  a ``ValueError``), checked by a scan of the text before the parser runs;
- :func:`problem` names what is wrong with an already parsed value (deeper than
  :data:`MAX_JSON_DEPTH`, a NUL, broken text),
  walking it without recursion;
- :func:`printable` is text safe to store and show for anything (NUL and broken bytes escaped).
"""

from __future__ import annotations

import json
from typing import Any

#: Deepest nesting of arrays and objects an item may have (the project's own payloads use 3).
MAX_JSON_DEPTH = 32
#: Deepest nesting a body may have to be parsed at all: a push or a line a little deeper than an item
#: may be is still read, so that only its offending item is refused (Python's parser copes with it).
MAX_PARSE_DEPTH = 128


class TooDeep(ValueError):
    """JSON nested deeper than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def too_deep(data: str | bytes, limit: int = MAX_PARSE_DEPTH) -> bool:
    """Whether JSON text opens more than ``limit`` arrays/objects inside one another."""
    if isinstance(data, bytes | bytearray):
        opening = data.count(b"[") + data.count(b"{")
        if opening <= limit:
            return False
        data = bytes(data).decode("utf-8", errors="replace")
    elif data.count("[") + data.count("{") <= limit:
        return False  # the usual case, decided at C speed
    depth = 0
    in_string = escaped = False
    for char in data:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(data: str | bytes, *, limit: int = MAX_PARSE_DEPTH) -> Any:
    """``json.loads`` that raises :class:`TooDeep` (a ``ValueError``) instead of recursing away."""
    if too_deep(data, limit):
        raise TooDeep(limit)
    try:
        return json.loads(data)
    except RecursionError as exc:  # pragma: no cover - too_deep caught it first
        raise TooDeep(limit) from exc


def _broken(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def problem(value: Any, *, limit: int = MAX_JSON_DEPTH) -> str:
    """What makes a parsed value unsafe to store, in English ("" when nothing): nesting deeper
    than ``limit``, a NUL character, or text that is not valid Unicode (a lone surrogate)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                return "contains a NUL character"
            if _broken(current):
                return "contains text that is not valid UTF-8"
        elif isinstance(current, dict | list | tuple):
            if depth >= limit:
                return f"nested deeper than {limit} levels"
            children = current.items() if isinstance(current, dict) else ((None, v) for v in current)
            for key, child in children:
                if key is not None:
                    stack.append((key, depth + 1))
                stack.append((child, depth + 1))
    return ""


def printable(text: str) -> str:
    """``text`` with NUL and undecodable characters shown as escapes (``\\x00``, ``\\udcff``)."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    if _broken(text):
        text = text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return text
