"""Place extraction: a gazetteer of the region's territories, street addresses and point-in-polygon.

* **Gazetteer.** Built from :class:`~otklik.directory.models.Territory` rows: each name is cleaned
  of descriptors ("город", "ЗАТО", "муниципальный", "г.о." …) and expanded with pymorphy3 to its
  case forms, the words of a phrase agreeing ("Балаковский район" → "Балаковского района",
  "Балаковском р-не"; "Энгельс" → "Энгельсе", "Энгельса"). Texts are scanned on folded word forms
  (no NER). A name that is also a common word ("Светлый", "Мирный") must be written with a capital.
  The deepest territory wins: a settlement resolves to itself (its parent is its district); a
  name shared by several territories is resolved by the other places in the text, then population.
* **A town and its district.** Where a town is an okrug beside the district named after it (Льгов
  and Льговский район), the words around the name decide: "в Льгове", "г. Льгов" are the town,
  "Льговского района" the district, and so are "под Льговом", "за чертой города", a route from the
  town to a village ("Льгов (АС) — д. Шерекино") and a town named by a writer from "нашей деревни".
  A town named in passing ("из Курска", "дорога на Курчатов", "трасса Курск — Рыльск",
  "«Светлый Курск»") is a weak mention, used only when the text names no other place; "Курск обл."
  is the region.
* **Institutions.** "поликлиника № 3", "школа № 12" are looked up in the region's registry
  (:class:`~otklik.understanding.models.Institution`, learned from moderators and imported from
  CSV, see :mod:`.institutions`): together with the town the text names, or alone when the registry
  vouches it is the only one, the institution gives the territory and its point; with several
  candidates and nothing to choose by, the moderator picks the place.
* **Address.** "ул. Ленина, 15", "на улице Чернышевского", "пр-т Строителей 3", "на Садовой улице"
  become a normalized ``address`` ("ул. Ленина, 15"); the street name is not read as a settlement.
* **Coordinates.** A message with lat/lon is placed by point-in-polygon over ``Territory.geometry``
  (GeoJSON; shapely prepared geometries with a bounding-box pre-filter).

Modules: ``names`` (descriptors and case forms), ``addresses`` (street addresses in a text),
``gazetteer`` (names in context and the resolver), ``polygons`` (point in polygon), ``cache`` (the
process-wide indexes), ``resolver`` (:func:`locate`); ``data`` (extra settlements, known streets,
institutions in a text), ``institutions`` (the registry: learning and import), ``ner`` (natasha's
fallback), ``evaluation`` (``otklik evaluate-places``). Callers use the names re-exported here.

The gazetteer, the polygons and the address registry are built together once per process and
version (:mod:`.cache`, :class:`otklik.caching.ProcessCache`): a territory, an institution, a street
or a named place saved or deleted anywhere, or a registry loaded, gives a new version, and every
process rebuilds at its next :func:`get_gazetteer`.
"""

from __future__ import annotations

from .addresses import Address, extract_address
from .cache import get_gazetteer, get_polygons, invalidate_cache, known_institutions
from .gazetteer import ALONE_MIN_CONFIRMATIONS, WEAK_ALONE, Gazetteer, Mention
from .names import clean_name, is_common_word, name_forms
from .polygons import PolygonIndex
from .resolver import Place, locate, scan_tokens, scan_tokens_of

__all__ = [
    "ALONE_MIN_CONFIRMATIONS",
    "WEAK_ALONE",
    "Address",
    "Gazetteer",
    "Mention",
    "Place",
    "PolygonIndex",
    "clean_name",
    "extract_address",
    "get_gazetteer",
    "get_polygons",
    "invalidate_cache",
    "is_common_word",
    "known_institutions",
    "locate",
    "name_forms",
    "scan_tokens",
    "scan_tokens_of",
]
