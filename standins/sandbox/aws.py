"""The AWS sandbox: moto's EC2, STS and SSM in server mode, behind a loopback front
that adds what a test of a real cloud needs and moto lacks.

moto (a widely used AWS emulator nobody here wrote) runs as a
:class:`~moto.server.ThreadedMotoServer` in this process. In front of it an aiohttp
app, on its own port, does for AWS what :class:`~standins.sandbox.server.Sandbox`
does for the other clouds: records every call (as ``/<Action>``), injects faults
in AWS's own error format, checks the access key id of the SigV4 signature, keeps
a per-key request budget (``RequestLimitExceeded``) and answers the Price List
Query API (:mod:`standins.sandbox.aws_pricing`) that moto does not have.

moto keeps its state per process: every AwsSandbox shares one moto server, and
the first to start (with no other running) resets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import logging
import os
import tempfile
import uuid
from importlib import util
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web

from standins.sandbox.aws_pricing import PricingError, get_products
from standins.sandbox.clock import Clock
from standins.sandbox.faults import Fault, FaultSet
from standins.sandbox.ratelimit import Budget
from standins.sandbox.server import RecordedRequest

__all__ = ["DEFAULT_AWS_TOKEN", "AwsSandbox", "sandbox_amis"]

ACCESS_KEY_ID = "AKIASANDBOX0EC2TEST1"
DEFAULT_AWS_TOKEN = f"{ACCESS_KEY_ID}:sandbox-secret-access-key"
#: EC2's documented default: bursts of 100 describe calls per second, per account
DEFAULT_LIMIT = (600, 60.0)
REGIONS = ("us-east-1", "eu-west-1")
TIMEOUT_HOLD_SECONDS = 60.0

_CANONICAL, _DEBIAN, _AMAZON = "099720109477", "136693071363", "137112412989"
#: (owner, name, arch, created) of the official images the sandbox adds to moto's
_IMAGES = [
    (_CANONICAL, f"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{a}-server-{d}", a, d)
    for a in ("amd64", "arm64")
    for d in ("20260901", "20261115")
]
_IMAGES += [
    (_CANONICAL, f"ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-{a}-server-20261101", a, "20261101")
    for a in ("amd64", "arm64")
]
_IMAGES += [
    (_CANONICAL, "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20250501", "amd64", "2025")
]
_IMAGES += [
    (_DEBIAN, f"debian-{v}-{a}-20261110-1234", a, "20261110") for v in (12, 13) for a in ("amd64",)
]
_IMAGES += [(_AMAZON, "al2023-ami-2023.9.20261118.0-kernel-6.1-arm64", "arm64", "20261118")]

_QUERY_ERRORS = {
    400: ("InvalidParameterValue", "The request is not valid."),
    401: ("AuthFailure", "AWS was not able to validate the provided access credentials"),
    403: ("UnauthorizedOperation", "You are not authorized to perform this operation."),
    429: ("RequestLimitExceeded", "Request limit exceeded."),
    500: ("InternalError", "An internal error has occurred"),
    503: ("Unavailable", "The server is overloaded and cannot handle the request"),
}


class _AwsFault(Fault):
    """A fault rule of the AWS sandbox (``path``: ``/<Action>``)."""

    known = ("aws",)


def sandbox_amis(directory: Path) -> Path:
    """moto's default AMIs plus current Ubuntu, Debian and Amazon Linux images,
    written where ``MOTO_AMIS_PATH`` can point (moto reads it at import)."""
    spec = util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("moto is not installed: pip install 'vpsbot[sandbox]'")
    root = Path(next(iter(spec.submodule_search_locations)))
    amis: list[dict[str, Any]] = json.loads(
        gzip.decompress((root / "ec2/resources/amis.json.gz").read_bytes())
    )
    for index, (owner, name, arch, day) in enumerate(_IMAGES):
        amis.append(
            {
                "ami_id": f"ami-0sandbox{index:08x}",
                "state": "available",
                "public": True,
                "owner_id": owner,
                "image_location": f"{owner}/{name}",
                "sriov": "simple",
                "root_device_type": "ebs",
                "root_device_name": "/dev/xvda" if owner == _AMAZON else "/dev/sda1",
                "description": name,
                "image_type": "machine",
                "platform": None,
                "architecture": "x86_64" if arch == "amd64" else arch,
                "name": name,
                "virtualization_type": "hvm",
                "hypervisor": "xen",
                "creation_date": f"{day[:4]}-{day[4:6] or '01'}-{day[6:8] or '01'}T00:00:00.000Z",
            }
        )
    path = directory / "amis.json"
    path.write_text(json.dumps(amis))
    return path


class _Moto:
    """The process's one moto server, started on first use."""

    url: ClassVar[str | None] = None
    users: ClassVar[int] = 0

    @classmethod
    def start(cls) -> str:
        if cls.url is None:
            folder = Path(tempfile.mkdtemp(prefix="vpsbot-moto-"))
            os.environ.setdefault("MOTO_AMIS_PATH", str(sandbox_amis(folder)))
            os.environ.setdefault("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            cls.url = f"http://{host}:{port}"
        return cls.url


def _action(request: web.Request, body: bytes) -> tuple[str, str, dict[str, Any]]:
    """(service kind "json"/"query", action name, parsed body) of an AWS call."""
    target = request.headers.get("X-Amz-Target", "")
    if target:
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = {}
        return "json", target.rpartition(".")[2], parsed if isinstance(parsed, dict) else {}
    form = dict(parse_qsl(body.decode("utf-8", "replace")))
    return "query", form.get("Action", ""), form


def _key_id(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    _, _, rest = auth.partition("Credential=")
    return rest.split("/", 1)[0].strip()


def _error(kind: str, status: int, code: str, message: str, extra: Any = None) -> web.Response:
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id, **(extra or {})}
    if kind == "json":
        body = json.dumps({"__type": code, "message": message})
        return web.Response(
            status=status, text=body, content_type="application/x-amz-json-1.1", headers=headers
        )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}'
        f"</Code><Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{request_id}</RequestID></Response>"
    )
    return web.Response(status=status, text=xml, content_type="text/xml", headers=headers)


