"""The AWS side of the EC2 provider: credentials, one aiobotocore client per service
and region, and every AWS error mapped onto :mod:`providers.errors`.

Why its own module: the provider speaks in servers, plans and images; this module
alone knows that AWS answers in error codes (``UnauthorizedOperation``,
``InsufficientInstanceCapacity``...) and that a throttled call
(``RequestLimitExceeded``) was refused, so it is safe to send again after a back-off.
botocore's own retries are off: one policy (``stamina``, as for the other clouds)
decides what is sent again, so a write is never repeated behind our back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stamina
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from providers.errors import (
    BusyError,
    CredentialsError,
    NotFoundError,
    OutageError,
    OutcomeUnknownError,
    ProviderError,
    QuotaError,
    RateLimitedError,
    ValidationError,
)

__all__ = ["DISPLAY", "Credentials", "Ec2Api", "parse_credentials"]

logger = logging.getLogger("providers.ec2")

# botocore logs every request's parameters at DEBUG, RunInstances' UserData (the root
# password's cloud-config) among them: its loggers get a level of their own (WARNING,
# or INFO and up if one was set), so a DEBUG root logger never reaches them.
for _name in ("botocore", "aiobotocore"):
    if logging.getLogger(_name).level < logging.INFO:
        logging.getLogger(_name).setLevel(logging.WARNING)

DISPLAY = "Amazon EC2"

_ACCESS_KEY = re.compile(r"^[A-Z0-9]{16,128}$")

_CREDENTIALS = frozenset(
    {
        "AuthFailure",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "ExpiredToken",
        "AccessDenied",
        "AccessDeniedException",
        "OptInRequired",
        "UnrecognizedClientException",
    }
)
_NOT_FOUND = re.compile(r"^Invalid[A-Za-z]*ID\.(NotFound|Malformed)$|\.NotFound$|^NotFound")
_QUOTA = frozenset(
    {
        "InsufficientInstanceCapacity",
        "InstanceLimitExceeded",
        "VcpuLimitExceeded",
        "InsufficientCapacity",
        "ResourceLimitExceeded",
        "KeyPairLimitExceeded",
        "SecurityGroupLimitExceeded",
    }
)
_THROTTLED = frozenset({"RequestLimitExceeded", "Throttling", "ThrottlingException"})
_BUSY = frozenset({"IncorrectInstanceState", "IncorrectState", "IncorrectModificationState"})
_OUTAGE = frozenset({"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"})

#: A word in a validation message → the CreateRequest field it is about.
_MESSAGE_FIELDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"instance ?type|InstanceType", re.IGNORECASE), "plan"),
    (re.compile(r"\bAMI\b|image", re.IGNORECASE), "image"),
    (re.compile(r"key ?pair|KeyName", re.IGNORECASE), "ssh_key_ids"),
    (re.compile(r"availability zone|region|subnet", re.IGNORECASE), "region"),
    (re.compile(r"user ?data", re.IGNORECASE), "root_password"),
    (re.compile(r"\btag", re.IGNORECASE), "label"),
)
_CODE_FIELDS = {
    "InvalidInstanceType": "plan",
    "InvalidAMIID.NotFound": "image",
    "InvalidAMIID.Malformed": "image",
    "InvalidAMIID.Unavailable": "image",
    "InvalidKeyPair.NotFound": "ssh_key_ids",
    "InvalidKeyPair.Format": "ssh_key_ids",
    "InvalidKeyPair.Duplicate": "ssh_key_ids",
    "InvalidUserData.Malformed": "root_password",
}


@dataclass(frozen=True)
class Credentials:
    """An access key pair, and the role to assume with it (if any)."""

    access_key_id: str
    secret_access_key: str
    role_arn: str | None = None

    def __repr__(self) -> str:  # never the secret
        return f"Credentials({self.access_key_id[:4]}…, role={self.role_arn!r})"


def parse_credentials(token: str) -> Credentials:
    """``ACCESS_KEY_ID:SECRET_ACCESS_KEY`` (optionally ``:arn:aws:iam::…:role/…``)
    as stored sealed in one token, or :class:`CredentialsError` naming what is wrong.

    Spaces or a line break may stand for the first colon (a pasted pair)."""
    text = token.strip()
    if ":" not in text and len(text.split()) == 2:
        text = ":".join(text.split())
    key_id, _, rest = text.partition(":")
    secret, _, role = rest.partition(":")
    key_id, secret, role = key_id.strip(), secret.strip(), role.strip()
    if not _ACCESS_KEY.match(key_id) or not secret:
        raise CredentialsError(
            "give the access key id and the secret access key as ACCESS_KEY_ID:SECRET "
            "(optionally :ROLE_ARN after them)",
            provider=DISPLAY,
        )
    if role and not role.startswith("arn:"):
        raise CredentialsError("the role to assume must be an IAM role ARN", provider=DISPLAY)
    return Credentials(key_id, secret, role or None)


def _field_for(code: str, message: str) -> str | None:
    if code in _CODE_FIELDS:
        return _CODE_FIELDS[code]
    for pattern, name in _MESSAGE_FIELDS:
        if pattern.search(message):
            return name
    return None


def normalise(exc: Exception, *, write: bool) -> ProviderError:
    """One AWS failure as the provider-neutral error (a write whose answer was lost:
    :class:`OutcomeUnknownError`)."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, ClientError):
        error = exc.response.get("Error") or {}
        meta: Mapping[str, Any] = exc.response.get("ResponseMetadata") or {}
        code = str(error.get("Code") or "")
        message = str(error.get("Message") or code or "an error")
        status = meta.get("HTTPStatusCode")
        request_id = meta.get("RequestId")
        context: dict[str, Any] = {
            "provider": DISPLAY,
            "status": status,
            "request_id": request_id,
        }
        if code in _CREDENTIALS:
            return CredentialsError(message, **context)
        if code in _THROTTLED:
            return RateLimitedError(message, retry_after=None, **context)
        if code in _QUOTA:
            return QuotaError(message, **context)
        if code in _BUSY:
            return BusyError(message, **context)
        if _NOT_FOUND.search(code) and code not in _CODE_FIELDS:
            return NotFoundError(message, **context)
        if code in _OUTAGE or (isinstance(status, int) and status >= 500):
            cls = OutcomeUnknownError if write else OutageError
            return cls(f"{DISPLAY} answered {code or status}: {message}", **context)
        return ValidationError(message, field=_field_for(code, message), **context)
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError | asyncio.TimeoutError):
        lost = write and not isinstance(exc, ConnectTimeoutError)  # sent: it may have run
        kind = OutcomeUnknownError if lost else OutageError
        return kind(f"{DISPLAY} did not answer in time", provider=DISPLAY)
    if isinstance(exc, EndpointConnectionError):
        return OutageError(f"{DISPLAY} could not be reached", provider=DISPLAY)
    if isinstance(exc, BotoCoreError | OSError | ValueError):
        cls = OutcomeUnknownError if write else OutageError
        # botocore's message names the endpoint, never the credentials
        return cls(f"{DISPLAY} gave no usable answer ({type(exc).__name__})", provider=DISPLAY)
    raise exc


