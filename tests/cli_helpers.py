"""Shared helpers for tests that drive the `guide` CLI: typer's CliRunner in-process, or a process to kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from guidance.cli import app

runner = CliRunner()


def invoke(*args):
    """Run `guide ARGS` in-process on a wide terminal; returns typer's Result."""
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


def one_line_error(result, fragment):
    """The kit's bad-input contract: exit 1, one line starting 'error:', naming `fragment`."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert fragment in result.output


def status(folder: Path) -> dict:
    try:
        return json.loads((folder / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def start_and_kill(command: list[str], folder: Path, at_step: int, timeout: float = 120) -> None:
    """Start `guide ...` in a process of its own and SIGKILL it once status.json reaches `at_step`."""
    process = subprocess.Popen([sys.executable, "-m", "guidance", *command], env=os.environ.copy(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while status(folder).get("step", -1) < at_step and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, f"it ended before the kill: {stderr.decode()[-800:]}"
