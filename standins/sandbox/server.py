"""The sandbox server: one aiohttp app serving both providers plus a control API.

``/digitalocean/v2/...`` emulates DigitalOcean, ``/linode/v4/...`` emulates
Linode, and ``/_sandbox/...`` lets tests, humans or other processes drive it
(faults, virtual time, seeding, request log). Every provider request passes the
middleware in this order: record, fault injection, auth, rate limit, handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from http import HTTPStatus
from typing import Any

from aiohttp import web

from standins.sandbox.catalog import do_seed_image, linode_seed_image
from standins.sandbox.clock import Clock
from standins.sandbox.common import PAGING, TOKEN, ApiError, Paging, RecordedRequest
from standins.sandbox.control import control_routes
from standins.sandbox.digitalocean import DigitalOceanAPI
from standins.sandbox.faults import PROVIDERS, Fault, FaultSet
from standins.sandbox.linode import LinodeAPI
from standins.sandbox.metrics import MetricsAPI
from standins.sandbox.ratelimit import Budget, Verdict
from standins.sandbox.state import DOState, LinodeState

__all__ = [
    "DEFAULT_DO_TOKEN",
    "DEFAULT_LINODE_TOKEN",
    "RecordedRequest",
    "Sandbox",
]

DEFAULT_DO_TOKEN = "sandbox-digitalocean-token"
DEFAULT_LINODE_TOKEN = "sandbox-linode-token"
#: Documented per-token budgets: DigitalOcean 250/min, Linode 800/min.
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "digitalocean": (250, 60.0),
    "linode": (800, 60.0),
}
#: How long a ``timeout`` fault holds the connection (unless the sandbox stops).
TIMEOUT_HOLD_SECONDS = 60.0

_DO_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    401: ("Unauthorized", "Unable to authenticate you"),
    403: ("forbidden", "You do not have access for the attempted action."),
    404: ("not_found", "The resource you were accessing could not be found."),
    409: ("conflict", "The request conflicts with the current state of the resource."),
    422: ("unprocessable_entity", "The request could not be processed."),
    429: ("too_many_requests", "API Rate limit exceeded."),
    500: ("server_error", "Unexpected server-side error"),
}
_LINODE_REASONS: dict[int, str] = {
    401: "Invalid Token",
    403: "Unauthorized",
    404: "Not found",
    429: "Too Many Requests",
}


def error_body(provider: str, status: int) -> dict[str, Any]:
    """The provider's generic error body for ``status`` (used by faults and 401/404/429)."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if provider == "digitalocean":
        if status in _DO_ERRORS:
            error_id, message = _DO_ERRORS[status]
        elif status >= 500:
            error_id = "service_unavailable"
            message = "Service is temporarily unavailable. Please try again later."
        else:
            error_id, message = phrase.lower().replace(" ", "_"), phrase
        return {"id": error_id, "message": message}
    return {"errors": [{"reason": _LINODE_REASONS.get(status, phrase)}]}


def _split(path: str) -> tuple[str, str] | None:
    """(provider, path after the provider prefix) for provider routes, else None."""
    for provider in PROVIDERS:
        prefix = "/" + provider
        if path == prefix or path.startswith(prefix + "/"):
            return provider, path[len(prefix) :] or "/"
    return None


def _native_status(provider: str, status: str) -> str:
    """Accept generic words (running/off/stopped) as well as native statuses."""
    if provider == "digitalocean":
        return {"running": "active", "stopped": "off", "offline": "off"}.get(status, status)
    return {"off": "offline", "active": "running"}.get(status, status)


