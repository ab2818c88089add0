"""mkdocs hook: fill each ``<!-- config-keys: ClassName -->`` marker with that config's key table.

The rows come from the dataclass itself: its fields, defaults and "why" comments
(``guidance.configs.describe``), the very text ``--help`` shows, so the docs cannot drift.
"""

from __future__ import annotations

import dataclasses
import re

import guidance.configs as configs

_MARKER = re.compile(r"<!-- config-keys: (?P<name>\w+) -->")


def _table(name: str) -> str:
    cls = getattr(configs, name)
    why = configs.describe(cls)
    rows = ["| key | default | what it is for |", "| --- | --- | --- |"]
    for field in dataclasses.fields(cls):
        default = repr(field.default).replace("'", '"')
        rows.append(f"| `{field.name}` | `{default}` | {why.get(field.name, '').replace('|', '/')} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **kwargs) -> str:
    return _MARKER.sub(lambda match: _table(match["name"]), markdown)
