"""Loading services from their folders and keeping the last good version of each.

A folder holds `service.yaml` (the definition) and `tests.yaml` (its test cases). A
catalogue reloads from disk on request; a service whose new files fail to load keeps
serving its previous version, and the failure is reported, never swallowed."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from smartgov.exchange import service as exchange
from smartgov.rules import tables
from smartgov.rules.compiled import Service, build
from smartgov.rules.definition import CaseTest, ServiceDefinition
from smartgov.rules.source import LoadError, Located, Problem, read, validate

SERVICE_FILE = "service.yaml"
TESTS_FILE = "tests.yaml"


def load_service(folder: Path, *, shown_root: Path | None = None) -> Service:
    """Load, type and check one service folder; LoadError lists every problem."""
    base = shown_root or folder.parent
    file = folder / SERVICE_FILE
    located = read(file, _shown(file, base))
    definition = validate(ServiceDefinition, located)
    if definition.id != folder.name:
        raise LoadError(
            [
                located.problem(
                    ("id",), f"the id `{definition.id}` must match its folder name `{folder.name}`"
                )
            ]
        )
    service = build(definition, located, exchange.unit_fields(definition.unit))
    problems = [p for p in tables.analyse(service) if p.severity == "error"]
    tests_file = folder / TESTS_FILE
    if tests_file.exists():
        service.tests_source, service.tests = _load_tests(tests_file, base, service, problems)
    if problems:
        raise LoadError(problems)
    service.folder = folder
    return service


def _load_tests(
    file: Path, base: Path, service: Service, problems: list[Problem]
) -> tuple[Located, list[CaseTest]]:
    located = read(file, _shown(file, base))
    if not isinstance(located.data, list):
        raise LoadError([located.problem((), "a tests file is a list of test cases")])
    cases = []
    for index, item in enumerate(located.data):
        try:
            case = validate(CaseTest, Located(located.file, item, _sub_lines(located, index)))
        except LoadError as error:
            problems.extend(error.problems)
            continue
        for key in case.input:
            if key not in service.definition.inputs:
                problems.append(
                    located.problem(
                        (index, "input", key), f"`{key}` is not an input of {service.id}"
                    )
                )
        cases.append(case)
    return located, cases


def _sub_lines(located: Located, index: int) -> dict[tuple[str | int, ...], int]:
    return {path[1:]: line for path, line in located.lines.items() if path and path[0] == index} | {
        (): located.line((index,))
    }


def service_folders(root: Path) -> list[Path]:
    """The folders under ``root`` that hold a service definition, by name."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / SERVICE_FILE).is_file())


def _shown(file: Path, base: Path) -> str:
    try:
        return str(file.relative_to(base.parent))
    except ValueError:
        return str(file)


@dataclass
class Catalogue:
    """The services of one folder, reloadable without ever dropping a working version."""

    root: Path
    services: dict[str, Service] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reload(self) -> dict[str, list[Problem]]:
        """Load every folder again; returns the problems of folders that failed."""
        found: dict[str, Service] = {}
        problems: dict[str, list[Problem]] = {}
        folders = service_folders(self.root)
        for folder in folders:
            try:
                found[folder.name] = load_service(folder, shown_root=self.root)
            except LoadError as error:
                problems[folder.name] = error.problems
        with self._lock:
            kept = {k: v for k, v in self.services.items() if k in problems}
            self.services = dict(sorted({**kept, **found}.items()))
            self.problems = problems
        return problems

    def get(self, service_id: str) -> Service | None:
        return self.services.get(service_id)


_catalogues: dict[Path, Catalogue] = {}
_catalogues_lock = threading.Lock()


def catalogue(root: Path) -> Catalogue:
    """The process-wide catalogue of ``root``, loaded on first use."""
    key = root.resolve()
    with _catalogues_lock:
        found = _catalogues.get(key)
        if found is None:
            found = _catalogues[key] = Catalogue(key)
            found.reload()
    return found
