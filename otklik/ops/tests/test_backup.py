"""`otklik backup` and `otklik restore-check`: a restore into a fresh database has every row."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from otklik.ops.backup import DUMP, MANIFEST, _restore_postgresql, backup, prune, restore_check
from otklik.testing.factories import make_case


@pytest.mark.django_db(transaction=True)  # pg_dump reads committed rows only
def test_backup_restores_with_equal_counts(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "elections").mkdir(parents=True)
    (tmp_path / "media" / "elections" / "photo.jpg").write_bytes(b"\xff\xd8\xff photo")
    for _ in range(3):
        make_case()
    folder = backup(tmp_path / "backups")
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["counts"]["cases_case"] == 3
    assert manifest["counts"]["intake_message"] == 3
    assert manifest["media"] == {"storage": "local", "files": 1}
    assert "cases" in manifest["migrations"]

    report = restore_check(folder)
    assert report.ok, report.mismatches
    assert report.media_files == 1
    assert report.tables == len(manifest["counts"]) and report.rows >= 6


@pytest.mark.django_db(transaction=True)
def test_the_restore_check_runs_as_the_role_docs_deploy_creates(tmp_path):
    """The nightly restore check (otklik-backup.service) runs as the application's own role, created as
    docs/deploy/README.md says: it must be allowed to create, fill and drop the scratch database —
    and need not be a superuser."""
    if connection.vendor != "postgresql":
        pytest.skip("the restore check restores into a new PostgreSQL database")
    readme = Path(__file__).resolve().parents[3] / "docs" / "deploy" / "README.md"
    createuser = next(
        line for line in readme.read_text(encoding="utf-8").splitlines() if " createuser " in line
    )
    flags = {"--createdb": "CREATEDB", "-d": "CREATEDB", "--superuser": "SUPERUSER", "-s": "SUPERUSER"}
    granted = sorted({flags[word] for word in createuser.split() if word in flags})
    assert "SUPERUSER" not in granted, createuser
    role, password = f"otklik_doc_{os.getpid()}", secrets.token_hex(12)
    make_case()
    folder = backup(tmp_path / "backups", media=False)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' {' '.join(granted)}")
    try:
        as_role = {**connection.settings_dict, "USER": role, "PASSWORD": password}
        restored = _restore_postgresql(folder / DUMP, as_role)
        assert restored["cases_case"] == 1 and restored["intake_message"] == 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP ROLE {role}")


@pytest.mark.django_db(transaction=True)
def test_restore_check_fails_when_counts_differ(tmp_path, settings, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_case()
    call_command("backup", "--out", str(tmp_path), "--no-media")
    folder = next(tmp_path.glob("otklik-*"))
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["counts"]["cases_case"] += 1  # as if a row had been lost
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="FAILED"):
        call_command("restore_check", str(folder))
    assert "cases_case: 2 in the backup, 1 restored" in capsys.readouterr().err


def test_prune_keeps_the_newest(tmp_path):
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (tmp_path / f"otklik-{stamp}").mkdir()
    (tmp_path / "otklik-20260104T000000Z.partial").mkdir()
    deleted = prune(tmp_path, 2)
    assert [p.name for p in deleted] == ["otklik-20260101T000000Z"]
    assert not (tmp_path / "otklik-20260101T000000Z").exists()


def test_restore_check_refuses_an_incomplete_backup(tmp_path):
    with pytest.raises(CommandError, match="not a complete backup"):
        call_command("restore_check", str(tmp_path))
