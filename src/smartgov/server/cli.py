"""`smartgov serve`."""

from __future__ import annotations

import ipaddress

import typer

from smartgov.core.commands import fail, settings_or_exit
from smartgov.core.settings import PLACEHOLDER_SECRET, ConfigError


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Server processes; more than one uses more cores."
    ),
) -> None:
    """Serve the web pages and the JSON API."""
    import uvicorn

    from smartgov.server.app import create_app

    settings = settings_or_exit()
    if not _loopback(host) and settings.secret_key.get_secret_value() == PLACEHOLDER_SECRET:
        # Anyone who knows the placeholder (it is in the source) could sign a session
        # cookie for any account: fine on this machine alone, never on a network.
        fail(
            f"refusing to listen on {host} with the placeholder secret key: set "
            "SMARTGOV_SECRET_KEY to a random value of at least 32 characters, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"`, or serve '
            "on 127.0.0.1"
        )
    try:  # a setting that names nothing plugged in stops here with one line
        app = create_app(settings)
    except ConfigError as exc:
        fail(str(exc))
    typer.echo(f"smartgov on http://{host}:{port}  (API docs at /docs)")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    else:  # each process builds its own app from the same environment
        uvicorn.run(
            "smartgov.server.app:app_from_environment", factory=True, host=host, port=port,
            workers=workers, log_level="warning",
        )  # fmt: skip