class AwsSandbox:
    """moto behind a recording, fault-injecting, rate-limiting front on loopback.

    The account it plays has ``regions`` enabled (DescribeRegions lists only them)."""

    def __init__(
        self,
        token: str = DEFAULT_AWS_TOKEN,
        rate_limit: tuple[int, float] | None = None,
        regions: tuple[str, ...] = REGIONS,
    ) -> None:
        self.token = token
        self.access_key_id = token.partition(":")[0]
        self.regions = regions
        self.clock = Clock()
        self.faults = FaultSet()
        self.budget = Budget(self.clock, *(rate_limit or DEFAULT_LIMIT))
        self.requests: list[RecordedRequest] = []
        self.moto_url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._url: str | None = None
        self._stopping = asyncio.Event()
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    # ------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.moto_url = await asyncio.to_thread(_Moto.start)
        self._session = aiohttp.ClientSession()
        if _Moto.users == 0:
            async with self._session.post(self.moto_url + "/moto-api/reset") as answer:
                answer.raise_for_status()
            await asyncio.to_thread(self._seed_keys)
        _Moto.users += 1
        runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._url = f"http://{host}:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            _Moto.users -= 1
            await runner.cleanup()
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._url = None

    async def __aenter__(self) -> AwsSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the AWS sandbox is not running; await start() first")
        return self._url

    # ------------------------------------------------------------- driving
    def _boto(self, region: str = "us-east-1") -> Any:
        import boto3  # type: ignore[import-untyped]

        key, _, secret = DEFAULT_AWS_TOKEN.partition(":")
        return boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=self.moto_url,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )

    def _seed_keys(self) -> None:
        """Two key pairs in the first region, from fixed seeds (same keys each run)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        ec2 = self._boto(self.regions[0])
        for name, comment in (("ada-laptop", "ada@laptop"), ("ops-deploy", "deploy@ops")):
            seed = hashlib.sha256(name.encode()).digest()
            public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
            material = public.public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            )
            ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material + f" {comment}".encode())

    def advance(self, seconds: float) -> None:
        """Move the front's clock (its rate window); moto's states change at once."""
        self.clock.advance(seconds)

    def inject(self, provider: str = "aws", **rule: Any) -> Fault:
        """Make the next matching calls misbehave; ``path`` is ``/<Action>``."""
        fault = _AwsFault(provider="aws", **rule)
        self.faults.add(fault)
        return fault

    def request_count(
        self, provider: str = "aws", method: str | None = None, path_prefix: str | None = None
    ) -> int:
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path_prefix is None or r.path.startswith(path_prefix))
        )

    def seed_instances(
        self, provider: str, n: int, *, tag: str | None = None, status: str = "running"
    ) -> list[str]:
        """``n`` servers made at once in the first region; their vpsbot ids."""
        region = self.regions[0]
        # Straight into moto's backend (this process runs it): a thousand servers in a
        # second rather than a minute of RunInstances. One reservation each, as moto
        # pages DescribeInstances by reservation.
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
        tags = {"instance": {tag: ""}} if tag else {}
        ids = []
        ids = [self._seed_one(backend, region, tags) for _ in range(n)]
        if status in ("stopped", "off"):
            self._boto(region).stop_instances(InstanceIds=ids)
        return [f"{region}/{i}" for i in ids]

    @staticmethod
    def _seed_one(backend: Any, region: str, tags: dict[str, Any]) -> str:
        reservation = backend.run_instances(
            "ami-0sandbox00000000",
            1,
            None,
            [],
            instance_type="t3.micro",
            # t3.micro is known: skip moto's offering scan, two thirds of a seed's time
            is_instance_type_default=True,
            placement=None,
            region_name=region,
            tags=tags,
        )
        return str(reservation.instances[0].id)

    def set_status(self, provider: str, instance_id: str, status: str) -> None:
        region, _, bare = instance_id.rpartition("/")
        ec2 = self._boto(region or self.regions[0])
        if status in ("stopped", "off"):
            ec2.stop_instances(InstanceIds=[bare])
        else:
            ec2.start_instances(InstanceIds=[bare])

    def remove_instance(self, provider: str, instance_id: str) -> None:
        region, _, bare = instance_id.rpartition("/")
        self._boto(region or self.regions[0]).terminate_instances(InstanceIds=[bare])

    def instances(self, provider: str = "aws") -> list[dict[str, Any]]:
        """Servers not terminated, in every sandbox region, as DescribeInstances shows them."""
        found = []
        for region in self.regions:
            pages = self._boto(region).get_paginator("describe_instances").paginate()
            for page in pages:
                for reservation in page["Reservations"]:
                    found += [
                        i for i in reservation["Instances"] if i["State"]["Name"] != "terminated"
                    ]
        return found

    # ---------------------------------------------------------------- HTTP
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        kind, action, parsed = _action(request, body)
        record = RecordedRequest("aws", request.method, f"/{action}", {}, 0)
        self.requests.append(record)
        index = len(self.requests) - 1
        response = await self._serve(request, body, kind, action, parsed)
        self.requests[index] = record._replace(status=response.status)
        return response

    async def _serve(
        self, request: web.Request, body: bytes, kind: str, action: str, parsed: dict[str, Any]
    ) -> web.StreamResponse:
        fault = self.faults.take("aws", request.method, f"/{action}")
        if fault is not None:
            if fault.latency > 0:
                await asyncio.sleep(fault.latency)
            if fault.timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), TIMEOUT_HOLD_SECONDS)
                return web.Response(status=504)
            if fault.status is not None:
                code, message = _QUERY_ERRORS.get(fault.status, ("InternalError", "Error"))
                # EC2 answers a throttle with 503 RequestLimitExceeded, never 429
                status = 503 if fault.status == 429 else fault.status
                return _error(kind, status, code, message)
        if _key_id(request) != self.access_key_id:
            if kind == "json":
                return _error(
                    kind,
                    400,
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                )
            if action == "GetCallerIdentity":
                return _error(
                    kind,
                    403,
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.",
                )
            return _error(kind, 401, "AuthFailure", _QUERY_ERRORS[401][1])
        if not self.budget.hit(self.access_key_id).allowed:
            return _error(kind, 503, "RequestLimitExceeded", "Request limit exceeded.")
        if action == "DescribeRegions":
            return self._regions()
        if action == "GetProducts":
            try:
                answer = get_products(parsed)
            except PricingError as exc:
                return _error(kind, 400, "InvalidParameterException", str(exc))
            return web.Response(text=json.dumps(answer), content_type="application/x-amz-json-1.1")
        response = await self._forward(request, body)
        if fault is not None and fault.lose_response:
            # done at moto, but the client never hears: the connection is cut
            await response.prepare(request)
            if request.transport is not None:
                request.transport.abort()
        return response

    def _regions(self) -> web.Response:
        """The sandbox account's enabled regions only (moto lists all of AWS's)."""
        items = "".join(
            f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com"
            "</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>"
            for r in self.regions
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            f"<requestId>{uuid.uuid4()}</requestId><regionInfo>{items}</regionInfo>"
            "</DescribeRegionsResponse>"
        )
        return web.Response(text=xml, content_type="text/xml")

    async def _forward(self, request: web.Request, body: bytes) -> web.StreamResponse:
        assert self._session is not None
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with self._session.request(
            request.method, self.moto_url + request.path_qs, data=body, headers=headers
        ) as answer:
            payload = await answer.read()
            kept = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() in ("content-type", "x-amzn-requestid", "x-amz-request-id")
            }
            return web.Response(status=answer.status, body=payload, headers=kept)
