"""free_port: a port is never handed out twice in one process (ape keeps a provider per URL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from securities_rails.chain import anvil


class _Probe:
    """Stands for socket.socket: the OS hands out the ports of `offered` in turn."""

    offered: Iterator[int]

    def __init__(self) -> None:
        self.port = next(self.offered)

    def __enter__(self) -> _Probe:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def bind(self, address: tuple[str, int]) -> None:
        assert address == ("127.0.0.1", 0)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def test_a_port_the_os_offers_again_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    _Probe.offered = iter([40001, 40001, 40002, 40001, 40003])
    monkeypatch.setattr(anvil.socket, "socket", _Probe)
    monkeypatch.setattr(anvil, "_HANDED_OUT", set())
    assert [anvil.free_port() for _ in range(3)] == [40001, 40002, 40003]


def test_ports_are_free_and_distinct() -> None:
    ports = [anvil.free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(1024 <= port <= 65535 for port in ports)
