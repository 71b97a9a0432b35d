"""The local stack's command line: refusals that must be clear, without starting anything."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.local.__main__ import write_whole
from tests.local.conftest import LOOPBACK, ROOT


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "devtools.local", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_persist_is_refused_with_the_reason() -> None:
    result = run("--persist", "state/")

    assert result.returncode == 2
    assert "--persist is not supported" in result.stderr
    assert "moto keeps every service's state in memory" in result.stderr


@pytest.mark.allow_hosts(LOOPBACK)
def test_a_taken_port_is_reported_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run("--port", str(port))

    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr


def test_the_ready_file_appears_only_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI once read the ready file between its creation and its content: it must appear already written."""
    target = tmp_path / "ready.json"
    seen_when_written: list[bool] = []
    real_write_text = Path.write_text

    def write_and_look(self: Path, text: str, *args: object, **kwargs: object) -> int:
        written = real_write_text(self, text, *args, **kwargs)  # type: ignore[arg-type]
        seen_when_written.append(target.exists())
        return written

    monkeypatch.setattr(Path, "write_text", write_and_look)
    write_whole(target, '{"api_url": "http://127.0.0.1:1"}')
    assert seen_when_written == [False]
    assert target.read_text() == '{"api_url": "http://127.0.0.1:1"}'
    assert [path.name for path in tmp_path.iterdir()] == ["ready.json"]
