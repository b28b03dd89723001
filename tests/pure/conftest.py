"""The pure tests: plain Python on plain data, no database, no server, no process (`pytest tests/pure`).

Each of them runs with the network, subprocesses and database engines switched off, so a test that
needs one fails here at once and belongs in tests/ beside the others."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator

import pytest


def _refuse(what: str):
    def refused(*_args, **_kwargs):
        raise AssertionError(f"a pure test may not use {what}: move it to tests/")
    return refused


@pytest.fixture(autouse=True)
def _pure(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import sqlalchemy.ext.asyncio

    monkeypatch.setattr(socket.socket, "connect", _refuse("the network"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("a subprocess"))
    monkeypatch.setattr(sqlalchemy.ext.asyncio, "create_async_engine", _refuse("a database"))
    monkeypatch.setattr("storage.db.create_async_engine", _refuse("a database"))
    yield
