"""The process shell: crash injection, keys, the loop's exit statuses, signals, the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from bridge_fakes import deployment
from eth_account import Account

from securities_rails.bridge.endpoint import Totals
from securities_rails.bridge.process import (
    CRASH_ENV,
    CRASH_POINTS,
    EXIT_CONSERVATION,
    EXIT_CRASH,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_REORG,
    Stopper,
    crash_hook,
    load_key,
    run_loop,
)
from securities_rails.bridge.reconciler import ConservationError, Reading, reconcile
from securities_rails.bridge.validator import ReorgError
from securities_rails.errors import UserError

KEY = "0x" + "5a" * 32
PYTHON = sys.executable


def test_the_crash_points_are_named():
    assert CRASH_POINTS == {
        "validator": ("after_sign_before_commit", "after_commit"),
        "relayer": ("after_intent", "after_submit_before_record", "after_record"),
    }


def test_the_crash_hook_kills_the_process_at_its_point_only():
    code = (
        "from securities_rails.bridge.process import crash_hook\n"
        "hook = crash_hook()\n"
        "hook('after_sign_before_commit'); print('passed the first point', flush=True)\n"
        "hook('after_commit'); print('not reached')\n"
    )
    env = {**os.environ, CRASH_ENV: "after_commit"}
    result = subprocess.run(
        [PYTHON, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == EXIT_CRASH == 137
    assert result.stdout == "passed the first point\n"
    assert "crash_injected" in result.stderr


def test_without_the_variable_the_hook_does_nothing():
    crash_hook({})("after_commit")
    crash_hook({CRASH_ENV: "after_record"})("after_commit")


def test_a_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("BRIDGE_KEY", KEY)
    assert load_key("BRIDGE_KEY", None, None).address == Account.from_key(KEY).address
    monkeypatch.setenv("BRIDGE_KEY", "nonsense")
    with pytest.raises(UserError, match=r"^key-env: \$BRIDGE_KEY does not hold a private key$"):
        load_key("BRIDGE_KEY", None, None)
    with pytest.raises(UserError, match=r"^key-env: \$UNSET_KEY_VAR is not set$"):
        load_key("UNSET_KEY_VAR", None, None)
    with pytest.raises(UserError, match=r"^key: give exactly one"):
        load_key("BRIDGE_KEY", "file.json", None)
    with pytest.raises(UserError, match=r"^key: give exactly one"):
        load_key(None, None, None)


def test_a_key_from_an_encrypted_keystore(monkeypatch, tmp_path: Path):
    path = tmp_path / "key.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "s3cret", iterations=2)))
    monkeypatch.setenv("KEY_PASSWORD", "s3cret")
    assert load_key(None, str(path), "KEY_PASSWORD").address == Account.from_key(KEY).address
    monkeypatch.setenv("KEY_PASSWORD", "wrong")
    with pytest.raises(UserError, match=r"^key-file: cannot decrypt .*key.json"):
        load_key(None, str(path), "KEY_PASSWORD")
    with pytest.raises(UserError, match=r"^password-env: --key-file needs --password-env"):
        load_key(None, str(path), None)
    with pytest.raises(UserError, match=r"^key-file: cannot read"):
        load_key(None, str(tmp_path / "missing.json"), "KEY_PASSWORD")


def _raising(error: Exception):
    def step() -> bool:
        raise error

    return step


def _broken() -> ConservationError:
    reading = Reading(1, 1, 5, 0, Totals(0, 0, 0), Totals(0, 0, 0))
    return ConservationError(reconcile(reading))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (None, EXIT_OK),
        (UserError("db", "down"), EXIT_ERROR),
        (ConnectionError("refused"), EXIT_ERROR),
        (ReorgError("home", 5, "0xaa", "0xbb"), EXIT_REORG),
        (_broken(), EXIT_CONSERVATION),
    ],
)
def test_once_exit_statuses(error, status):
    step = (lambda: False) if error is None else _raising(error)
    assert run_loop(step, interval=0, once=True, stopper=Stopper()) == status


def test_the_loop_retries_failed_iterations_but_stops_on_a_reorganisation():
    calls: list[int] = []

    def step() -> bool:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("node down")
        if len(calls) < 5:
            return False
        raise ReorgError("home", 5, "0xaa", "0xbb")

    assert run_loop(step, interval=0, once=False, stopper=Stopper()) == EXIT_REORG
    assert len(calls) == 5


def test_the_loop_stops_when_asked():
    stopper = Stopper()
    calls: list[int] = []

    def step() -> bool:
        calls.append(1)
        if len(calls) == 3:
            stopper.event.set()
        return True

    assert run_loop(step, interval=60, once=False, stopper=stopper) == EXIT_OK
    assert len(calls) == 3


def test_sigterm_stops_a_running_loop_cleanly():
    code = (
        "from securities_rails.bridge.process import Stopper, run_loop\n"
        "from securities_rails.bridge.metrics import configure_logging\n"
        "configure_logging('test')\n"
        "stopper = Stopper(); stopper.install()\n"
        "def step():\n"
        "    print('tick', flush=True)\n"
        "    return False\n"
        "raise SystemExit(run_loop(step, interval=30, once=False, stopper=stopper))\n"
    )
    process = subprocess.Popen(
        [PYTHON, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "tick\n"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT_OK
    assert time.monotonic() - started < 10  # the 30 s sleep was interrupted
    events = [json.loads(line)["event"] for line in stderr.splitlines()]
    assert events == ["stopping", "stopped"]


def test_the_cli_fails_in_one_line_when_a_node_is_unreachable(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nobody listens there
    fake = deployment()
    path = tmp_path / "bridge.json"
    replace(fake, home=replace(fake.home, rpc=url)).save(path)
    result = subprocess.run(
        [PYTHON, "-m", "securities_rails.bridge", "reconcile", "--deployment", str(path), "--once"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == EXIT_ERROR
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: deployment.home.rpc: cannot reach {url}: ConnectionError"
    )


def test_the_cli_refuses_a_missing_deployment_in_one_line(tmp_path: Path):
    result = subprocess.run(
        [
            PYTHON,
            "-m",
            "securities_rails.bridge",
            "validator",
            "--deployment",
            str(tmp_path / "none.json"),
            "--key-env",
            "X",
            "--once",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == EXIT_ERROR
    assert result.stderr.strip().startswith("Error: deployment: cannot read")
    assert len(result.stderr.strip().splitlines()) == 1
