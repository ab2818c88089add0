"""Shared helpers for tests that drive the `guide` CLI through typer's CliRunner."""

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
