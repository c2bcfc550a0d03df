"""The ``otklik`` command: Django's management commands under the project's settings.

``otklik ingest FILE``, ``otklik load-region …``, ``otklik demo``, ``otklik migrate`` …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["otklik", *argv])
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")  # `otklik load-region` → load_region; `--help` stays
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
