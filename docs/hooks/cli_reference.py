"""mkdocs hooks for the CLI reference (docs/reference/cli.md, written by the mkdocs-typer2 plugin).

- The plugin's `legacy` engine runs `typer guidance.cli utils docs` as a subprocess found on PATH
  (its `native` engine fails on typer's vendored click: an option has no `.type`). Putting this
  interpreter's bin folder first on PATH lets `.venv/bin/mkdocs build` work without an activated venv.
- The plugin inserts its HTML before the page's inline patterns run, so inside its `<code>` spans
  `--batch <int>` becomes a raw (invisible) `<int>` tag, and `[OPTIONS] [sources]...` reads as the
  cross-reference `[OPTIONS][sources]`, which fails the strict build. Both are put back as literal
  text before autorefs resolves anything.
- When the `typer` subprocess fails (the app does not import), the plugin leaves the page empty
  without a word; this hook then logs the subprocess's error as a warning, which fails `--strict`.
"""

from __future__ import annotations

import html as _html
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger("cli_reference")
_ERROR_LINE = re.compile(r"^\w*(Error|Exception|Exit)\b.*")
_DIRECTIVE = re.compile(r"^::: mkdocs-typer2\s*\n(?P<options>(?:[ \t]+:.*\n?)*)", re.MULTILINE)
_OPTION = re.compile(r":(?P<key>\w+):\s*(?P<value>\S+)")

_MARK = '<div class="typer-docs">'
_CODE = re.compile(r"<code>(?P<body>.*?)</code>", re.DOTALL)
_AUTOREF = re.compile(r"<autoref\b(?P<attrs>[^>]*)>(?P<text>.*?)</autoref>", re.DOTALL)
_IDENTIFIER = re.compile(r'\bidentifier="(?P<id>[^"]*)"')


def on_config(config, **kwargs):
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + path if path else bin_dir
    return config


def _unref(ref: re.Match) -> str:
    found = _IDENTIFIER.search(ref["attrs"])
    return f"[{ref['text']}] [{found['id']}]" if found else ref["text"]


def _literal(code: re.Match) -> str:
    return "<code>" + _html.escape(_html.unescape(code["body"]), quote=False) + "</code>"


def _why_empty(markdown: str) -> str:
    """Run what the plugin ran, and return the last line of its error."""
    found = _DIRECTIVE.search(markdown)
    options = dict(_OPTION.findall(found["options"])) if found else {}
    command = ["typer", options.get("module", "?"), "utils", "docs", "--name", options.get("name", "CLI")]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{shlex.join(command)}: {error}"
    lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if _ERROR_LINE.match(line)]
    last = errors[-1] if errors else lines[-1] if lines else "no output"
    return f"{shlex.join(command)} exited {result.returncode}: {last}"


def on_page_content(html: str, page, **kwargs) -> str:
    start = html.find(_MARK)
    if start < 0:
        if page.markdown and _DIRECTIVE.search(page.markdown):
            log.warning(f"{page.file.src_path}: the CLI reference came out empty; {_why_empty(page.markdown)}")
        return html
    return html[:start] + _CODE.sub(_literal, _AUTOREF.sub(_unref, html[start:]))
