"""Write the CLI reference into README.md from `smartgov --help` (a test checks it).

python scripts/gen_cli_docs.py          # rewrite the README section
python scripts/gen_cli_docs.py --check  # exit 1 if the README has drifted
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from smartgov.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- cli-reference:begin -->"
END = "<!-- cli-reference:end -->"


def _walk(command: Any, ctx: Any, path: list[str]) -> list[str]:
    # Typer ships its own copy of click, so this walks by duck typing.
    parts = [f"### `{' '.join(path)}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n"]
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                sub_ctx = sub.context_class(sub, info_name=name, parent=ctx)
                parts.extend(_walk(sub, sub_ctx, [*path, name]))
    return parts


def reference() -> str:
    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="smartgov", terminal_width=88, max_content_width=88)
    return "\n".join(_walk(root, ctx, ["smartgov"]))


def render(readme: str) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{reference()}{END}{tail}"


if __name__ == "__main__":
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    if "--check" in sys.argv:
        if current != wanted:
            print("README.md CLI reference is out of date: run `make docs`")
            sys.exit(1)
    else:
        README.write_text(wanted, encoding="utf-8")