class Ec2Api:
    """Authenticated aiobotocore clients, opened lazily and closed by :meth:`aclose`.

    ``endpoint_url`` points every service at one endpoint (the sandbox, a proxy);
    ``pricing_url`` the Price List Query API when it lives elsewhere.
    """

    max_attempts = 3
    #: a throttled call waits at most this long for its next try
    retry_after_cap = 30.0

    def __init__(
        self,
        credentials: Credentials,
        *,
        home_region: str = "us-east-1",
        endpoint_url: str | None = None,
        pricing_url: str | None = None,
        timeout: float = 30.0,
        session: AioSession | None = None,
    ) -> None:
        self.credentials = credentials
        self.home_region = home_region
        self.endpoint_url = endpoint_url
        self.pricing_url = pricing_url or endpoint_url
        self.timeout = timeout
        self._session = session or get_session()
        self._stack = contextlib.AsyncExitStack()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = asyncio.Lock()
        self._assumed: tuple[dict[str, str], float] | None = None
        self.last_success: float | None = None

    async def _keys(self) -> dict[str, str]:
        creds = self.credentials
        base = {
            "aws_access_key_id": creds.access_key_id,
            "aws_secret_access_key": creds.secret_access_key,
        }
        if creds.role_arn is None:
            return base
        if self._assumed is not None and self._assumed[1] - time.time() > 300:
            return self._assumed[0]
        async with self._open("sts", self.home_region, base) as sts:
            answer = await sts.assume_role(RoleArn=creds.role_arn, RoleSessionName="vpsbot")
        got = answer["Credentials"]
        keys = {
            "aws_access_key_id": got["AccessKeyId"],
            "aws_secret_access_key": got["SecretAccessKey"],
            "aws_session_token": got["SessionToken"],
        }
        self._assumed = (keys, got["Expiration"].timestamp())
        for client in self._clients.values():
            await client.__aexit__(None, None, None)
        self._clients.clear()
        return keys

    def _open(self, service: str, region: str, keys: Mapping[str, str]) -> Any:
        endpoint = self.pricing_url if service == "pricing" else self.endpoint_url
        config = AioConfig(
            connect_timeout=min(self.timeout, 10.0),
            read_timeout=self.timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            user_agent_extra="vpsbot",
        )
        return self._session.create_client(
            service,  # type: ignore[call-overload]
            region_name=region,
            endpoint_url=endpoint,
            config=config,
            **keys,
        )

    async def client(self, service: str, region: str | None = None) -> Any:
        """The open client for ``service`` in ``region`` (home region by default)."""
        region = region or self.home_region
        async with self._lock:
            keys = await self._keys()
            found = self._clients.get((service, region))
            if found is None:
                found = await self._stack.enter_async_context(self._open(service, region, keys))
                self._clients[(service, region)] = found
            return found

    async def call(
        self,
        service: str,
        operation: str,
        *,
        region: str | None = None,
        write: bool = False,
        **params: Any,
    ) -> dict[str, Any]:
        """One AWS operation by its Python name (``describe_instances``).

        Reads are tried up to :attr:`max_attempts` times on an outage or a throttle;
        writes only on a throttle (AWS refused them: nothing was done)."""
        async for attempt in stamina.retry_context(
            on=lambda exc: self._retry_hook(exc, write=write),
            attempts=self.max_attempts,
            timeout=None,
            wait_initial=0.5,
            wait_max=self.retry_after_cap,
            wait_jitter=0.5,
        ):
            with attempt:
                return await self._send(service, operation, region, write, params)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _retry_hook(exc: Exception, *, write: bool) -> bool:
        if isinstance(exc, RateLimitedError):
            return True
        return not write and isinstance(exc, OutageError)

    async def _send(
        self, service: str, operation: str, region: str | None, write: bool, params: Any
    ) -> dict[str, Any]:
        client = await self.client(service, region)
        started = time.monotonic()
        try:
            answer: dict[str, Any] = await asyncio.wait_for(
                getattr(client, operation)(**params), self.timeout + 5
            )
        except Exception as exc:
            error = normalise(exc, write=write)
            logger.info(
                "%s %s %s failed: %s",
                DISPLAY,
                region or self.home_region,
                operation,
                error.code,
                extra={"provider": "aws", "status": error.status},
            )
            raise error from exc
        self.last_success = time.time()
        logger.debug("%s %s in %.3f s", DISPLAY, operation, time.monotonic() - started, extra={})
        return answer

    async def aclose(self) -> None:
        self._clients.clear()
        await self._stack.aclose()
