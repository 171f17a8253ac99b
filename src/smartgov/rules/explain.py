"""Plain-language explanations generated from a decision's trace, in zh and en, and the
trace itself laid out for the API: every value, the parameters with their dates, the
row each table fired, and the legal clause behind each."""

from __future__ import annotations

from datetime import date
from typing import Any

from smartgov.core.i18n import translator
from smartgov.exchange.service import unit_fields
from smartgov.rules.compiled import Service
from smartgov.rules.definition import LegalBasis, Text
from smartgov.rules.evaluate import Decision


def pick(text: Text | None, language: str) -> str:
    if text is None:
        return ""
    return text.zh if language.startswith("zh") else text.en


def cite(service: Service, reference: str | None, language: str) -> str:
    ref = service.references.get(reference or "")
    if ref is None:
        return ""
    return f"{pick(ref.title, language)} {pick(ref.article, language)}"


def show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def label(service: Service, name: str, language: str) -> str:
    symbol = service.symbols.get(name)
    text = pick(symbol.label, language) if symbol else ""
    if not text and name in service.definition.inputs:
        field = unit_fields(service.definition.unit).get(name)
        text = translator(language)(field.label) if field else ""
    return text or name


def explanation(decision: Decision, language: str) -> str:
    """The decision in sentences a citizen can read, with the clause behind each."""
    _ = translator(language)
    service = decision.service
    lines = [f"{pick(service.definition.name, language)} · {decision.on.isoformat()}"]
    period = {"month": _("per month"), "year": _("per year"), "once": _("once")}[
        service.definition.outcome.period
    ]
    if decision.outcome == "eligible":
        lines.append(
            _("Eligible: {amount} yuan {period}.").format(
                amount=show(decision.amount), period=period
            )
        )
        if decision.duration is not None:
            lines.append(_("Paid for {n} periods.").format(n=show(decision.duration)))
    elif decision.outcome == "ineligible":
        lines.append(_("Not eligible."))
    else:
        missing = ", ".join(label(service, n, language) for n in decision.missing)
        lines.append(
            _("Cannot be decided yet: this information is missing: {missing}.").format(
                missing=missing or _("a value the rules need")
            )
        )
    lines.append(_("Conditions:"))
    for condition in service.definition.eligibility:
        value = decision.values[condition.id]
        mark = {True: "✓", False: "✗", None: "?"}[value]
        reads = sorted(service.expressions[condition.id].names - {"decision_date"})
        facts = ", ".join(
            f"{label(service, n, language)} = {show(_value(decision, n))}" for n in reads
        )
        lines.append(
            f"  {mark} {pick(condition.label, language)} ({facts}) "
            f"[{cite(service, condition.reference, language)}]"
        )
    for name, row in decision.rows.items():
        table = service.tables[name]
        lines.append("  " + _row_sentence(service, table.name, row, language))
    if decision.outcome == "eligible":
        outcome = service.definition.outcome
        lines.append(
            "  "
            + _("Amount: {amount} [{clause}]").format(
                amount=show(decision.amount), clause=cite(service, outcome.reference, language)
            )
        )
    return "\n".join(lines)


def _value(decision: Decision, name: str) -> Any:
    if name in decision.values:
        return decision.values[name]
    found = decision.parameters.get(name)
    return found[0] if found else None


def _row_sentence(service: Service, name: str, row: Any, language: str) -> str:
    _ = translator(language)
    table = service.tables[name].definition
    title = pick(table.label, language)
    if row is None:
        return _("{table}: could not be worked out").format(table=title)
    rows = row if isinstance(row, list) else [row]
    if not rows:
        return _("{table}: no row applies").format(table=title)
    parts = []
    for index in rows:
        if index == -1:
            parts.append(_("no row applies, the default is used"))
            continue
        spec = table.rows[index]
        note = pick(spec.note, language) or spec.when
        clause = cite(service, spec.reference or table.reference, language)
        parts.append(
            _("row {n} ({note})").format(n=index + 1, note=note)
            + (f" [{clause}]" if clause else "")
        )
    return f"{title}: " + "; ".join(parts)


def trace(decision: Decision, language: str) -> dict[str, Any]:
    """The full trace, JSON-ready."""
    service = decision.service

    def basis(reference: str | None) -> dict[str, Any] | None:
        ref: LegalBasis | None = service.references.get(reference or "")
        if ref is None:
            return None
        return {
            "id": ref.id,
            "title": pick(ref.title, language),
            "article": pick(ref.article, language),
            "url": ref.url,
        }

    values = []
    for name, value in decision.values.items():
        symbol = service.symbols[name]
        expr = service.expressions.get(name)
        values.append(
            {
                "name": name,
                "kind": symbol.kind,
                "label": label(service, name, language),
                "value": value.isoformat() if isinstance(value, date) else value,
                "expression": expr.source if expr else None,
                "legal_basis": basis(symbol.reference),
            }
        )
    parameters = [
        {
            "name": n,
            "label": label(service, n, language),
            "value": v,
            "since": since.isoformat(),
            "unit": service.definition.parameters[n].unit,
            "legal_basis": basis(service.definition.parameters[n].reference),
        }
        for n, (v, since) in decision.parameters.items()
    ]
    tables = []
    for name, row in decision.rows.items():
        table = service.tables[name].definition
        fired = row if isinstance(row, list) else [] if row is None else [row]
        tables.append(
            {
                "name": name,
                "label": pick(table.label, language),
                "hit": table.hit,
                "rows": [
                    {
                        "row": i + 1,
                        "when": table.rows[i].when,
                        "legal_basis": basis(table.rows[i].reference or table.reference),
                    }
                    if i >= 0
                    else {"row": None, "when": "default", "legal_basis": basis(table.reference)}
                    for i in fired
                ],
                "undetermined": row is None,
            }
        )
    return {
        "values": values,
        "parameters": parameters,
        "tables": tables,
        "outcome_basis": basis(service.definition.outcome.reference),
    }
