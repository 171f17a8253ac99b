"""Deciding one case: facts in, outcome with its full trace out.

Each service is compiled once per parameter epoch into a plain Python function (see
`pycode.py`) that computes every variable, table and condition and returns them all:
the values are the trace, so keeping it costs nothing extra."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

from smartgov.core.errors import FieldError, Invalid
from smartgov.core.i18n import N_
from smartgov.rules.compiled import PYTHON_TYPES, Service, TableRule
from smartgov.rules.definition import Scalar
from smartgov.rules.pycode import Emitter, helpers, is_literal

Outcome = Literal["eligible", "ineligible", "undetermined"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
NOT_IN_FORCE = N_("The service is not in force on that day.")
TYPE_MESSAGES = {
    "integer": N_("Enter a whole number."),
    "number": N_("Enter a number."),
    "boolean": N_("Enter true or false."),
    "text": N_("Enter text."),
    "date": N_("Enter a date as YYYY-MM-DD."),
}


@dataclass(frozen=True)
class Decision:
    service: Service
    on: date
    outcome: Outcome
    amount: float | None  # per period; 0 when ineligible, None when undetermined
    duration: float | None
    missing: tuple[str, ...]  # inputs that left the outcome undetermined
    values: dict[str, Any]  # every input, variable, table output and condition
    rows: dict[str, int | list[int] | None]  # table -> row that fired; -1 default
    parameters: Mapping[str, tuple[Scalar, date]]  # value and the day it took effect
    #: What the amount would be were the case eligible (the rules' formula on its facts;
    #: None where they do not give one): a reviewer approving a refused case starts here.
    proposed_amount: float | None = None
    maximum: float | None = None  # the most a reviewer may grant per period, if bounded

    @property
    def failed(self) -> list[str]:
        """Conditions that are false (why a case is ineligible)."""
        return [c.id for c in self.service.definition.eligibility if self.values[c.id] is False]

    @property
    def unknown(self) -> list[str]:
        return [c.id for c in self.service.definition.eligibility if self.values[c.id] is None]


def coerce_facts(service: Service, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert facts (JSON values allowed) to the inputs' types; absent is None."""
    errors: list[FieldError] = []
    unknown = [key for key in facts if key not in service.definition.inputs]
    for key in unknown:
        errors.append(FieldError(f"facts.{key}", N_("This is not an input of the service.")))
    result: dict[str, Any] = {}
    for name in service.definition.inputs:
        value = facts.get(name)
        symbol = service.symbols[name]
        if value is not None:
            value, problem = _convert(value, symbol.type)
            if problem is None and symbol.type == "text":
                allowed = _allowed_values(service, name)
                if allowed and value not in allowed:
                    problem = f"Choose one of: {', '.join(allowed)}"
            if problem is not None:
                errors.append(FieldError.literal(f"facts.{name}", problem))
        result[name] = value
    if errors:
        raise Invalid(N_("Some facts are not valid."), errors)
    return result


def _allowed_values(service: Service, name: str) -> tuple[str, ...]:
    return service.codes.get(name, ())


def _convert(value: Any, kind: str) -> tuple[Any, str | None]:
    if kind == "date":
        if isinstance(value, date):
            return value, None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value), None
            except ValueError:
                pass
        return value, N_("Enter a date as YYYY-MM-DD.")
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), None
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value), None
    expected = PYTHON_TYPES[kind]
    if isinstance(value, expected) and (kind == "boolean" or not isinstance(value, bool)):
        return value, None
    return value, TYPE_MESSAGES[kind]


def decide(service: Service, facts: Mapping[str, Any], *, on: date) -> Decision:
    """Decide one case on day ``on``; facts are checked first (`Invalid` if wrong)."""
    if not service.is_effective(on):
        raise Invalid(
            N_("The service is not in force on that day."), [FieldError("on", NOT_IN_FORCE)]
        )
    typed = coerce_facts(service, facts)
    return run(service, typed, on=on)


def run(service: Service, typed: Mapping[str, Any], *, on: date) -> Decision:
    """Decide with facts already typed (what population code and tests compare against)."""
    epoch = service.epoch(on)
    function, parameters = service.compiled(epoch, lambda: _compile(service, on))
    values, rows, eligible, amount, duration, proposed, maximum = function(typed, on)
    if eligible is None or (eligible and amount is None):
        outcome: Outcome = "undetermined"
        target = service.depends["eligible"] if eligible is None else service.depends["amount"]
        missing = tuple(n for n in service.inputs if n in target and typed.get(n) is None)
        amount = duration = None
    elif eligible:
        outcome, missing = "eligible", ()
    else:
        outcome, missing, amount = "ineligible", (), 0.0
        duration = None
    return Decision(service, on, outcome, amount, duration, missing, values, rows, parameters,
                    _number(amount if eligible else proposed), _number(maximum))  # fmt: skip


def _number(value: Any) -> float | None:  # noqa: ANN401 - what a generated expression gives
    return None if value is None else float(value)


