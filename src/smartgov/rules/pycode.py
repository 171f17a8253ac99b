"""Compiling checked expressions into Python source for deciding one case.

A tree walk per decision would spend most of its time dispatching on node types;
generating straight-line Python once per service and parameter epoch, and running it
through `compile`, makes a decision with its trace cost a few microseconds. The code
only ever contains local names we chose, literals written with `repr`, and the
operators below: nothing from a service file reaches it as code.

SQL semantics throughout, with one deliberate difference (mirrored by `sqlcode.py`):
a CASE whose condition is unknown is unknown, never its ELSE branch."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlglot.expressions as exp

from smartgov.rules.expressions import between, date_function, literal_value

_OPS: dict[type[exp.Expression], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.EQ: "==",
    exp.NEQ: "!=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}


class Emitter:
    """Accumulates lines of one Python function; `expr` returns an atom holding a value."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._count = 0

    def temp(self) -> str:
        self._count += 1
        return f"_t{self._count}"

    def emit(self, line: str, depth: int) -> None:
        self.lines.append("    " * depth + line)

    def constant(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int | float | str):
            return repr(value)
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def expr(self, node: exp.Expression, names: Mapping[str, str], depth: int) -> str:  # noqa: C901
        """Emit statements computing ``node``; ``names`` maps symbols to atoms."""
        if isinstance(node, exp.Column):
            return names[node.name]
        if isinstance(node, exp.Literal | exp.Boolean | exp.Null | exp.Cast):
            return self.constant(literal_value(node))
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
            return self.constant(literal_value(node))

        def sub(child: exp.Expression) -> str:
            return self.expr(child, names, depth)

        out = self.temp()

        def nullable(*atoms: str) -> str:
            tests = [f"{a} is None" for a in atoms if not is_literal(a)]
            return " or ".join(tests)

        def assign(value: str, *atoms: str) -> None:
            guard = nullable(*atoms)
            line = f"{out} = None if {guard} else {value}" if guard else f"{out} = {value}"
            self.emit(line, depth)

        if type(node) in _OPS:
            a, b = sub(node.this), sub(node.expression)
            assign(f"({a} {_OPS[type(node)]} {b})", a, b)
        elif isinstance(node, exp.Div):
            a, b = sub(node.this), sub(node.expression)
            guard = nullable(a, b)
            guard = f"{guard} or {b} == 0" if guard else f"{b} == 0"
            self.emit(f"{out} = None if {guard} else {a} / {b}", depth)
        elif isinstance(node, exp.Neg):
            a = sub(node.this)
            assign(f"-{a}", a)
        elif isinstance(node, exp.And | exp.Or):
            # Kleene logic: the dominant value (FALSE for AND, TRUE for OR) wins over unknown.
            a, b = sub(node.this), sub(node.expression)
            wins = isinstance(node, exp.Or)
            self.emit(
                f"{out} = {wins} if ({a} is {wins} or {b} is {wins}) else "
                f"(None if ({a} is None or {b} is None) else {not wins})",
                depth,
            )
        elif isinstance(node, exp.Not):
            a = sub(node.this)
            assign(f"(not {a})", a)
        elif isinstance(node, exp.Is):
            a = sub(node.this)
            self.emit(f"{out} = {a} is None", depth)
        elif isinstance(node, exp.Case):
            self._case(node, names, depth, out)
        elif isinstance(node, exp.Coalesce):
            atoms = [sub(a) for a in (node.this, *node.expressions)]
            value = atoms[-1]
            for atom in reversed(atoms[:-1]):
                value = f"({atom} if {atom} is not None else {value})"
            self.emit(f"{out} = {value}", depth)
        elif isinstance(node, exp.In):
            a = sub(node.this)
            values = frozenset(literal_value(v) for v in node.expressions)
            assign(f"({a} in {self.constant(values)})", a)
        elif isinstance(node, exp.Least | exp.Greatest):
            atoms = [sub(a) for a in (node.this, *node.expressions)]
            fn = "min" if isinstance(node, exp.Least) else "max"
            assign(f"{fn}({', '.join(atoms)})", *atoms)
        elif isinstance(node, exp.Abs):
            a = sub(node.this)
            assign(f"abs({a})", a)
        elif isinstance(node, exp.Floor | exp.Ceil):
            a = sub(node.this)
            fn = "_floor" if isinstance(node, exp.Floor) else "_ceil"
            assign(f"{fn}({a})", a)
        elif isinstance(node, exp.Round):
            a = sub(node.this)
            digits = node.args.get("decimals")
            scale = float(10 ** int(digits.this)) if digits is not None else 1.0
            # Half up, on doubles: the same operations the SQL runs (see sqlcode.py).
            assign(f"_floor({a} * {scale!r} + 0.5) / {scale!r}", a)
        elif isinstance(node, exp.Year | exp.Month | exp.Day):
            a = sub(node.this)
            assign(f"{a}.{node.key}", a)
        elif (name := date_function(node)) is not None:
            a, b = (sub(arg) for arg in node.expressions)
            assign(f"_between({name!r}, {a}, {b})", a, b)
        else:  # pragma: no cover - expressions.check admits nothing else
            raise AssertionError(f"unexpected node {node.key}")
        return out

    def _case(self, node: exp.Case, names: Mapping[str, str], depth: int, out: str) -> None:
        for branch in node.args["ifs"]:
            cond = self.expr(branch.this, names, depth)
            self.emit(f"if {cond} is None:", depth)
            self.emit(f"{out} = None", depth + 1)
            self.emit(f"elif {cond}:", depth)
            value = self.expr(branch.args["true"], names, depth + 1)
            self.emit(f"{out} = {value}", depth + 1)
            self.emit("else:", depth)
            depth += 1
        default = node.args.get("default")
        value = self.expr(default, names, depth) if default is not None else "None"
        self.emit(f"{out} = {value}", depth)


def is_literal(atom: str) -> bool:
    """A literal other than None can skip the NULL test."""
    return atom != "None" and not atom.startswith(("_t", "s_", "_c"))


def helpers() -> dict[str, Any]:
    import math

    return {"_floor": math.floor, "_ceil": math.ceil, "_date": date, "_between": between}
