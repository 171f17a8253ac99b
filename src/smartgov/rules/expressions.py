"""The expression language: a whitelisted subset of SQL expressions.

sqlglot parses every expression with the DuckDB dialect pinned; this module rejects
anything outside the subset, rewrites the few forms with two spellings into one
(BETWEEN into two comparisons, IF into CASE), and infers each expression's type.
Both evaluators (`pycode.py` for one case, `sqlcode.py` for populations) accept only
what `check` returned, so they never meet a construct they do not know."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import cast

import sqlglot
import sqlglot.expressions as exp
from sqlglot.errors import ParseError

DIALECT = "duckdb"

#: Our own functions: written like SQL functions, compiled to portable SQL.
DATE_FUNCTIONS = {"YEARS_BETWEEN", "MONTHS_BETWEEN", "DAYS_BETWEEN"}
ALLOWED = (
    "arithmetic + - * /, comparisons = <> < <= > >=, AND OR NOT, CASE WHEN, IF, COALESCE, "
    "IN, BETWEEN, IS [NOT] NULL, LEAST, GREATEST, ABS, ROUND, FLOOR, CEIL, YEAR, MONTH, DAY, "
    "YEARS_BETWEEN, MONTHS_BETWEEN, DAYS_BETWEEN, DATE 'YYYY-MM-DD'"
)

NUMERIC = {"integer", "number"}
ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)
COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
UNARY_NUMERIC = (exp.Abs, exp.Floor, exp.Ceil)
DATE_PARTS = (exp.Year, exp.Month, exp.Day)
#: Every node type the language has (`_infer` checks how each is used).
ALLOWED_NODES = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Cast,
    exp.DataType,
    *ARITHMETIC,
    exp.Neg,
    *COMPARISONS,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Is,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.In,
    exp.Least,
    exp.Greatest,
    *UNARY_NUMERIC,
    exp.Round,
    *DATE_PARTS,
)


class ExpressionError(ValueError):
    """An expression outside the language or badly typed; the message says why."""


@dataclass(frozen=True)
class Checked:
    """A parsed, normalised and typed expression."""

    source: str
    tree: exp.Expression
    type: str
    names: frozenset[str]


#: How deeply an expression may nest. Real rules stay under ten levels; the parser and
#: the type checker recurse, and a deeper tree (300 parentheses, NOT 2,000 times) would
#: exhaust Python's stack.
MAX_DEPTH = 64


def parse(source: str) -> exp.Expression:
    too_deep = ExpressionError(f"the expression nests more than {MAX_DEPTH} levels deep")
    try:
        tree = sqlglot.parse_one(source, read=DIALECT)
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        detail = first.get("description") or str(error).splitlines()[0]
        raise ExpressionError(f"cannot parse `{source}`: {detail}") from None
    except RecursionError:
        raise too_deep from None
    if _depth(cast(exp.Expression, tree)) > MAX_DEPTH:
        raise too_deep
    tree = _normalise(cast(exp.Expression, tree))
    for node in tree.walk():
        if not isinstance(node, ALLOWED_NODES) and date_function(node) is None:
            what = node.sql_name() if isinstance(node, exp.Func) else node.key.upper()
            raise ExpressionError(f"`{what}` is not part of the rule language; allowed: {ALLOWED}")
    return tree


def _depth(tree: exp.Expression) -> int:
    """The tree's depth, walked without recursion (the tree may be absurdly deep)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node.iter_expressions())
    return deepest


def _normalise(tree: exp.Expression) -> exp.Expression:
    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Paren):
            return node.this  # type: ignore[no-any-return]
        if isinstance(node, exp.Between):
            low = exp.GTE(this=node.this.copy(), expression=node.args["low"].copy())
            high = exp.LTE(this=node.this.copy(), expression=node.args["high"].copy())
            return exp.And(this=low, expression=high)
        if isinstance(node, exp.MonthsBetween):  # sqlglot knows the name; the meaning is ours
            args = [node.this.copy(), node.expression.copy()]
            return exp.Anonymous(this="MONTHS_BETWEEN", expressions=args)
        if isinstance(node, exp.If) and not isinstance(node.parent, exp.Case):
            branch = exp.If(this=node.this.copy(), true=node.args["true"].copy())
            false = node.args.get("false")
            return exp.Case(ifs=[branch], default=false.copy() if false else exp.Null())
        return node

    return tree.transform(rewrite)


