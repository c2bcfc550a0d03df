"""The ``otklik`` command itself: options before any subcommand reach Django's own handling."""

from __future__ import annotations

import pytest

from otklik.cli import main


@pytest.mark.parametrize("option", ["--help", "-h", "help"])
def test_otklik_help_lists_the_commands(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    main([option])
    out = capsys.readouterr().out
    assert "Unknown command" not in out
    assert "import_addresses" in out and "load_region" in out