def _compile(service: Service, on: date) -> tuple[Any, Mapping[str, tuple[Scalar, date]]]:
    """Generate and compile the decision function for the epoch that contains ``on``."""
    parameters = service.parameters_on(service.epochs[service.epoch(on)])
    em = Emitter()
    names: dict[str, str] = {"decision_date": "s_decision_date"}
    for name, (value, _since) in parameters.items():
        names[name] = em.constant(value)
    for name in service.inputs:
        names[name] = f"s_{name}"
        em.emit(f"s_{name} = facts.get({name!r})", 1)
    rows_out: list[str] = []
    for kind, name in service.steps:
        if kind == "variable":
            atom = em.expr(service.expressions[name].tree, names, 1)
            em.emit(f"s_{name} = {atom}", 1)
            names[name] = f"s_{name}"
        else:
            _emit_table(em, service.tables[name], names)
            rows_out.append(name)
    conditions = [c.id for c in service.definition.eligibility]
    for cid in conditions:
        atom = em.expr(service.expressions[cid].tree, names, 1)
        em.emit(f"s_{cid} = {atom}", 1)
        names[cid] = f"s_{cid}"
    flags = ", ".join(f"s_{c}" for c in conditions)
    em.emit(f"_all = ({flags},)", 1)
    em.emit("_e = False if False in _all else (None if None in _all else True)", 1)
    em.emit("_amount = _duration = _proposed = _maximum = None", 1)
    em.emit("if _e:", 1)
    em.emit(f"_amount = {em.expr(service.amount.tree, names, 2)}", 2)
    if service.duration is not None:
        em.emit(f"_duration = {em.expr(service.duration.tree, names, 2)}", 2)
    # Where the case is not eligible, the formula on its facts is only a proposal for a
    # reviewer: facts that break it (a zero household) leave no proposal, not an error.
    em.emit("else:", 1)
    em.emit("try:", 2)
    em.emit(f"_proposed = {em.expr(service.amount.tree, names, 3)}", 3)
    em.emit("except (ArithmeticError, TypeError, ValueError):", 2)
    em.emit("pass", 3)
    if service.maximum is not None:
        em.emit(f"_maximum = {em.expr(service.maximum.tree, names, 1)}", 1)
    shown = [n for n, s in service.symbols.items() if s.kind not in ("parameter", "builtin")]
    values = ", ".join(f"{n!r}: {names[n]}" for n in shown)
    rows = ", ".join(f"{t!r}: _r_{t}" for t in rows_out)
    em.emit(f"return {{{values}}}, {{{rows}}}, _e, _amount, _duration, _proposed, _maximum", 1)
    code = "def _decide(facts, s_decision_date):\n" + "\n".join(em.lines) + "\n"
    namespace: dict[str, Any] = {**helpers(), **em.constants}
    exec(compile(code, f"<rules:{service.id}>", "exec"), namespace)  # noqa: S102 - generated from checked trees only
    return namespace["_decide"], parameters


def _emit_table(em: Emitter, table: TableRule, names: dict[str, str]) -> None:
    outs = list(table.definition.outputs)
    row_var = f"_r_{table.name}"
    for out in outs:
        names[out] = f"s_{out}"
    em.emit(" = ".join([*(f"s_{o}" for o in outs), row_var, "None"]), 1)

    def set_outputs(values: Mapping[str, Any], depth: int, row: int) -> None:
        for out in outs:
            em.emit(f"s_{out} = {em.expr(values[out].tree, names, depth)}", depth)
        em.emit(f"{row_var} = {row}", depth)

    hit = table.definition.hit
    if hit == "first":
        depth = 1
        for index, condition in enumerate(table.conditions):
            atom = em.expr(condition.tree, names, depth)
            em.emit(f"if {atom} is None:", depth)
            em.emit("pass", depth + 1)
            em.emit(f"elif {atom}:", depth)
            set_outputs(table.outputs[index], depth + 1, index)
            em.emit("else:", depth)
            depth += 1
        if table.default is not None:
            set_outputs(table.default, depth, -1)
        else:
            em.emit("pass", depth)
        return
    atoms = [em.expr(c.tree, names, 1) for c in table.conditions]
    if hit == "unique":
        for index, atom in enumerate(atoms):
            em.emit(f"{'if' if index == 0 else 'elif'} {atom} is True:", 1)
            set_outputs(table.outputs[index], 2, index)
        em.emit(f"elif {' or '.join(f'{a} is None' for a in atoms)}:", 1)
        em.emit("pass", 2)
        em.emit("else:", 1)
        if table.default is not None:
            set_outputs(table.default, 2, -1)
        else:
            em.emit("pass", 2)
        return
    # collect, aggregate sum: unknown if any condition is unknown.
    em.emit(f"if not ({' or '.join(f'{a} is None' for a in atoms)}):", 1)
    em.emit(f"{row_var} = []", 2)
    for out in outs:
        em.emit(f"s_{out} = 0", 2)
    for index, atom in enumerate(atoms):
        em.emit(f"if {atom}:", 2)
        em.emit(f"{row_var}.append({index})", 3)
        for out in outs:
            value = em.expr(table.outputs[index][out].tree, names, 3)
            guard = " or ".join(f"{a} is None" for a in (f"s_{out}", value) if not is_literal(a))
            em.emit(f"s_{out} = None if {guard} else s_{out} + {value}", 3)
    if table.default is not None:
        em.emit(f"if not {row_var}:", 2)
        set_outputs(table.default, 3, -1)
