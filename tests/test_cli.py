from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartgov.ledger.keys import generate

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def smartgov(*args: str, env: dict[str, str] | None = None, data: Path) -> Ran:
    """A command run in this process with Typer's runner (a second each saved against a
    new interpreter), its settings from what the test gives and nothing else."""
    from smartgov.cli import app

    environment: dict[str, str | None] = {k: None for k in os.environ if k.startswith("SMARTGOV_")}
    environment.update({"SMARTGOV_DATA_DIR": str(data), **(env or {})})
    result = CliRunner().invoke(app, list(args), env=environment)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\n{type(result.exception).__name__}: {result.exception}"  # a crash
    return Ran(result.exit_code, result.stdout, stderr)


def smartgov_process(
    *args: str, env: dict[str, str] | None = None, data: Path
) -> subprocess.CompletedProcess[str]:
    """The same as a person runs it (`python -m smartgov`): for what only a real process
    shows, such as a traceback that must not be printed."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMARTGOV_")}
    environment.update({"SMARTGOV_DATA_DIR": str(data), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "smartgov", *args], capture_output=True, text=True,
        env=environment, check=False, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


def test_it_lists_every_command_in_help(data: Path) -> None:
    out = smartgov_process("--help", data=data).stdout
    for command in ("serve", "check", "demo", "db", "users"):
        assert command in out


def test_it_builds_a_city_and_demo_accounts_end_to_end(tmp_path: Path) -> None:
    data = tmp_path  # its own: it expects registries that are empty when it starts
    assert smartgov("db", "upgrade", data=data).returncode == 0
    made = smartgov("demo", "city", "--people", "300", "--enterprises", "20", data=data)
    assert made.returncode == 0, made.stderr
    assert "300 people" in made.stdout
    again = smartgov("demo", "city", "--people", "300", data=data)
    assert again.returncode == 1 and "--replace" in again.stderr
    kept = smartgov("demo", "city", "--if-empty", data=data)
    assert kept.returncode == 0 and "kept" in kept.stdout
    accounts = smartgov("demo", "accounts", data=data)
    assert accounts.returncode == 0 and "smartgov-demo" in accounts.stdout
    assert "reviewer" in smartgov("users", "list", data=data).stdout


def test_it_explains_bad_account_input_and_exits_non_zero(data: Path) -> None:
    smartgov("db", "upgrade", data=data)
    result = smartgov(
        "users", "create", "X", "--role", "reviewer",
        env={"SMARTGOV_NEW_PASSWORD": "short"}, data=data,
    )  # fmt: skip
    assert result.returncode == 1
    assert "username:" in result.stderr and "password:" in result.stderr
    assert "department:" in result.stderr


def test_it_stops_on_a_bad_setting_with_one_clear_line(data: Path) -> None:
    result = smartgov_process("check", env={"SMARTGOV_DATABASE_URL": "oracle://x"}, data=data)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("invalid setting SMARTGOV_DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_it_stops_on_registries_that_do_not_plug_in(data: Path) -> None:
    result = smartgov_process("check", env={"SMARTGOV_REGISTRIES": "nowhere:CITY"}, data=data)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("invalid setting SMARTGOV_REGISTRIES: 'nowhere:CITY'")
    assert "Traceback" not in result.stderr


def test_an_unregistered_notification_channel_is_named_not_ignored(data: Path) -> None:
    bad = {"SMARTGOV_NOTIFICATION_CHANNEL": "pigeon"}
    assert smartgov("db", "upgrade", data=data).returncode == 0
    checked = smartgov("check", env=bad, data=data)
    assert checked.returncode != 0 and "SG010" in checked.stdout
    assert "'pigeon' (registered: console, email)" in checked.stdout
    worker = smartgov("worker", env=bad, data=data)
    assert worker.returncode == 1 and "SMARTGOV_NOTIFICATION_CHANNEL" in worker.stderr
    served = smartgov("serve", "--port", "1", env=bad, data=data)
    assert served.returncode == 1 and "no notification channel" in served.stderr


#: What production needs to start at all: a real secret and a ledger key.
PRODUCTION = {
    "SMARTGOV_ENVIRONMENT": "production",
    "SMARTGOV_SECRET_KEY": "k" * 40,
    "SMARTGOV_LEDGER_KEY": generate("city.example/ledger"),
}


def test_it_refuses_demo_accounts_in_production(data: Path) -> None:
    result = smartgov("demo", "accounts", env=PRODUCTION, data=data)
    assert result.returncode == 1 and "production" in result.stderr


def test_it_prints_coded_findings_in_check(data: Path) -> None:
    smartgov("db", "upgrade", data=data)
    result = smartgov("check", data=data)
    assert "SG001 warning" in result.stdout  # the placeholder secret in development
    production = smartgov("check", env=PRODUCTION, data=data)
    assert "SG002 warning" in production.stdout


def test_serve_refuses_the_placeholder_secret_off_loopback(data: Path) -> None:
    """Finding 11: a cookie signed with the placeholder opened any account; served on a
    network with it, anyone who read the source could sign one."""
    refused = smartgov_process("serve", "--host", "0.0.0.0", "--port", "8999", data=data)  # noqa: S104
    assert refused.returncode == 1
    assert "placeholder secret key" in refused.stderr and "SMARTGOV_SECRET_KEY" in refused.stderr


def test_an_operator_disables_revokes_and_resets_an_account(data: Path) -> None:
    smartgov("db", "upgrade", data=data)
    made = smartgov("users", "create", "leaver", "--role", "analyst",
                    env={"SMARTGOV_NEW_PASSWORD": "long-enough-pass"}, data=data)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert smartgov("users", "token", "leaver", data=data).stdout.startswith("sg_")
    revoked = smartgov("users", "revoke", "leaver", data=data)
    assert revoked.returncode == 0 and "ended 1 sessions and tokens" in revoked.stdout
    assert smartgov("users", "disable", "leaver", data=data).stdout.strip() == "disabled leaver"
    assert smartgov("users", "enable", "leaver", data=data).stdout.strip() == "enabled leaver"
    short = smartgov(
        "users", "password", "leaver", env={"SMARTGOV_NEW_PASSWORD": "short"}, data=data
    )
    assert short.returncode == 1 and "new:" in short.stderr
    reset = smartgov(
        "users", "password", "leaver", env={"SMARTGOV_NEW_PASSWORD": "another-long-one"}, data=data
    )
    assert reset.returncode == 0 and "sessions and tokens ended" in reset.stdout
    missing = smartgov("users", "disable", "nobody", data=data)
    assert missing.returncode == 1 and "no account named" in missing.stderr


def test_service_needs_become_requests_a_keeping_officer_decides(data: Path) -> None:
    smartgov("db", "upgrade", data=data)
    smartgov("demo", "city", "--people", "300", "--enterprises", "20", "--if-empty", data=data)
    smartgov("demo", "accounts", data=data)
    synced = smartgov("rules", "sync-grants", data=data)
    assert synced.returncode == 0, synced.stderr
    assert "grant requests made" in synced.stdout
    pending = smartgov("exchange", "requests", data=data).stdout.splitlines()
    police = next(line for line in pending if "public_security.people" in line)
    tax = next(line for line in pending if "taxation.households" in line)
    wrong = smartgov("exchange", "approve", tax.split()[0], "--officer", "officer",
                     "--expires", "2099-01-01", "--review", "2099-01-01", data=data)  # fmt: skip
    assert wrong.returncode == 1 and "Only an officer of the department" in wrong.stderr
    made = smartgov("exchange", "approve", police.split()[0], "--officer", "officer",
                    "--expires", "2099-01-01", "--review", "2098-06-01", data=data)  # fmt: skip
    assert made.returncode == 0 and made.stdout.startswith("grant ")
    demo = smartgov("demo", "approve-requests", data=data)
    assert "requests approved as the demo city's departments" in demo.stdout
    assert smartgov("exchange", "requests", data=data).stdout.strip() == ""
    production = smartgov("demo", "approve-requests", data=data,
                          env={"SMARTGOV_ENVIRONMENT": "production",
                               "SMARTGOV_SECRET_KEY": "p" * 40,
                               "SMARTGOV_LEDGER_KEY": generate("city.example/ledger")})  # fmt: skip
    assert production.returncode == 1


def test_help_loads_none_of_the_heavy_libraries() -> None:
    """`smartgov --help` stays quick (0.33 s here, measured; not timed in a test): the
    commands' modules, and the database migrations, argon2, Arrow, NumPy, DuckDB,
    scikit-learn, matplotlib and OpenDP behind them, load when a command runs."""
    # The commands' own modules are named up front but lazy (core.commands.lazy):
    # were one run, the libraries below would be loaded with it.
    heavy = ["alembic", "argon2", "pyarrow", "numpy", "duckdb", "sklearn", "matplotlib", "opendp"]
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from smartgov.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_demo_accounts_include_residents_who_qualify_for_a_service(tmp_path: Path) -> None:
    """Issue 16: the demo citizen qualified for nothing, so a newcomer never saw an
    approval. The table names who qualifies for what, with a resident ID to try."""
    assert smartgov("db", "upgrade", data=tmp_path).returncode == 0
    city = smartgov("demo", "city", "--people", "3000", "--enterprises", "100", data=tmp_path)
    assert city.returncode == 0, city.stderr
    made = smartgov("demo", "accounts", data=tmp_path)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert any(line.split()[:2] == ["username", "role"] for line in lines)  # a header row
    wanted = {"elder": "Old-age allowance", "jobseeker": "Unemployment insurance benefit",
              "family": "Minimum living allowance"}  # fmt: skip
    for name, service in wanted.items():
        [line] = [row for row in lines if row.split()[:1] == [name]]
        assert service in line and len(line.split()[2]) == 18  # the resident ID
