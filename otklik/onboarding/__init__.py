"""Onboarding a region from its own files: each importer checks the whole file, reports what it would
change and what is wrong, and writes in one transaction (rolled back for ``--dry-run``).

* :mod:`.territories` — territories as a hierarchy (a city's districts over its municipal okrugs),
  names matched in any spelling, renamed ones matched by their points and kept as aliases, a
  district's polygon as the union of its okrugs' (``otklik import-territories``);
* :mod:`.categories` — the category tree with keywords, deadline and public flag
  (``otklik import-categories``);
* :mod:`.agencies` — agencies with kind, territories, categories and contacts
  (``otklik import-agencies``);
* :mod:`.routing` — routing rules category × territory → agency (``otklik import-routing``) and the
  rules a history of routed cases supports (``otklik learn-routing``, a table to review and import).

The tables are read by :mod:`otklik.directory.tables` (CSV, gzipped CSV or XLSX; columns found by
their English or Russian headers or named with ``--map field=Column``).
"""
