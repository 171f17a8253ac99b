"""Reading YAML while remembering the line of every key, so that each error names the
file and line an editor should jump to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One finding of the loader or the checks: where, what, and how bad."""

    file: str
    line: int
    where: str  # dotted path inside the file, e.g. variables.age.expr
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.file}:{self.line}:{where} {self.message}"


class LoadError(Exception):
    """A file that cannot be used; every problem found is listed."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Located:
    """Plain data from a YAML file, with the line of each path in it."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Sequence[str | int]) -> int:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def problem(self, path: Sequence[str | int], message: str, severity: str = "error") -> Problem:
        where = ".".join(str(p) for p in path)
        return Problem(self.file, self.line(path), where, message, severity)


def read(path: Path, name: str | None = None) -> Located:
    """Parse one YAML file; syntax errors and duplicate keys become a LoadError."""
    shown = name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError([Problem(shown, 1, "", f"cannot read the file: {error}")]) from None
    return parse(text, shown)


def parse(text: str, name: str) -> Located:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        located = Located(name, None)
        located.data = _build(loader, node, (), located) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise LoadError([Problem(name, line, "", f"YAML syntax: {error.problem}")]) from None
    finally:
        loader.dispose()
    return located


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, out: Located) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in result:
                where = ".".join(str(p) for p in (*path, key))
                raise LoadError([Problem(out.file, line, where, f"duplicate key `{key}`")])
            out.lines[(*path, _path_key(key))] = line
            result[key] = _build(loader, value_node, (*path, _path_key(key)), out)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            out.lines[(*path, index)] = item.start_mark.line + 1
            items.append(_build(loader, item, (*path, index), out))
        return items
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as error:  # a well-formed scalar with an impossible value: 2026-02-30
        line = node.start_mark.line + 1
        where = ".".join(str(p) for p in path)
        raise LoadError([Problem(out.file, line, where, f"`{node.value}`: {error}")]) from None


def _path_key(key: Any) -> str | int:
    return key if isinstance(key, int) and not isinstance(key, bool) else str(key)


def validate(model: type[M], located: Located) -> M:
    """Validate with a pydantic model; errors carry the file and line."""
    try:
        return model.model_validate(located.data)
    except ValidationError as error:
        raise LoadError([_problem(located, e, model) for e in error.errors()]) from None


def _problem(located: Located, error: Any, model: type[BaseModel]) -> Problem:
    loc = tuple(_path_key(p) for p in error["loc"])
    kind = error["type"]
    if kind == "missing":
        message = f"`{loc[-1]}` is required here"
    elif kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
        message = f"unknown field `{loc[-1]}`{hint}"
    else:
        message = error["msg"]
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        if kind == "string_pattern_mismatch" and pattern.startswith("^[a-z]"):
            chars = (
                "_ and -" if "-" in pattern and "_" in pattern else "-" if "-" in pattern else "_"
            )
            message = f"`{error['input']}`: start with a letter; use a-z, 0-9 and {chars}"
    return located.problem(loc, message)


def _allowed_fields(model: type[BaseModel], loc: Path_) -> list[str]:
    """Field names of the sub-model at ``loc``, for 'did you mean' style messages."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            # A dict of sub-models: the key is a user's name, the model stays the same.
            continue
        current = _model_in(info.annotation)
    fields = getattr(current, "model_fields", None)
    return sorted(info.alias or name for name, info in fields.items()) if fields else []


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside Optional[...], list[...] or dict[..., ...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
