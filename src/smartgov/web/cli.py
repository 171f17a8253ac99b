"""`smartgov serve`."""

from __future__ import annotations

import typer

from smartgov.runtime import settings_or_exit


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Server processes; more than one uses more cores."
    ),
) -> None:
    """Serve the web pages and the JSON API."""
    import uvicorn

    from smartgov.web.app import create_app

    settings = settings_or_exit()
    typer.echo(f"smartgov on http://{host}:{port}  (API docs at /docs)")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    else:  # each process builds its own app from the same environment
        uvicorn.run(
            "smartgov.web.app:app_from_environment", factory=True, host=host, port=port,
            workers=workers, log_level="warning",
        )  # fmt: skip
