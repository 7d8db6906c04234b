"""Run the ape scripts' click commands in-process against the test session's Anvil."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from securities_rails.deployments import ENV_VAR

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def script() -> Callable[[str], Any]:
    """script("issuer") -> the loaded module of scripts/issuer.py."""
    return load_script


@pytest.fixture
def run(suite: Any, chain: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """run("issuer", "mint", "--isin", ..., account=1) -> click Result (exit code, output)."""
    monkeypatch.setenv(ENV_VAR, str(suite.record.directory))

    def _run(script: str, *args: str, account: int | None = 0) -> Result:
        command = load_script(script).cli
        argv = list(args)
        if account is not None:
            argv += ["--account", f"TEST::{account}"]
        # Hand the command the session's provider (as ape's network option does once parsed):
        # naming the network instead would start a second Anvil.
        return CliRunner().invoke(
            command, argv, obj={"provider": chain.provider}, catch_exceptions=False
        )

    return _run
