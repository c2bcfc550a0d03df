"""The REST API's JSON parser with the limits of :mod:`otklik.security.payloads`.

DRF's own ``JSONParser`` lets ``RecursionError`` through (JSON nested 100,000 deep is a 500) and
hands NUL characters to the database (whose driver refuses them: another 500). This one answers 400
with a clear message for both; it is the default parser of every API view (``REST_FRAMEWORK``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from . import payloads


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            data = payloads.loads(raw.decode(encoding))
        except payloads.TooDeep as exc:
            raise ParseError(
                _("JSON parse error: nested deeper than %(limit)s levels.") % {"limit": exc.limit}
            ) from exc
        except ValueError as exc:  # not JSON, or not in the declared encoding
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from exc
        if payloads.problem(data, limit=payloads.MAX_PARSE_DEPTH):
            raise ParseError(_("The JSON contains a NUL character or text that is not valid UTF-8."))
        return data
