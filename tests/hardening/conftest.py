"""Fixtures for the hardening tests: a CLI runner that builds the typer command once.

typer rebuilds the whole click command tree on every `CliRunner.invoke` (about 0.3 s);
hundreds of fuzz examples would spend most of their time there, so the tree is built once.
"""

from __future__ import annotations

import pytest
import typer.main
import typer.testing

from simulator.cli import app
from tests.engine.conftest import engine_catalog  # noqa: F401  (the fixture, shared)

_COMMAND = typer.main.get_command(app)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> typer.testing.CliRunner:
    """A CliRunner whose invocations of `app` reuse one built command tree."""
    real = typer.testing._get_command
    monkeypatch.setattr(typer.testing, "_get_command", lambda a: _COMMAND if a is app else real(a))
    return typer.testing.CliRunner()
