"""The bot's HTTP side, one ASGI application served by uvicorn inside the bot's own event loop:
the Zalo webhook (when Zalo is configured) and a health check for the reverse proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.runtime.app import Assembly


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the bot catches SIGTERM and stops it in order."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def http_app(assembly: Assembly) -> Starlette:
    routes = [Route("/healthz", _health(assembly), methods=["GET"])]
    if assembly.zalo is not None:
        routes.append(Route(assembly.settings.zalo_webhook_path, assembly.zalo.webhook.handle, methods=["POST"]))
    return Starlette(routes=routes)


def _health(assembly: Assembly):  # type: ignore[no-untyped-def]
    async def health(request: Request) -> JSONResponse:
        def database_ok() -> bool:
            with assembly.desk.turns.db.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True

        try:
            ok = await asyncio.to_thread(database_ok)
        except Exception:  # noqa: BLE001 - any database failure means unhealthy
            ok = False
        return JSONResponse({"database": ok}, status_code=200 if ok else 503)

    return health


def http_server(assembly: Assembly) -> EmbeddedServer:
    host, port = assembly.settings.listen_address
    config = uvicorn.Config(http_app(assembly), host=host, port=port, log_level="warning", lifespan="off",
                            access_log=False, log_config=None)  # the bot's own logging (text or JSON)
    return EmbeddedServer(config)
