"""EC2 specifics the shared contract does not reach: every AWS error code the issue
names mapped to the normalised errors, the create's request (idempotency token,
tags, security group, first-boot user data) and a create whose answer is lost."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import stamina
from botocore.exceptions import ClientError, ReadTimeoutError

from providers.ec2 import Ec2Provider
from providers.ec2.api import normalise
from providers.ec2.servers import cloud_config
from providers.errors import (
    BusyError,
    CredentialsError,
    NotFoundError,
    OutageError,
    OutcomeUnknownError,
    QuotaError,
    RateLimitedError,
    ValidationError,
)
from providers.models import CreateRequest
from providers.registry import build_provider
from standins.sandbox.aws import AwsSandbox


def _client_error(code: str, message: str, status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1"},
    }
    return ClientError(response, "RunInstances")


@pytest.mark.parametrize(
    ("code", "message", "status", "kind", "field"),
    [
        ("UnauthorizedOperation", "You are not authorized", 403, CredentialsError, None),
        ("AuthFailure", "AWS was not able to validate", 401, CredentialsError, None),
        ("InsufficientInstanceCapacity", "We currently do not have", 500, QuotaError, None),
        ("InstanceLimitExceeded", "Your quota allows for 0 more", 400, QuotaError, None),
        ("VcpuLimitExceeded", "You have requested more vCPU", 400, QuotaError, None),
        ("RequestLimitExceeded", "Request limit exceeded.", 503, RateLimitedError, None),
        ("IncorrectInstanceState", "The instance is not in a valid state", 400, BusyError, None),
        ("InvalidInstanceID.NotFound", "The instance ID does not exist", 400, NotFoundError, None),
        (
            "InvalidParameterValue",
            "Invalid value 't9.huge' for InstanceType.",
            400,
            ValidationError,
            "plan",
        ),
        ("InvalidAMIID.NotFound", "The image id does not exist", 400, ValidationError, "image"),
        (
            "InvalidKeyPair.NotFound",
            "The key pair does not exist",
            400,
            ValidationError,
            "ssh_key_ids",
        ),
        (
            "InvalidParameterValue",
            "Invalid availability zone: [mars-1a]",
            400,
            ValidationError,
            "region",
        ),
        ("Unavailable", "The server is overloaded", 503, OutageError, None),
    ],
)
def test_aws_error_codes_become_the_normalised_errors(
    code: str, message: str, status: int, kind: type[Exception], field: str | None
) -> None:
    error = normalise(_client_error(code, message, status), write=False)
    assert type(error) is kind
    assert error.provider == "Amazon EC2" and error.status == status
    assert error.field == field
    assert error.as_dict()["code"] == error.code
    if field is not None:
        assert f"rejected {field}" in error.user_message()


def test_a_write_whose_answer_is_lost_is_an_unknown_outcome() -> None:
    lost = ReadTimeoutError(endpoint_url="http://127.0.0.1:1")
    assert type(normalise(lost, write=True)) is OutcomeUnknownError
    assert type(normalise(lost, write=False)) is OutageError
    failed = _client_error("InternalError", "An internal error has occurred", 500)
    assert type(normalise(failed, write=True)) is OutcomeUnknownError


def test_cloud_config_sets_the_password_only_when_there_is_one() -> None:
    assert cloud_config(None, []) is None
    keys_only = cloud_config(None, ["ssh-ed25519 AAAA key@x"])
    assert keys_only is not None
    assert "chpasswd" not in keys_only and "ssh_pwauth" not in keys_only
    assert '"ssh-ed25519 AAAA key@x"' in keys_only and "disable_root: false" in keys_only
    both = cloud_config('pa: "ss', [])
    assert both is not None and '    root:pa: "ss\n' in both and "ssh_pwauth: true" in both


@pytest.fixture
async def ec2() -> AsyncIterator[tuple[AwsSandbox, Ec2Provider]]:
    with stamina.set_testing(True, attempts=3, cap=True):
        async with AwsSandbox() as sandbox:
            provider = build_provider(
                "aws",
                name="ec2-test",
                token=sandbox.token,
                configuration={"api_url": sandbox.url, "regions": ["us-east-1"]},
            )
            assert isinstance(provider, Ec2Provider)
            provider.lost_create_delay = 0
            try:
                yield sandbox, provider
            finally:
                await provider.aclose()


def _request(tag: str, **extra: Any) -> CreateRequest:
    fields: dict[str, Any] = {
        "label": "ec2-one",
        "region": "us-east-1",
        "plan": "t4g.small",
        "image": "ubuntu-24.04",
        "tag": tag,
    }
    return CreateRequest(**(fields | extra))


async def test_create_sends_the_tag_as_client_token_with_ssh_allowed(
    ec2: tuple[AwsSandbox, Ec2Provider],
) -> None:
    sandbox, provider = ec2
    params = await provider._launch_params(_request("vpsbot-0001", ssh_key_ids=["ops-deploy"]))
    assert params["ClientToken"] == "vpsbot-0001"
    assert params["KeyName"] == "ops-deploy"
    assert "UserData" in params and "chpasswd" not in params["UserData"]
    tags = {t["Key"]: t["Value"] for t in params["TagSpecifications"][0]["Tags"]}
    assert tags == {"Name": "ec2-one", "vpsbot:image": "ubuntu-24.04", "vpsbot-0001": ""}
    # the image is the release's newest arm64 AMI: t4g is Graviton
    [image] = sandbox._boto().describe_images(ImageIds=[params["ImageId"]])["Images"]
    assert image["Architecture"] == "arm64" and "noble-24.04-arm64-server-20261115" in image["Name"]
    [group] = sandbox._boto().describe_security_groups(GroupIds=params["SecurityGroupIds"])[
        "SecurityGroups"
    ]
    assert group["GroupName"] == "vpsbot-ssh"
    assert group["IpPermissions"][0]["FromPort"] == 22
    # one group per region, made once
    again = await provider._launch_params(_request("vpsbot-0002"))
    assert again["SecurityGroupIds"] == params["SecurityGroupIds"]
    assert sandbox.request_count(path_prefix="/CreateSecurityGroup") == 1


async def test_what_ec2_cannot_do_is_refused_at_its_field(
    ec2: tuple[AwsSandbox, Ec2Provider],
) -> None:
    sandbox, provider = ec2
    with pytest.raises(ValidationError) as info:
        await provider.create_instance(_request("vpsbot-0003", backups=True))
    assert info.value.field == "backups"
    # the sandbox's Debian is published for x86_64 only: no image for a Graviton type
    with pytest.raises(ValidationError) as info:
        await provider.create_instance(_request("vpsbot-0004", image="debian-12"))
    assert info.value.field == "image" and "arm64" in info.value.message
    assert sandbox.request_count(path_prefix="/RunInstances") == 0


async def test_a_lost_create_answer_is_found_by_tag(ec2: tuple[AwsSandbox, Ec2Provider]) -> None:
    sandbox, provider = ec2
    sandbox.inject(method="POST", path="/RunInstances", lose_response=True)
    made = await provider.create_instance(_request("vpsbot-lost-1"))
    assert made.label == "ec2-one" and "vpsbot-lost-1" in made.tags
    assert sandbox.request_count(path_prefix="/RunInstances") == 1  # never sent twice
    assert len(sandbox.instances()) == 1


async def test_no_root_password_in_the_logs_even_at_debug(
    ec2: tuple[AwsSandbox, Ec2Provider], caplog: pytest.LogCaptureFixture
) -> None:
    _, provider = ec2
    caplog.set_level(logging.DEBUG)
    await provider.create_instance(_request("vpsbot-log-1", root_password="Never-Logged-77"))
    assert caplog.records  # the run did log
    assert "Never-Logged-77" not in caplog.text
    assert "UserData" not in caplog.text  # botocore's DEBUG line of the request's parameters
