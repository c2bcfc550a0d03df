"""The default category tree of a regional management center, loaded from ``data/categories.json``.

The file is editable reference data: top categories with subcategories, each with keywords (words
and phrases in any word form, matched by the rule classifier on lemmas). Loading is idempotent by
``code``: an existing category is left as the administrator edited it unless ``update=True``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from .models import Category

DEFAULT_CATEGORIES_PATH = Path(__file__).resolve().parent / "data" / "categories.json"


def read_default_categories(path: Path = DEFAULT_CATEGORIES_PATH) -> list[dict[str, Any]]:
    """The tree as stored in the file: ``[{code, name, keywords: [...], children: [...]}, …]``."""
    with path.open(encoding="utf-8") as fh:
        return list(json.load(fh)["categories"])


def _upsert(
    node: dict[str, Any], parent: Category | None, order: int, *, update: bool
) -> tuple[Category, int]:
    defaults = {
        "name": node["name"],
        "parent": parent,
        "keywords": "\n".join(k.strip() for k in node.get("keywords", []) if k.strip()),
        "order": order,
    }
    category, created = Category.objects.get_or_create(code=node["code"], defaults=defaults)
    if created:
        return category, 1
    if update:
        changed = False
        for field, value in defaults.items():
            if getattr(category, field) != value:
                setattr(category, field, value)
                changed = True
        if changed:
            category.save()
            return category, 1
    return category, 0


def load_default_categories(*, update: bool = False, path: Path = DEFAULT_CATEGORIES_PATH) -> int:
    """Create the default categories missing by code; with ``update`` also overwrite changed ones.

    Returns how many rows were created (or updated). Running it twice changes nothing.
    """
    count = 0
    with transaction.atomic():
        for top_order, top in enumerate(read_default_categories(path)):
            parent, n = _upsert(top, None, top_order, update=update)
            count += n
            for child_order, child in enumerate(top.get("children", [])):
                _, n = _upsert(child, parent, child_order, update=update)
                count += n
    return count
