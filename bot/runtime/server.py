"""The bot's HTTP side, one ASGI application served by uvicorn inside the bot's own event loop:
the webhooks (Telegram's in webhook mode, Zalo's when Zalo is configured), a health check for
the reverse proxy and the monitoring, and the Prometheus metrics of this process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.runtime.app import Assembly
from bot.runtime.webhook import PATH as TELEGRAM_WEBHOOK_PATH

Endpoint = Callable[[Request], Awaitable[Response]]


class EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the bot catches SIGTERM and stops it in order."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def http_app(assembly: Assembly) -> Starlette:
    routes = [Route("/healthz", health_endpoint(assembly), methods=["GET"]),
              Route("/metrics", metrics_endpoint(assembly), methods=["GET"])]
    if assembly.webhook is not None:
        routes.append(Route(TELEGRAM_WEBHOOK_PATH, assembly.webhook.handle, methods=["POST"]))
    if assembly.zalo is not None:
        routes.append(Route(assembly.settings.zalo_webhook_path, assembly.zalo.webhook.handle, methods=["POST"]))
    return Starlette(routes=routes)


def health_endpoint(assembly: Assembly) -> Endpoint:
    async def health(request: Request) -> Response:
        """Whether the database answers (503 when not), the outbox's backlog and the age of its
        oldest message, how long ago this process last handled an update, and whether it leads."""
        figures = await asyncio.to_thread(assembly.metrics.health)
        body = {**figures.as_json(assembly.metrics.clock()), "leader": assembly.leadership.leading}
        return JSONResponse(body, status_code=200 if figures.database else 503)

    return health


def metrics_endpoint(assembly: Assembly) -> Endpoint:
    async def metrics(request: Request) -> Response:
        return Response(await asyncio.to_thread(assembly.metrics.render), media_type=CONTENT_TYPE_LATEST)

    return metrics


def http_server(assembly: Assembly) -> EmbeddedServer:
    host, port = assembly.settings.listen_address
    config = uvicorn.Config(http_app(assembly), host=host, port=port, log_level="warning", lifespan="off",
                            access_log=False, log_config=None)  # the bot's own logging (text or JSON)
    return EmbeddedServer(config)
