"""Running the YAML test cases that sit beside each service (`tests.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartgov.core.errors import Invalid
from smartgov.rules.compiled import Service
from smartgov.rules.definition import CaseTest
from smartgov.rules.evaluate import Decision, decide

#: What a test's `output` may name besides the service's own variables.
DECISION_FIELDS = ("outcome", "amount", "duration", "missing")


@dataclass(frozen=True)
class CaseResult:
    service: str
    name: str
    file: str
    line: int
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        text = f"{mark} {self.service}: {self.name}"
        return text + "".join(f"\n       {self.file}:{self.line}: {f}" for f in self.failures)


def run_tests(service: Service) -> list[CaseResult]:
    results = []
    source = service.tests_source
    for index, case in enumerate(service.tests):
        line = source.line((index,)) if source else 1
        file = source.file if source else "tests.yaml"
        results.append(CaseResult(service.id, case.name, file, line, _run(service, case)))
    return results


def _run(service: Service, case: CaseTest) -> tuple[str, ...]:
    try:
        decision = decide(service, case.input, on=case.date)
    except Invalid as error:
        return tuple(f"{e.field}: {e.message}" for e in error.fields)
    failures = []
    for key, expected in case.output.items():
        found, known = _actual(decision, key)
        if not known:
            failures.append(f"`{key}` is neither a decision field nor a name of the service")
        elif not _same(found, expected, case.margin):
            failures.append(f"{key}: expected {expected!r}, got {found!r}")
    return tuple(failures)


def _actual(decision: Decision, key: str) -> tuple[Any, bool]:
    if key in DECISION_FIELDS:
        value = getattr(decision, key)
        return (sorted(value) if key == "missing" else value), True
    if key in decision.values:
        return decision.values[key], True
    return None, False


def _same(found: Any, expected: Any, margin: float) -> bool:
    if isinstance(expected, list):
        return isinstance(found, list) and sorted(found) == sorted(expected)
    numeric = (int, float)
    if isinstance(expected, numeric) and not isinstance(expected, bool):
        return (
            isinstance(found, numeric)
            and not isinstance(found, bool)
            and abs(found - expected) <= margin
        )
    return bool(found == expected and type(found) is type(expected))
