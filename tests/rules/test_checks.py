"""Bad service files are refused at load time with the file, the line and the reason,
and a reload that fails keeps the working version."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from smartgov.core.errors import Invalid
from smartgov.rules.evaluate import decide
from smartgov.rules.loader import Catalogue, load_service
from smartgov.rules.reforms import apply, load_reform
from smartgov.rules.source import LoadError
from tests.rules.conftest import SERVICES

OLD_AGE = (SERVICES / "old-age-allowance" / "service.yaml").read_text(encoding="utf-8")


def write_service(root: Path, text: str, name: str = "old-age-allowance") -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service.yaml").write_text(text, encoding="utf-8")
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(LoadError) as caught:
        load_service(folder)
    return [str(p) for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_it_names_the_line_of_a_yaml_syntax_error(tmp_path: Path) -> None:
    text = OLD_AGE.replace("unit: person", "unit: [person")
    (problem,) = problems_of(write_service(tmp_path, text))
    assert "/old-age-allowance/service.yaml:10: YAML syntax" in problem


def test_it_refuses_an_unknown_field_and_lists_the_known_ones(tmp_path: Path) -> None:
    text = OLD_AGE.replace("    expr: YEARS_BETWEEN", "    exprs: YEARS_BETWEEN")
    problems = problems_of(write_service(tmp_path, text))
    line = line_of(text, "exprs:")
    expected = (
        f"service.yaml:{line}: variables.age.exprs: unknown field `exprs`; "
        "expected one of: expr, label, reference"
    )
    assert any(p.endswith(expected) for p in problems)


def test_it_refuses_expressions_outside_the_language(tmp_path: Path) -> None:
    text = OLD_AGE.replace(
        "YEARS_BETWEEN(birth_date, decision_date)", "(SELECT max(age) FROM people)"
    )
    (problem,) = problems_of(write_service(tmp_path, text))
    assert f":{line_of(text, 'SELECT max')}: variables.age.expr:" in problem
    assert "not part of the rule language" in problem


def test_it_refuses_type_errors_and_unknown_names(tmp_path: Path) -> None:
    text = OLD_AGE.replace(
        "when: age >= minimum_age\n    reference: elderly-law-33",
        "when: age + 'eighty'\n    reference: elderly-law-33",
    )
    text = text.replace("  amount: band_amount", "  amount: band_amout")
    problems = "\n".join(problems_of(write_service(tmp_path, text)))
    assert "the right side of `age + 'eighty'` must be integer or number, not text" in problems
    assert "unknown name `band_amout`; did you mean `band_amount`?" in problems


def test_a_maximum_reads_parameters_only_and_is_a_number(tmp_path: Path) -> None:
    """A reviewer's bound is the same for every case: known before any data is read."""
    assert "  maximum: amount_100\n" in OLD_AGE
    reads_input = OLD_AGE.replace("  maximum: amount_100", "  maximum: amount_100 + age")
    (problem,) = problems_of(write_service(tmp_path, reads_input))
    assert "outcome.maximum: the maximum reads parameters only, not age" in problem
    text = OLD_AGE.replace("  maximum: amount_100", "  maximum: amount_100 > 0")
    (problem,) = problems_of(write_service(tmp_path / "typed", text))
    assert "outcome.maximum" in problem


def test_it_finds_cycles(tmp_path: Path) -> None:
    text = OLD_AGE.replace("expr: YEARS_BETWEEN(birth_date, decision_date)", "expr: band_amount")
    (problem,) = problems_of(write_service(tmp_path, text))
    assert "circular definition" in problem and "age" in problem and "age_band" in problem


def test_it_finds_gaps_overlaps_and_unreachable_rows(tmp_path: Path) -> None:
    gap = OLD_AGE.replace("    default: {band_amount: 0}\n", "")
    (problem,) = problems_of(write_service(tmp_path, gap))
    assert "tables.age_band: no row matches when age = 79" in problem
    unreachable = OLD_AGE.replace("      - when: age >= 90\n", "      - when: age >= 101\n")
    (problem,) = problems_of(write_service(tmp_path, unreachable))
    assert "row 2 is unreachable" in problem
    overlap = OLD_AGE.replace("hit: first", "hit: unique")
    problems = problems_of(write_service(tmp_path, overlap))
    assert any("rows 1 and 2 overlap, for example when age = 100" in p for p in problems)


def test_it_refuses_a_file_whose_id_is_not_its_folder(tmp_path: Path) -> None:
    (problem,) = problems_of(write_service(tmp_path, OLD_AGE, name="elderly"))
    assert "must match its folder name `elderly`" in problem


def test_a_failed_reload_keeps_the_working_version(tmp_path: Path) -> None:
    shutil.copytree(SERVICES / "old-age-allowance", tmp_path / "old-age-allowance")
    catalogue = Catalogue(tmp_path)
    assert catalogue.reload() == {}
    working = catalogue.get("old-age-allowance")
    write_service(tmp_path, OLD_AGE.replace("hit: first", "hit: sometimes"))
    problems = catalogue.reload()
    assert "old-age-allowance" in problems
    assert catalogue.get("old-age-allowance") is working


def test_it_refuses_facts_of_the_wrong_type(tmp_path: Path) -> None:
    service = load_service(SERVICES / "minimum-living-allowance")
    with pytest.raises(Invalid) as caught:
        decide(service, {"size": "three", "income": True, "savings": 10}, on=date(2026, 6, 1))
    fields = {f.field: f.message for f in caught.value.fields}
    assert fields == {"facts.size": "Enter a whole number.", "facts.income": "Enter a number."}


def test_it_refuses_a_reform_of_a_parameter_that_does_not_exist(tmp_path: Path) -> None:
    service = load_service(SERVICES / "minimum-living-allowance")
    path = tmp_path / "reform.yaml"
    path.write_text(
        "name: {zh: 试, en: Try}\nservice: minimum-living-allowance\n"
        "parameters:\n  line: 1300\n  lines: 1400\n",
        encoding="utf-8",
    )
    reform, located = load_reform(path)
    with pytest.raises(LoadError) as caught:
        apply(service, reform, located)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{path}:5: parameters.lines: `lines` is not a parameter")


def test_a_reform_that_opens_a_gap_is_refused(tmp_path: Path) -> None:
    service = load_service(SERVICES / "unemployment-insurance-benefit")
    data = {
        "name": {"zh": "试", "en": "Try"},
        "service": service.id,
        "variables": {},
        "parameters": {"minimum_months": 6},
    }
    from smartgov.rules.reforms import reform_from_data

    reform, located = reform_from_data(data)
    reformed = apply(service, reform, located)  # a default row still covers every case
    assert (
        decide(
            reformed,
            {"employment": "unemployed", "separation_reason": "dismissed", "insurance_months": 8},
            on=date(2026, 6, 1),
        ).outcome
        == "eligible"
    )