class Sandbox:
    """A local DigitalOcean + Linode look-alike for demos and offline tests."""

    def __init__(
        self,
        do_token: str = DEFAULT_DO_TOKEN,
        linode_token: str = DEFAULT_LINODE_TOKEN,
        provision_seconds: float = 20.0,
        action_seconds: float = 5.0,
        rate_limit: tuple[int, float] | None = None,
        linode_create_limit: tuple[int, float] | None = (10, 30.0),
    ) -> None:
        self.tokens = {"digitalocean": do_token, "linode": linode_token}
        self.provision_seconds = provision_seconds
        self.action_seconds = action_seconds
        self.rate_limit = rate_limit
        self.linode_create_limit = linode_create_limit
        self.clock = Clock()
        self.faults = FaultSet()
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._stopping: asyncio.Event | None = None
        self._build()
        self.app = self._make_app()

    def _build(self) -> None:
        self.do = DOState(self.clock, self.provision_seconds, self.action_seconds)
        self.linode = LinodeState(self.clock, self.provision_seconds, self.action_seconds)
        self.budgets = {
            p: Budget(self.clock, *(self.rate_limit or DEFAULT_LIMITS[p])) for p in PROVIDERS
        }
        create = self.linode_create_limit
        self.create_budget = Budget(self.clock, *create) if create else None

    def reset(self) -> None:
        """Back to the initial state: catalogues, no servers, faults or request log."""
        self.faults.clear()
        self.requests.clear()
        self.set_paging()
        self._build()
        self._do_api.state = self.do
        self._linode_api.state = self.linode
        self._linode_api.create_budget = self.create_budget

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 picks a free port); see :attr:`url`."""
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        self._stopping = asyncio.Event()
        runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        shown = f"[{host}]" if ":" in host else host
        self._url = f"http://{shown}:{bound_port}"

    async def stop(self) -> None:
        """Stop listening; connections held by ``timeout`` faults are released."""
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        self._url = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("sandbox is not running; await start() first")
        return self._url

    @property
    def digitalocean_url(self) -> str:
        """Base URL for the DigitalOcean client (it appends ``/v2/...``)."""
        return self.url + "/digitalocean"

    @property
    def linode_url(self) -> str:
        """Base URL for the Linode client (it appends ``/v4/...``)."""
        return self.url + "/linode"

    # ------------------------------------------------------------------ driving
    def advance(self, seconds: float) -> None:
        """Move virtual time forward; lifecycles and rate-limit windows follow."""
        self.clock.advance(seconds)

    def inject(
        self,
        provider: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        count: int = 1,
        latency: float = 0.0,
        timeout: bool = False,
        lose_response: bool = False,
        body: str | None = None,
    ) -> Fault:
        """Make the next ``count`` matching calls misbehave (see :class:`Fault`)."""
        fault = Fault(
            body=body,
            provider=provider,
            method=method,
            path=path,
            status=status,
            count=count,
            latency=latency,
            timeout=timeout,
            lose_response=lose_response,
        )
        self.faults.add(fault)
        return fault

    def set_paging(self, *, max_page_size: int | None = None, overlap: int = 0) -> None:
        """Untidy pagination (see :class:`~standins.sandbox.common.Paging`)."""
        self.paging.max_page_size = max_page_size
        self.paging.overlap = overlap

    def clear_faults(self) -> None:
        self.faults.clear()

    def request_count(
        self, provider: str, method: str | None = None, path_prefix: str | None = None
    ) -> int:
        """How many calls reached ``provider`` (optionally by method and path prefix)."""
        return sum(
            1
            for r in self.requests
            if r.provider == provider
            and (method is None or r.method == method.upper())
            and (path_prefix is None or r.path.startswith(path_prefix))
        )

    def seed_instances(
        self,
        provider: str,
        n: int,
        *,
        tag: str | None = None,
        status: str = "running",
        monitoring: bool = True,
    ) -> list[str]:
        """Create ``n`` ready servers at once (no lifecycle); their ids.
        ``monitoring=False``: droplets without DigitalOcean's metrics agent."""
        native = _native_status(provider, status)
        if provider == "digitalocean":
            seeded = self.do.seed(n, tag=tag, status=native, monitoring=monitoring)
            return [str(i) for i in seeded]
        if provider == "linode":
            return [str(i) for i in self.linode.seed(n, tag=tag, status=native)]
        raise ValueError(f"unknown provider {provider!r}")

    def seed_images(self, provider: str, n: int) -> list[str]:
        """Add ``n`` extra public distribution images to the catalogue; their ids."""
        ids = []
        if provider == "digitalocean":
            cat = self.do.catalog
            for _ in range(n):
                image = do_seed_image(cat.next_image_id, cat.next_image_id - 170_000_000 + 1)
                cat.next_image_id += 1
                cat.images.append(image)
                ids.append(str(image["id"]))
        elif provider == "linode":
            li_cat = self.linode.catalog
            for _ in range(n):
                li_image = linode_seed_image(li_cat.next_image_index)
                li_cat.next_image_index += 1
                li_cat.images.append(li_image)
                ids.append(str(li_image["id"]))
        else:
            raise ValueError(f"unknown provider {provider!r}")
        return ids

    def set_status(self, provider: str, instance_id: str | int, status: str) -> None:
        """Change a server's status directly, as if done outside vpsbot."""
        native = _native_status(provider, status)
        if provider == "digitalocean":
            self.do.set_status(self.do.droplets[int(instance_id)], native)
        elif provider == "linode":
            self.linode.set_status(self.linode.instances[int(instance_id)], native)
        else:
            raise ValueError(f"unknown provider {provider!r}")

    def remove_instance(self, provider: str, instance_id: str | int) -> None:
        """Delete a server directly, as if done outside vpsbot."""
        if provider == "digitalocean":
            self.do.delete(int(instance_id))
        elif provider == "linode":
            self.linode.delete(int(instance_id))
        else:
            raise ValueError(f"unknown provider {provider!r}")

    def instances(self, provider: str) -> list[dict[str, Any]]:
        """Current server records, shaped as the provider's API shows them."""
        if provider == "digitalocean":
            return [self.do.render(d) for d in list(self.do.droplets.values())]
        if provider == "linode":
            return [self.linode.render(i) for i in list(self.linode.instances.values())]
        raise ValueError(f"unknown provider {provider!r}")

    def info(self) -> dict[str, Any]:
        """URLs, tokens and settings, as printed at start-up and served at ``/_sandbox``."""
        return {
            "url": self._url,
            "digitalocean": {
                "url": self._url and self.digitalocean_url,
                "token": self.tokens["digitalocean"],
            },
            "linode": {"url": self._url and self.linode_url, "token": self.tokens["linode"]},
            "provision_seconds": self.provision_seconds,
            "action_seconds": self.action_seconds,
            "rate_limits": {p: [b.limit, b.window] for p, b in self.budgets.items()},
        }

    # ------------------------------------------------------------------ HTTP
    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=2 * 1024 * 1024)
        self.paging = Paging()
        app[PAGING] = self.paging
        self._do_api = DigitalOceanAPI(self.do)
        self._linode_api = LinodeAPI(self.linode, self.create_budget)
        app.add_routes(self._do_api.routes())
        app.add_routes(self._linode_api.routes())
        app.add_routes(MetricsAPI(self).routes())
        app.add_routes(control_routes(self))
        return app

    def _rate_headers(self, provider: str, verdict: Verdict) -> dict[str, str]:
        if provider == "digitalocean":
            return {
                "ratelimit-limit": str(verdict.limit),
                "ratelimit-remaining": str(verdict.remaining),
                "ratelimit-reset": str(verdict.reset_epoch),
            }
        return {
            "X-RateLimit-Limit": str(verdict.limit),
            "X-RateLimit-Remaining": str(verdict.remaining),
            "X-RateLimit-Reset": str(verdict.reset_epoch),
        }

    @staticmethod
    def _error(
        provider: str, request_id: str, status: int, body: dict[str, Any], headers: dict[str, str]
    ) -> web.Response:
        if provider == "digitalocean":
            body = {**body, "request_id": request_id}
        return web.json_response(body, status=status, headers=headers)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        split = _split(request.path)
        if split is None:
            response: web.StreamResponse = await handler(request)
            return response
        provider, path = split
        record = RecordedRequest(provider, request.method, path, dict(request.query), 0)
        self.requests.append(record)
        index = len(self.requests) - 1
        status = 0
        try:
            response = await self._serve(request, handler, provider, path)
            status = response.status
            return response
        finally:
            if index < len(self.requests) and self.requests[index] is record:
                self.requests[index] = record._replace(status=status)

    async def _serve(
        self, request: web.Request, handler: Any, provider: str, path: str
    ) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        id_header = "x-request-id" if provider == "digitalocean" else "X-Request-Id"
        headers = {id_header: request_id}
        fault = self.faults.take(provider, request.method, path)
        if fault is not None:
            if fault.latency > 0:
                await asyncio.sleep(fault.latency)
            if fault.timeout:
                await self._hold()
                self._drop(request)
                return web.Response(status=504)
            if fault.body is not None and fault.status is not None:
                return self._untidy(fault.body, fault.status, headers)
            if fault.status is not None:
                extra = {"Retry-After": "1"} if fault.status == 429 else {}
                body = error_body(provider, fault.status)
                return self._error(provider, request_id, fault.status, body, headers | extra)

        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.tokens[provider]:
            return self._error(provider, request_id, 401, error_body(provider, 401), headers)
        request[TOKEN] = token.strip()
        verdict = self.budgets[provider].hit(token.strip())
        headers |= self._rate_headers(provider, verdict)
        if not verdict.allowed:
            headers["Retry-After"] = str(verdict.retry_after)
            return self._error(provider, request_id, 429, error_body(provider, 429), headers)

        try:
            response: web.StreamResponse = await handler(request)
        except ApiError as exc:
            response = self._error(provider, request_id, exc.status, exc.body, exc.headers)
        except web.HTTPException as exc:  # unknown route or method
            status = exc.status if exc.status >= 400 else 500
            response = self._error(provider, request_id, status, error_body(provider, status), {})
        response.headers.update(headers)
        if fault is not None and fault.lose_response:
            self._drop(request)
        return response

    @staticmethod
    def _untidy(kind: str, status: int, headers: dict[str, str]) -> web.Response:
        """An answer in no API's error format, as proxies and busy hosts give."""
        if kind == "empty":
            return web.Response(status=status, headers=headers)
        if kind == "object":
            return web.json_response({}, status=status, headers=headers)
        if kind == "busy":
            body = {"errors": [{"reason": "Linode busy."}]}
            return web.json_response(body, status=status, headers=headers)
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        page = (
            f"<html><head><title>{status} {phrase}</title></head><body>"
            f"<center><h1>{status} {phrase}</h1></center><hr><center>nginx</center>"
            "</body></html>\n"
        )
        return web.Response(status=status, text=page, content_type="text/html", headers=headers)

    async def _hold(self) -> None:
        """Wait as a hung upstream would: until the timeout hold ends or the sandbox stops."""
        stopping = self._stopping
        if stopping is None:
            await asyncio.sleep(TIMEOUT_HOLD_SECONDS)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), TIMEOUT_HOLD_SECONDS)

    @staticmethod
    def _drop(request: web.Request) -> None:
        """Cut the connection so the client gets no answer at all."""
        transport = request.transport
        if transport is not None:
            transport.abort()
