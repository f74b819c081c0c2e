"""The control API under ``/_sandbox/``: drive a running sandbox over HTTP.

Unauthenticated on purpose (it is a local test tool): faults, virtual time,
seeding, direct server changes, the request log and reset.

It drives any :class:`Controllable` (the server passes itself in), so this module
never imports the server that mounts it.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from standins.sandbox.common import RecordedRequest
from standins.sandbox.faults import PROVIDERS, Fault, FaultSet
from standins.sandbox.state import LinodeState

__all__ = ["Controllable", "control_routes"]


class Controllable(Protocol):
    """What the control API drives: :class:`~standins.sandbox.server.Sandbox`."""

    @property
    def faults(self) -> FaultSet: ...

    @property
    def requests(self) -> list[RecordedRequest]: ...

    @property
    def linode(self) -> LinodeState: ...

    def info(self) -> dict[str, Any]: ...

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
    ) -> Fault: ...

    def clear_faults(self) -> None: ...

    def advance(self, seconds: float) -> None: ...

    def seed_instances(
        self,
        provider: str,
        n: int,
        *,
        tag: str | None = None,
        status: str = "running",
        monitoring: bool = True,
    ) -> list[str]: ...

    def seed_images(self, provider: str, n: int) -> list[str]: ...

    def reset(self) -> None: ...

    def instances(self, provider: str) -> list[dict[str, Any]]: ...

    def set_status(self, provider: str, instance_id: str | int, status: str) -> None: ...

    def remove_instance(self, provider: str, instance_id: str | int) -> None: ...

    def set_paging(self, *, max_page_size: int | None = None, overlap: int = 0) -> None: ...


def _json_error(message: str, status: int) -> web.HTTPException:
    exc = web.HTTPBadRequest if status == 400 else web.HTTPNotFound
    return exc(text=web.json_response({"error": message}).text, content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise _json_error("body must be JSON", 400) from None
    if not isinstance(body, dict):
        raise _json_error("body must be a JSON object", 400)
    return body


def _provider(value: Any) -> str:
    if value not in PROVIDERS:
        raise _json_error(f"provider must be one of {', '.join(PROVIDERS)}", 400)
    return str(value)


def control_routes(sb: Controllable) -> list[web.RouteDef]:
    """Routes bound to sandbox ``sb``."""

    async def info(request: web.Request) -> web.Response:
        return web.json_response(sb.info())

    async def list_faults(request: web.Request) -> web.Response:
        return web.json_response({"faults": [f.as_dict() for f in sb.faults.list()]})

    async def add_fault(request: web.Request) -> web.Response:
        body = await _body(request)
        allowed = {
            "method",
            "path",
            "status",
            "count",
            "latency",
            "timeout",
            "lose_response",
            "body",
        }
        unknown = set(body) - allowed - {"provider"}
        if unknown:
            raise _json_error(f"unknown fields: {', '.join(sorted(unknown))}", 400)
        try:
            fault = sb.inject(
                _provider(body.get("provider")), **{k: body[k] for k in allowed & set(body)}
            )
        except (TypeError, ValueError) as exc:
            raise _json_error(str(exc), 400) from None
        return web.json_response({"fault": fault.as_dict()}, status=201)

    async def clear_faults(request: web.Request) -> web.Response:
        sb.clear_faults()
        return web.json_response({})

    async def advance(request: web.Request) -> web.Response:
        body = await _body(request)
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise _json_error("seconds must be a non-negative number", 400)
        sb.advance(float(seconds))
        return web.json_response({"advanced": seconds})

    async def requests(request: web.Request) -> web.Response:
        provider = request.query.get("provider")
        method = request.query.get("method")
        prefix = request.query.get("path_prefix")
        rows = [
            r._asdict()
            for r in sb.requests
            if (provider is None or r.provider == provider)
            and (method is None or r.method == method.upper())
            and (prefix is None or r.path.startswith(prefix))
        ]
        return web.json_response({"requests": rows, "count": len(rows)})

    async def clear_requests(request: web.Request) -> web.Response:
        sb.requests.clear()
        return web.json_response({})

    async def seed(request: web.Request) -> web.Response:
        body = await _body(request)
        provider = _provider(body.get("provider"))
        n = body.get("n", 1)
        if not isinstance(n, int) or n < 0:
            raise _json_error("n must be a non-negative integer", 400)
        result: dict[str, Any] = {}
        if body.get("images"):
            result["images"] = sb.seed_images(provider, n)
        else:
            tag = body.get("tag")
            status = body.get("status", "running")
            result["ids"] = sb.seed_instances(
                provider,
                n,
                tag=str(tag) if tag else None,
                status=str(status),
                monitoring=body.get("monitoring", True) is not False,
            )
        return web.json_response(result, status=201)

    async def reset(request: web.Request) -> web.Response:
        sb.reset()
        return web.json_response({})

    async def instances(request: web.Request) -> web.Response:
        provider = _provider(request.match_info["provider"])
        return web.json_response({"instances": sb.instances(provider)})

    async def set_status(request: web.Request) -> web.Response:
        provider = _provider(request.match_info["provider"])
        body = await _body(request)
        status = body.get("status")
        if not isinstance(status, str):
            raise _json_error("status is required", 400)
        try:
            sb.set_status(provider, request.match_info["instance_id"], status)
        except (KeyError, ValueError):
            raise _json_error("no such instance", 404) from None
        return web.json_response({})

    async def event_status(request: web.Request) -> web.Response:
        body = await _body(request)
        status = body.get("status")
        if not isinstance(status, str):
            raise _json_error("status is required", 400)
        raw_id = request.match_info["event_id"]
        if not raw_id.isdigit():
            raise _json_error("no such event", 404)
        try:
            sb.linode.set_event_status(int(raw_id), status)
        except KeyError:
            raise _json_error("no such event", 404) from None
        except ValueError as exc:
            raise _json_error(str(exc), 400) from None
        return web.json_response({})

    async def paging(request: web.Request) -> web.Response:
        body = await _body(request)
        size = body.get("max_page_size")
        overlap = body.get("overlap", 0)
        if size is not None and (not isinstance(size, int) or size < 1):
            raise _json_error("max_page_size must be a positive integer or null", 400)
        if not isinstance(overlap, int) or overlap < 0:
            raise _json_error("overlap must be a non-negative integer", 400)
        sb.set_paging(max_page_size=size, overlap=overlap)
        return web.json_response({"max_page_size": size, "overlap": overlap})

    async def remove(request: web.Request) -> web.Response:
        provider = _provider(request.match_info["provider"])
        try:
            sb.remove_instance(provider, request.match_info["instance_id"])
        except (KeyError, ValueError):
            raise _json_error("no such instance", 404) from None
        return web.json_response({})

    c = "/_sandbox"
    return [
        web.get("/", info),
        web.get(c, info),
        web.get(c + "/faults", list_faults),
        web.post(c + "/faults", add_fault),
        web.delete(c + "/faults", clear_faults),
        web.post(c + "/advance", advance),
        web.get(c + "/requests", requests),
        web.delete(c + "/requests", clear_requests),
        web.post(c + "/seed", seed),
        web.post(c + "/reset", reset),
        web.get(c + "/instances/{provider}", instances),
        web.post(c + "/instances/{provider}/{instance_id}/status", set_status),
        web.delete(c + "/instances/{provider}/{instance_id}", remove),
        web.post(c + "/events/linode/{event_id}/status", event_status),
        web.post(c + "/paging", paging),
    ]
