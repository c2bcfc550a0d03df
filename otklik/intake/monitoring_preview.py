"""What a monitoring query would pick: the last N posts of social networks run through it, as the
pipeline would (the query's sources first, its territories once a matching post is placed).

The moderator sees this while typing the query (:mod:`otklik.intake.views_monitoring`): how many of
the recent posts match, and which, with the words that matched marked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from otklik.understanding import places
from otklik.understanding.text import fold

from .models import Message
from .monitoring import WORD_TOKEN_RE, QuerySyntaxError, Scanner, compile_edited
from .pipeline.understand import ADDRESSED_CHANNELS

DEFAULT_LAST = 500
LAST_CHOICES = (200, 500, 1000, 2000)
SHOWN = 20
EXCERPT = 320


@dataclass(frozen=True)
class Segment:
    text: str
    hit: bool


@dataclass
class PreviewHit:
    message_id: int
    posted_at: datetime
    source: str
    url: str
    case_id: int | None
    case_number: str
    place: str
    segments: list[Segment]


@dataclass
class Preview:
    last: int
    checked: int = 0
    matched: int = 0
    out_of_place: int = 0  # matched the words, placed outside the query's territories
    error: str = ""
    hits: list[PreviewHit] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.matched / self.checked if self.checked else 0.0


def excerpt(text: str, found: Iterable[str], size: int = EXCERPT) -> list[Segment]:
    """The text around its first matched word, cut to ``size`` characters, the matched words marked."""
    wanted = {fold(w) for w in found}
    spans = [(m.start(), m.end()) for m in WORD_TOKEN_RE.finditer(text) if fold(m.group()) in wanted]
    start = max(0, spans[0][0] - size // 3) if spans else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < spans[0][0] else start
    stop = min(len(text), start + size)
    segments: list[Segment] = []
    at = start
    for a, b in spans:
        if a < start or b > stop:
            continue
        if a > at:
            segments.append(Segment(text[at:a], False))
        segments.append(Segment(text[a:b], True))
        at = b
    if stop > at:
        segments.append(Segment(text[at:stop], False))
    if start:
        segments.insert(0, Segment("…", False))
    if stop < len(text):
        segments.append(Segment("…", False))
    return segments


def recent_posts(last: int, sources: Sequence[int] = ()) -> list[dict[str, Any]]:
    """The newest ``last`` posts the monitoring reads (social networks: not those written to the
    center on purpose, which are never filtered by queries)."""
    posts = Message.objects.exclude(channel__in=ADDRESSED_CHANNELS)
    if sources:
        posts = posts.filter(source_id__in=list(sources))
    rows = posts.order_by("-posted_at", "-pk").values(
        "pk", "text", "posted_at", "source__name", "url", "lat", "lon", "case_id", "case__number"
    )[:last]
    return [dict(row) for row in rows]


def preview(
    text: str,
    *,
    sources: Sequence[int] = (),
    territories: Sequence[int] = (),
    last: int = DEFAULT_LAST,
    shown: int = SHOWN,
) -> Preview:
    """Run the query over the newest ``last`` posts; a syntax error is reported, never raised."""
    result = Preview(last=last)
    try:
        query = compile_edited(text, sources=sources, territories=territories)
    except QuerySyntaxError as exc:
        result.error = str(exc)
        return result
    scanner = Scanner([query])
    gazetteer = places.get_gazetteer() if territories else None
    posts = recent_posts(last, sources)
    result.checked = len(posts)
    for post in posts:
        body = str(post["text"])
        matches = scanner.scan(body)
        if not matches:
            continue
        place_name = ""
        if gazetteer is not None:
            lat, lon = post["lat"], post["lon"]
            place = places.locate(
                body,
                lat=lat if isinstance(lat, float) else None,
                lon=lon if isinstance(lon, float) else None,
                gazetteer=gazetteer,
            )
            chain: list[int] = []
            if place.territory is not None:
                chain = [t.pk for t in place.territory.ancestors()]
                place_name = place.territory.name
            if not matches[0].in_place(chain):
                result.out_of_place += 1
                continue
        result.matched += 1
        if len(result.hits) < shown:
            case_id = post["case_id"]
            result.hits.append(
                PreviewHit(
                    message_id=int(str(post["pk"])),
                    posted_at=post["posted_at"],  # type: ignore[arg-type]
                    source=str(post["source__name"] or ""),
                    url=str(post["url"] or ""),
                    case_id=case_id if isinstance(case_id, int) else None,
                    case_number=str(post["case__number"] or ""),
                    place=place_name,
                    segments=excerpt(body, matches[0].found),
                )
            )
    return result
