"""Compiling a service into one SQL query over a population table.

The query is built as a sqlglot tree, written for DuckDB, and transpiled to Spark SQL
for populations beyond one machine. Its meaning matches the one-case evaluator row
for row (a property test checks it), which takes care in four places:

* a CASE (or a decision table) whose condition is unknown is unknown, not ELSE;
* LEAST and GREATEST are unknown when any argument is (SQL engines skip NULLs);
* division by zero is unknown (DuckDB returns infinity, Spark NULL);
* decimal literals are doubles (DuckDB would make them exact DECIMALs), and ROUND is
  FLOOR(x * 10^n + 0.5) / 10^n on doubles, half up, the same in every engine."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any

import sqlglot.expressions as exp

from smartgov.rules.compiled import Service, TableRule
from smartgov.rules.evaluate import OUTCOMES
from smartgov.rules.expressions import DIALECT, between, date_function, literal_value

SQL_TYPES = {
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "text": "VARCHAR",
}


def _lit(value: Any) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value) if value >= 0 else exp.Neg(this=exp.Literal.number(-value))
    if isinstance(value, float):
        return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.Literal.string(str(value))


def _group(node: exp.Expr) -> exp.Expr:
    """Parenthesise operators: parsing dropped the source's parentheses, and the SQL
    generator writes trees as they are, without regard to precedence."""
    return exp.paren(node) if isinstance(node, exp.Binary | exp.Unary) else node


def _false(node: exp.Expr) -> bool:
    return isinstance(node, exp.Boolean) and not node.this


def _or(*terms: exp.Expr) -> exp.Expr:
    kept = [t for t in terms if not _false(t)]
    return exp.or_(*kept) if kept else exp.false()


def _and(*terms: exp.Expr) -> exp.Expr:
    return exp.false() if any(_false(t) for t in terms) else exp.and_(*terms)


def _case(*branches: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Expr:
    """CASE WHEN ... END without the branches that can never be taken."""
    branches = tuple((c, v) for c, v in branches if not _false(c))
    if not branches:
        return default if default is not None else exp.null()
    case = exp.Case()
    for condition, value in branches:
        case = case.when(condition, value)
    return case.else_(default) if default is not None else case


#: `a op b` is `b FLIPPED[op] a`.
FLIPPED: dict[type[exp.Expr], type[exp.Binary]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
}


class Translator:
    """Our expression trees to SQL trees; ``names`` maps symbols to SQL expressions,
    ``constants`` gives the values of those known when the query is written (parameters,
    the decision date) and ``variables`` the trees of variables, so that comparisons on
    ages and other date differences can become comparisons with a cutoff date."""

    def __init__(
        self,
        names: Mapping[str, exp.Expr],
        constants: Mapping[str, Any] | None = None,
        variables: Mapping[str, exp.Expr] | None = None,
        present: set[str] | None = None,
    ) -> None:
        self.names = names
        self.constants = constants or {}
        self.variables = variables or {}
        #: Columns known to hold no NULL: tests for unknown values on them are dropped.
        self.present = present if present is not None else set()

    def sql(self, node: exp.Expr) -> exp.Expr:
        return _group(self._sql(node))

    def may_be_null(self, node: exp.Expr) -> bool:
        """Whether a translated expression can be NULL; True when unsure."""
        if isinstance(node, exp.Column):
            return node.name not in self.present
        if isinstance(node, exp.Null | exp.Nullif):
            return True
        if isinstance(node, exp.Is | exp.Literal | exp.Boolean):
            return False
        if isinstance(node, exp.Case):
            default = node.args.get("default")
            values = [b.args["true"] for b in node.args["ifs"]]
            return default is None or any(map(self.may_be_null, [*values, default]))
        if isinstance(node, exp.Coalesce):
            return all(map(self.may_be_null, [node.this, *node.expressions]))
        # Everything else the translation makes is NULL only when an operand is.
        return any(self.may_be_null(child) for child in node.iter_expressions())

    def is_null(self, node: exp.Expr) -> exp.Expr:
        """`node IS NULL`, or FALSE when it never is."""
        if not self.may_be_null(node):
            return exp.false()
        return exp.Is(this=_group(node.copy()), expression=exp.null())

    def any_null(self, nodes: Sequence[exp.Expr]) -> exp.Expr:
        return _or(*(self.is_null(n) for n in nodes))

    def _sql(self, node: exp.Expr) -> exp.Expr:  # noqa: C901
        t = self.sql
        if type(node) in FLIPPED and (cutoff := self._cutoff(node)) is not None:
            return cutoff
        if isinstance(node, exp.Column):
            return self.names[node.name].copy()
        if isinstance(node, exp.Literal | exp.Boolean | exp.Null | exp.Cast):
            return _lit(literal_value(node))
        if isinstance(node, exp.Div):
            divisor = exp.Nullif(this=t(node.expression), expression=exp.Literal.number(0))
            return exp.Div(this=t(node.this), expression=divisor)
        if isinstance(node, exp.Case):
            branches: list[tuple[exp.Expr, exp.Expr]] = []
            for branch in node.args["ifs"]:
                condition = t(branch.this)
                branches.append((self.is_null(condition), exp.null()))
                branches.append((condition, t(branch.args["true"])))
            default = node.args.get("default")
            return _case(*branches, default=t(default) if default is not None else exp.null())
        if isinstance(node, exp.Least | exp.Greatest):
            args = [t(a) for a in (node.this, *node.expressions)]
            kind = exp.Least if isinstance(node, exp.Least) else exp.Greatest
            plain = kind(this=args[0], expressions=[a.copy() for a in args[1:]])
            return _case((self.any_null(args), exp.null()), default=plain)
        if isinstance(node, exp.Round):
            digits = node.args.get("decimals")
            scale = _lit(float(10 ** int(digits.this)) if digits is not None else 1.0)
            shifted = exp.Add(
                this=exp.Mul(this=t(node.this), expression=scale), expression=_lit(0.5)
            )
            return exp.Div(this=exp.Floor(this=shifted), expression=scale.copy())
        if (name := date_function(node)) is not None:
            a, b = (t(arg) for arg in node.expressions)
            if name == "DAYS_BETWEEN":
                return exp.DateDiff(this=b, expression=a, unit=exp.var("DAY"))
            months = _months_between(a, b)
            if name == "MONTHS_BETWEEN":
                return months
            return exp.Floor(
                this=exp.Div(this=exp.cast(months, "DOUBLE"), expression=exp.Literal.number(12))
            )
        # Every other allowed node means the same in SQL: rebuild it with translated children.
        copy = node.copy()
        for key, value in node.args.items():
            if isinstance(value, exp.Expr):
                copy.set(key, t(value))
            elif isinstance(value, list):
                copy.set(key, [t(v) if isinstance(v, exp.Expr) else v for v in value])
        return copy

    def _constant(self, node: exp.Expr) -> Any:
        """The value of a literal, parameter or the decision date; None otherwise."""
        if isinstance(node, exp.Column):
            return self.constants.get(node.name)
        if isinstance(node, exp.Literal | exp.Neg | exp.Cast):
            return literal_value(node)
        return None

    def _difference(self, node: exp.Expr) -> tuple[str, exp.Expr, exp.Expr] | None:
        """YEARS_BETWEEN(a, b) and its kin, written out or through a variable."""
        if isinstance(node, exp.Column) and node.name in self.variables:
            node = self.variables[node.name]
        if (name := date_function(node)) is None:
            return None
        a, b = node.expressions
        return name, a, b

    def _cutoff(self, node: exp.Expr) -> exp.Expr | None:
        """`age >= 80`, with age = YEARS_BETWEEN(birth_date, decision_date), written as
        `birth_date <= DATE '1946-06-01'`: one comparison of dates instead of taking
        every row's date apart, which costs most of a population run otherwise. Exact:
        a difference with one constant end is monotonic in the other, so the cutoff is
        found by bisection with the evaluator's own `between`. None when it does not
        apply (no constant end, a bound no date reaches); the comparison is then
        translated as written."""
        left, right, kind = node.this, node.expression, type(node)
        if self._difference(left) is None:
            left, right, kind = right, left, FLIPPED[kind]
        difference, bound = self._difference(left), self._constant(right)
        if difference is None or isinstance(bound, bool) or not isinstance(bound, int | float):
            return None
        name, a, b = difference
        # An integer-valued f: f >= k and f < k test f >= ceil(k); f > k, f <= k test
        # f >= floor(k) + 1.
        at_least = math.ceil(bound) if kind in (exp.GTE, exp.LT) else math.floor(bound) + 1
        negated = kind in (exp.LT, exp.LTE)
        if isinstance(fixed := self._constant(b), date) and self._constant(a) is None:
            # f(x) = between(x, fixed) falls as x grows: f(x) >= k holds up to a cutoff.
            def f(x: date) -> int:
                return between(name, x, fixed)

            cutoff = _last(lambda x: f(x) >= at_least)
            if cutoff is None:
                return None
            return (exp.GT if negated else exp.LTE)(this=self.sql(a), expression=_lit(cutoff))
        if isinstance(fixed := self._constant(a), date) and self._constant(b) is None:
            # f(x) = between(fixed, x) grows with x: f(x) >= k holds from a cutoff on.
            def g(x: date) -> int:
                return between(name, fixed, x)

            cutoff = _last(lambda x: g(x) < at_least)
            if cutoff is None:
                return None
            return (exp.LTE if negated else exp.GT)(this=self.sql(b), expression=_lit(cutoff))
        return None


def _last(holds: Callable[[date], bool]) -> date | None:
    """The last date for which ``holds``, true up to some date and false after it;
    None when it holds for none or for all (no cutoff to write)."""
    low, high = date.min.toordinal(), date.max.toordinal()
    if not holds(date.fromordinal(low)) or holds(date.fromordinal(high)):
        return None
    while high - low > 1:  # holds(low), not holds(high)
        middle = (low + high) // 2
        if holds(date.fromordinal(middle)):
            low = middle
        else:
            high = middle
    return date.fromordinal(low)


def _months_between(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """Whole months from a to b, counted like the one-case evaluator."""
    years = exp.Sub(this=exp.Year(this=b.copy()), expression=exp.Year(this=a.copy()))
    months = exp.Sub(
        this=exp.Add(
            this=exp.Mul(this=exp.paren(years), expression=exp.Literal.number(12)),
            expression=exp.Month(this=b.copy()),
        ),
        expression=exp.Month(this=a.copy()),
    )
    short = _case(
        (
            exp.LT(this=exp.Day(this=b.copy()), expression=exp.Day(this=a.copy())),
            exp.Literal.number(1),
        ),
        default=exp.Literal.number(0),
    )
    return exp.paren(exp.Sub(this=months, expression=short))


def _table_sql(table: TableRule, t: Translator) -> dict[str, exp.Expr]:
    """One CASE per output of a table, and its `_row_<name>` column."""
    conditions = [t.sql(c.tree) for c in table.conditions]
    hit = table.definition.hit
    outputs: dict[str, exp.Expr] = {}
    columns = [*table.definition.outputs, f"_row_{table.name}"]
    for column in columns:
        is_row = column.startswith("_row_")

        def value(index: int, column: str = column, is_row: bool = is_row) -> exp.Expr:
            if index < 0:
                if table.default is None:
                    return exp.null()
                return _lit(-1) if is_row else t.sql(table.default[column].tree)
            return _lit(index) if is_row else t.sql(table.outputs[index][column].tree)

        branches: list[tuple[exp.Expr, exp.Expr]] = []
        if hit == "first":
            for index, condition in enumerate(conditions):
                branches.append((t.is_null(condition), exp.null()))
                branches.append((condition.copy(), value(index)))
            outputs[column] = _case(*branches, default=value(-1))
        elif hit == "unique":
            branches = [(c.copy(), value(i)) for i, c in enumerate(conditions)]
            branches.append((t.any_null(conditions), exp.null()))
            outputs[column] = _case(*branches, default=value(-1))
        elif is_row:
            outputs[column] = exp.null()  # collect fires several rows; not one column
        else:
            terms = [_case((c.copy(), value(i)), default=_lit(0)) for i, c in enumerate(conditions)]
            total: exp.Expr = terms[0]
            for term in terms[1:]:
                total = exp.Add(this=total, expression=term)
            none = exp.Not(this=exp.paren(exp.or_(*(c.copy() for c in conditions))))
            branches = [(t.any_null(conditions), exp.null())]
            if table.default is not None:
                branches.append((none, value(-1)))
            outputs[column] = _case(*branches, default=total)
    return outputs


def population_query(
    service: Service,
    *,
    on: date,
    source: str | exp.Expr = "population",
    keep: Sequence[str] = (),
    prefix: str = "s",
    present: Collection[str] = (),
) -> exp.Select:
    """The SELECT that decides every row of ``source`` on day ``on``; ``keep`` names
    extra columns of the source to carry through (keys, breakdowns), ``present`` the
    inputs known to have no missing value (the query then skips their NULL tests)."""
    values = {n: v for n, (v, _since) in service.parameters_on(on).items()}
    names: dict[str, exp.Expr] = {n: _lit(v) for n, v in values.items()}
    names["decision_date"] = _lit(on)
    first: list[exp.Expr] = [
        exp.column(c, quoted=True) for c in keep if c not in service.definition.inputs
    ]
    for name in service.inputs:
        kind = SQL_TYPES[service.symbols[name].type]
        first.append(exp.alias_(exp.cast(exp.column(name, quoted=True), kind), name, quoted=True))
        names[name] = exp.column(name, quoted=True)
    variables = {n: service.expressions[n].tree for kind, n in service.steps if kind == "variable"}
    t = Translator(names, {**values, "decision_date": on}, variables, set(present))
    ctes: list[tuple[str, exp.Select]] = [(f"{prefix}0", exp.select(*first).from_(source))]

    def step(columns: dict[str, exp.Expr]) -> None:
        previous = ctes[-1][0]
        select = exp.select(
            exp.Star(), *(exp.alias_(e, n, quoted=True) for n, e in columns.items())
        )
        ctes.append((f"{prefix}{len(ctes)}", select.from_(previous)))
        for name, expression in columns.items():
            names[name] = exp.column(name, quoted=True)
            if not t.may_be_null(expression):
                t.present.add(name)

    for kind, name in service.steps:
        if kind == "variable":
            step({name: t.sql(service.expressions[name].tree)})
        else:
            step(_table_sql(service.tables[name], t))
    conditions = {
        c.id: t.sql(service.expressions[c.id].tree) for c in service.definition.eligibility
    }
    step(conditions)
    eligible = exp.and_(*(names[c].copy() for c in conditions))
    step({"_eligible": eligible})
    e = names["_eligible"]
    amount_now = t.sql(service.amount.tree)
    step({"_amount": _case((t.is_null(e), exp.null()), (e.copy(), amount_now), default=_lit(0.0))})
    a = names["_amount"]
    undetermined = _or(t.is_null(e), _and(e.copy(), t.is_null(a)))
    final: dict[str, exp.Expr] = {
        "outcome": _case(
            (undetermined, exp.Literal.string("undetermined")),
            (e.copy(), exp.Literal.string("eligible")),
            default=exp.Literal.string("ineligible"),
        ),
        "amount": _case((undetermined.copy(), exp.null()), default=a.copy()),
        # The outcome as its index in OUTCOMES: a population run hands this over in
        # half the time of the text (`population.evaluate` makes it a dictionary).
        "_outcome": exp.cast(
            _case(
                (undetermined.copy(), _lit(OUTCOMES.index("undetermined"))),
                (e.copy(), _lit(OUTCOMES.index("eligible"))),
                default=_lit(OUTCOMES.index("ineligible")),
            ),
            "TINYINT",
        ),
    }
    if service.duration is not None:
        final["duration"] = _case(
            (_and(e.copy(), exp.Not(this=t.is_null(a))), t.sql(service.duration.tree))
        )
    else:
        final["duration"] = exp.cast(exp.null(), "DOUBLE")
    step(final)
    query = exp.select(exp.Star()).from_(ctes[-1][0])
    for name, select in ctes:
        query = query.with_(name, as_=select)
    return query


def to_sql(query: exp.Expr, dialect: str = DIALECT) -> str:
    return query.sql(dialect=dialect)