def check(source: str, env: Mapping[str, str]) -> Checked:
    """Parse ``source`` and type it against ``env`` (name to type)."""
    tree = parse(source)
    names: set[str] = set()
    kind = _infer(tree, env, names)
    return Checked(source, tree, kind, frozenset(names))


def _unify(types: list[str], what: str) -> str:
    real = {t for t in types if t != "null"}
    if not real:
        return "null"
    if real <= NUMERIC:
        return "number" if "number" in real else "integer"
    if len(real) == 1:
        return real.pop()
    raise ExpressionError(f"{what} mix types: {', '.join(sorted(real))}")


def _need(kind: str, allowed: set[str], what: str) -> None:
    if kind not in allowed and kind != "null":
        raise ExpressionError(f"{what} must be {' or '.join(sorted(allowed))}, not {kind}")


def _sql(node: exp.Expression) -> str:
    return node.sql(dialect=DIALECT)


def _infer(node: exp.Expression, env: Mapping[str, str], names: set[str]) -> str:  # noqa: C901
    def sub(child: exp.Expression) -> str:
        return _infer(child, env, names)

    if isinstance(node, exp.Column):
        if node.table:
            raise ExpressionError(f"`{_sql(node)}`: names have no prefix; write `{node.name}`")
        name = node.name
        if name not in env:
            close = difflib.get_close_matches(name, list(env), n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            raise ExpressionError(f"unknown name `{name}`{hint}")
        names.add(name)
        return env[name]
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "text"
        text = node.this
        return "integer" if text.isdigit() else "number"
    if isinstance(node, exp.Boolean):
        return "boolean"
    if isinstance(node, exp.Null):
        return "null"
    if isinstance(node, exp.Cast):
        target = node.to.this
        if target == exp.DataType.Type.DATE and isinstance(node.this, exp.Literal):
            try:
                date.fromisoformat(node.this.this)
            except ValueError:
                raise ExpressionError(f"`{_sql(node)}` is not a date YYYY-MM-DD") from None
            return "date"
        raise ExpressionError(f"`{_sql(node)}`: only DATE 'YYYY-MM-DD' literals may be cast")
    if isinstance(node, ARITHMETIC):
        left, right = sub(node.this), sub(node.expression)
        _need(left, NUMERIC, f"the left side of `{_sql(node)}`")
        _need(right, NUMERIC, f"the right side of `{_sql(node)}`")
        if isinstance(node, exp.Div):
            return "number"
        return _unify([left, right], f"`{_sql(node)}`")
    if isinstance(node, exp.Neg):
        kind = sub(node.this)
        _need(kind, NUMERIC, f"`{_sql(node)}`")
        return kind
    if isinstance(node, COMPARISONS):
        left, right = sub(node.this), sub(node.expression)
        if "null" in (left, right):
            raise ExpressionError(f"`{_sql(node)}` compares with NULL; write `IS NULL`")
        _unify([left, right], f"the two sides of `{_sql(node)}`")
        if left == "boolean" and not isinstance(node, exp.EQ | exp.NEQ):
            raise ExpressionError(f"`{_sql(node)}` orders booleans")
        return "boolean"
    if isinstance(node, exp.And | exp.Or):
        for side in (node.this, node.expression):
            _need(sub(side), {"boolean"}, f"each side of {node.key.upper()} in `{_sql(node)}`")
        return "boolean"
    if isinstance(node, exp.Not):
        _need(sub(node.this), {"boolean"}, f"the operand of NOT in `{_sql(node)}`")
        return "boolean"
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise ExpressionError(f"`{_sql(node)}`: only IS NULL and IS NOT NULL are allowed")
        sub(node.this)
        return "boolean"
    if isinstance(node, exp.Case):
        if node.this is not None:
            raise ExpressionError(
                f"`{_sql(node)}`: write CASE WHEN x = value THEN ..., not CASE x WHEN ..."
            )
        results = []
        for branch in node.args["ifs"]:
            _need(sub(branch.this), {"boolean"}, f"the WHEN condition `{_sql(branch.this)}`")
            results.append(sub(branch.args["true"]))
        default = node.args.get("default")
        results.append(sub(default) if default is not None else "null")
        return _unify(results, f"the results of `{_sql(node)}`")
    if isinstance(node, exp.Coalesce):
        args = [node.this, *node.expressions]
        return _unify([sub(a) for a in args], f"the arguments of `{_sql(node)}`")
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise ExpressionError(f"`{_sql(node)}`: IN takes a list of values")
        left = sub(node.this)
        for item in node.expressions:
            if not isinstance(item, exp.Literal | exp.Boolean | exp.Neg):
                raise ExpressionError(f"`{_sql(node)}`: the IN list holds literal values only")
            _unify([left, sub(item)], f"`{_sql(node)}`")
        return "boolean"
    if isinstance(node, exp.Least | exp.Greatest):
        args = [node.this, *node.expressions]
        kind = _unify([sub(a) for a in args], f"the arguments of `{_sql(node)}`")
        _need(kind, NUMERIC | {"date"}, f"the arguments of `{_sql(node)}`")
        return kind
    if isinstance(node, UNARY_NUMERIC):
        kind = sub(node.this)
        _need(kind, NUMERIC, f"the argument of `{_sql(node)}`")
        if node.args.get("decimals") or node.args.get("expression"):
            raise ExpressionError(f"`{_sql(node)}` takes one argument")
        return kind if isinstance(node, exp.Abs) else "integer"
    if isinstance(node, exp.Round):
        _need(sub(node.this), NUMERIC, f"the argument of `{_sql(node)}`")
        digits = node.args.get("decimals")
        if digits is not None and not (isinstance(digits, exp.Literal) and digits.this.isdigit()):
            raise ExpressionError(f"`{_sql(node)}`: the digits must be a whole number literal")
        if node.args.get("truncate"):
            raise ExpressionError(f"`{_sql(node)}` takes at most two arguments")
        return "number"
    if isinstance(node, DATE_PARTS):
        _need(sub(node.this), {"date"}, f"the argument of `{_sql(node)}`")
        return "integer"
    if isinstance(node, exp.Anonymous) and node.name.upper() in DATE_FUNCTIONS:
        if len(node.expressions) != 2:
            raise ExpressionError(f"`{_sql(node)}` takes two dates: (earlier, later)")
        for arg in node.expressions:
            _need(sub(arg), {"date"}, f"the arguments of `{_sql(node)}`")
        return "integer"
    what = node.sql_name() if isinstance(node, exp.Func) else node.key.upper()
    raise ExpressionError(f"`{what}` is not part of the rule language; allowed: {ALLOWED}")


def date_function(node: exp.Expr) -> str | None:
    """YEARS_BETWEEN and its kin: the upper-case name, else None."""
    if isinstance(node, exp.Anonymous) and node.name.upper() in DATE_FUNCTIONS:
        return node.name.upper()
    return None


def between(name: str, a: date, b: date) -> int:
    """What YEARS_BETWEEN, MONTHS_BETWEEN and DAYS_BETWEEN mean: whole units from a to
    b, a month counted when b's day of the month reaches a's (so ages are birthdays)."""
    if name == "DAYS_BETWEEN":
        return (b - a).days
    months = (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)
    return months // 12 if name == "YEARS_BETWEEN" else months


def literal_value(node: exp.Expression) -> object:
    """The Python value of a literal node (numbers, text, booleans, NULL, dates)."""
    if isinstance(node, exp.Neg):
        value = literal_value(node.this)
        assert isinstance(value, int | float)
        return -value
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Cast):
        return date.fromisoformat(node.this.this)
    assert isinstance(node, exp.Literal)
    if node.is_string:
        return node.this
    text = node.this
    return int(text) if text.isdigit() else float(text)


def literal_sql(value: object) -> str:
    """A value written as an expression of the language (for parameters and YAML scalars)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"
