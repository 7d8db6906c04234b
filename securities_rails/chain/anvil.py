"""Local Anvil nodes for the multi-chain flows: start one with a given chain id, stop it.

ape starts the node it tests against itself; a bridge needs a second chain (another chain id),
and the demo, the benchmark and the cross-chain tests start it here.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from securities_rails.errors import UserError

TEST_MNEMONIC = "test test test test test test test test test test test junk"


# Ports `free_port` has handed out in this process.
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A TCP port on loopback nobody listens on now, never handed out before by this process.

    ape keeps a connected provider per node URL for the whole process. A port reused by a later
    node of another chain id would be reached through the first node's provider, which signs for
    the old chain id ("invalid chain id for signer").
    """
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def _rpc(url: str, method: str, params: list | None = None, timeout: float = 5.0) -> object:
    response = requests.post(
        url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
        timeout=timeout,
    )
    response.raise_for_status()
    body = response.json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


@dataclass
class AnvilNode:
    """An Anvil process on loopback; `url` is its JSON-RPC endpoint."""

    chain_id: int
    port: int
    state_file: Path | None = None
    block_time: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> AnvilNode:
        """Start the node (its state kept in `state_file`, if given); wait until it answers."""
        binary = shutil.which("anvil")
        if binary is None:
            raise UserError("anvil", "anvil is not on PATH: run `make install`")
        command = [
            binary,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--mnemonic",
            TEST_MNEMONIC,
            "--silent",
        ]
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--state", str(self.state_file)]
        if self.block_time is not None:
            command += ["--block-time", str(self.block_time)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = (self.process.stderr.read() if self.process.stderr else b"").decode()
                raise UserError("anvil", f"anvil on port {self.port} exited: {error.strip()}")
            with contextlib.suppress(requests.RequestException, RuntimeError):
                if int(str(_rpc(self.url, "eth_chainId", timeout=1.0)), 16) == self.chain_id:
                    return self
            time.sleep(0.1)
        self.stop()
        raise UserError("anvil", f"anvil on port {self.port} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the node (it dumps its state to `state_file`, if any, on the way out)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> AnvilNode:
        """Stop and start again on the same port (state kept only with a state file)."""
        self.stop()
        return self.start()

    def __enter__(self) -> AnvilNode:
        return self.start() if self.process is None else self

    def __exit__(self, *_: object) -> None:
        self.stop()


def mine(url: str, blocks: int = 1) -> None:
    """Mine `blocks` empty blocks on the Anvil at `url` (to reach a confirmation depth)."""
    _rpc(url, "anvil_mine", [hex(blocks)])
