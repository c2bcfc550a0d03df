"""Backups of the database and the media files, and the check that a backup restores.

A backup is a folder ``otklik-<UTC time>/`` with

- ``db.dump`` — ``pg_dump --format=custom`` of PostgreSQL, taken from an exported snapshot, or
  ``db.sqlite3`` — a copy by SQLite's online backup;
- ``media.tar.gz`` — the local media folder (on S3-compatible storage the bucket keeps its own
  versions: back it up with the storage's tools, the manifest says so);
- ``manifest.json`` — when, from which database, the last migration of each app, and the number of
  rows of every table counted **in the same snapshot** as the dump, so that a restore can be
  compared exactly even while the system keeps taking messages.

:func:`restore_check` restores a backup into a fresh database (a new PostgreSQL database on the
same server, dropped afterwards, or a temporary SQLite file) and compares every table's count with
the manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

DUMP = "db.dump"
SQLITE = "db.sqlite3"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    pass


@dataclass
class RestoreReport:
    tables: int = 0
    rows: int = 0
    mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)  # table: (manifest, restored)
    media_files: int | None = None

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")


def _count(cursor: Any, table: str, quote: Any) -> int:
    cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
    return int(cursor.fetchone()[0])


def _migrations(connection: Any) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
        return dict(cursor.fetchall())


def backup(out_dir: Path, *, alias: str = "default", media: bool = True) -> Path:
    """Write one backup into ``out_dir``; returns its folder."""
    connection = connections[alias]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(out_dir) / f"otklik-{stamp}"
    partial = target.with_name(target.name + ".partial")
    partial.mkdir(parents=True, exist_ok=False)
    manifest: dict[str, Any] = {"created_at": stamp, "vendor": connection.vendor, "format": 1}
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        manifest["counts"] = _dump_postgresql(connection, partial / DUMP)
        manifest["database"] = DUMP
    elif connection.vendor == "sqlite":
        manifest["counts"] = _copy_sqlite(connection, partial / SQLITE)
        manifest["database"] = SQLITE
    else:
        raise BackupError(f"no backup for {connection.vendor}")
    manifest["migrations"] = _migrations(connection)
    manifest["media"] = _archive_media(partial / MEDIA) if media else None
    (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.rename(target)  # a folder without ".partial" is always complete
    return target


def _pg_params(db: dict[str, Any]) -> dict[str, Any]:
    keys = {
        "host": db.get("HOST"),
        "port": db.get("PORT"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
    }
    return {k: v for k, v in keys.items() if v}


def _dump_postgresql(connection: Any, path: Path) -> dict[str, int]:
    """Count every table and dump inside one exported snapshot: the counts are the dump's."""
    import psycopg
    from psycopg import sql

    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], autocommit=True, **_pg_params(db)) as conn, conn.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = sorted(row[0] for row in cur.fetchall())
        counts = {t: _count(cur, t, lambda n: sql.Identifier(n).as_string(conn)) for t in tables}
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={path}",
                db["NAME"],
            ],
            _pg_env(db),
        )
        cur.execute("COMMIT")
    return counts


def _copy_sqlite(connection: Any, path: Path) -> dict[str, int]:
    name = str(connection.settings_dict["NAME"])
    source = sqlite3.connect(name, uri=name.startswith("file:"))  # the test suite's in-memory database
    try:
        target = sqlite3.connect(path)
        with target:
            source.backup(target)
        quote = connection.ops.quote_name
        cur = target.cursor()
        tables = [
            row[0]
            for row in cur.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = {table: _count(cur, table, quote) for table in sorted(tables)}
        target.close()
    finally:
        source.close()
    return counts


def _archive_media(path: Path) -> dict[str, Any]:
    if settings.OTKLIK_MEDIA_STORAGE != "local":
        return {
            "storage": settings.OTKLIK_MEDIA_STORAGE,
            "files": None,
            "note": "media on object storage: back the bucket up with its own versioning or tools",
        }
    root = Path(settings.MEDIA_ROOT)
    files = 0
    with tarfile.open(path, "w:gz") as tar:
        if root.is_dir():
            for item in sorted(root.rglob("*")):
                if item.is_file():
                    tar.add(item, arcname=str(item.relative_to(root)))
                    files += 1
    return {"storage": "local", "files": files}


def prune(out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest complete backups in ``out_dir``; returns those deleted."""
    backups = sorted(
        p for p in Path(out_dir).glob("otklik-*") if p.is_dir() and not p.name.endswith(".partial")
    )
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} has no {MANIFEST}: not a complete backup")
    return json.loads(path.read_text(encoding="utf-8"))


def restore_check(folder: Path, *, alias: str = "default") -> RestoreReport:
    """Restore the backup into a fresh database, compare every table's rows with the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest["vendor"] == "postgresql":
        restored = _restore_postgresql(folder / DUMP, connections[alias].settings_dict)
    else:
        restored = _restore_sqlite(folder / SQLITE)
    report = RestoreReport()
    for table, expected in sorted(manifest["counts"].items()):
        got = restored.get(table)
        report.tables += 1
        report.rows += expected
        if got != expected:
            report.mismatches[table] = (expected, -1 if got is None else got)
    if manifest.get("media") and manifest["media"].get("files") is not None:
        with tarfile.open(folder / MEDIA, "r:gz") as tar:
            report.media_files = sum(1 for member in tar.getmembers() if member.isfile())
        if report.media_files != manifest["media"]["files"]:
            report.mismatches["media files"] = (manifest["media"]["files"], report.media_files)
    return report


def _restore_postgresql(dump: Path, db: dict[str, Any]) -> dict[str, int]:
    import psycopg
    from psycopg import sql

    name = f"otklik_restore_check_{datetime.now(UTC):%Y%m%d%H%M%S}_{os.getpid()}"
    env = _pg_env(db)
    params = _pg_params(db)
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={name}", str(dump)],
            env,
        )
        with psycopg.connect(dbname=name, **params) as conn, conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = [row[0] for row in cur.fetchall()]
            return {t: _count(cur, t, lambda n: sql.Identifier(n).as_string(conn)) for t in tables}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _restore_sqlite(copy: Path) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "restored.sqlite3"
        shutil.copyfile(copy, fresh)
        conn = sqlite3.connect(fresh)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the SQLite copy fails its integrity check")
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {t: _count(conn.cursor(), t, lambda n: '"' + n.replace('"', '""') + '"') for t in tables}
        finally:
            conn.close()
