"""Bulk seeding, direct changes, the HTTP control API and the command line."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys

import aiohttp
import pytest

from standins.sandbox import Sandbox, main, serve_forever

from .conftest import Client


async def test_seed_10000_droplets_fully_listed(sb: Sandbox, api: Client) -> None:
    # how fast seeding is belongs to bench/ (bench_providers seeds 10,000), not to a test
    ids = sb.seed_instances("digitalocean", 10_000, tag="bench")
    assert len(set(ids)) == 10_000
    seen: set[int] = set()
    url: str | None = sb.digitalocean_url + "/v2/droplets?tag_name=bench&per_page=200"
    while url:
        reply = await api.call(
            "GET", url, headers={"Authorization": "Bearer sandbox-digitalocean-token"}
        )
        assert reply.body["meta"]["total"] == 10_000
        seen |= {d["id"] for d in reply.body["droplets"]}
        url = reply.body["links"]["pages"].get("next")
    assert {str(i) for i in seen} == set(ids)
    assert all(d["status"] == "active" for d in sb.instances("digitalocean")[:5])


async def test_seed_10000_linodes(sb: Sandbox, api: Client) -> None:
    ids = sb.seed_instances("linode", 10_000, tag="bench", status="off")
    seen: set[str] = set()
    for page in range(1, 21):
        body = (await api.li("GET", f"/v4/linode/instances?page_size=500&page={page}")).body
        assert body["pages"] == 20 and body["results"] == 10_000
        seen |= {str(i["id"]) for i in body["data"]}
        assert all(i["status"] == "offline" for i in body["data"])
    assert seen == set(ids)


async def test_outside_changes(sb: Sandbox, api: Client) -> None:
    (do_id,) = sb.seed_instances("digitalocean", 1)
    (li_id,) = sb.seed_instances("linode", 1)
    sb.set_status("digitalocean", do_id, "off")
    sb.set_status("linode", li_id, "offline")
    assert (await api.do("GET", f"/v2/droplets/{do_id}")).body["droplet"]["status"] == "off"
    assert (await api.li("GET", f"/v4/linode/instances/{li_id}")).body["status"] == "offline"
    sb.remove_instance("digitalocean", do_id)
    sb.remove_instance("linode", li_id)
    assert (await api.do("GET", f"/v2/droplets/{do_id}")).status == 404
    assert (await api.li("GET", f"/v4/linode/instances/{li_id}")).status == 404


async def test_request_log_and_counts(sb: Sandbox, api: Client) -> None:
    await api.do("GET", "/v2/droplets?tag_name=x")
    await api.do("GET", "/v2/sizes")
    await api.li("GET", "/v4/regions")
    assert sb.request_count("digitalocean") == 2
    assert sb.request_count("digitalocean", method="get", path_prefix="/v2/droplets") == 1
    provider, method, path, query, status = sb.requests[0]
    assert (provider, method, path, query, status) == (
        "digitalocean",
        "GET",
        "/v2/droplets",
        {"tag_name": "x"},
        200,
    )


async def test_reset_restores_initial_state(sb: Sandbox, api: Client) -> None:
    sb.seed_instances("linode", 3)
    sb.seed_images("digitalocean", 5)
    sb.inject("digitalocean", status=500)
    sb.reset()
    assert sb.instances("linode") == []
    assert (await api.do("GET", "/v2/images?per_page=200")).body["meta"]["total"] == 14
    assert sb.request_count("digitalocean") == 1


async def test_control_api_over_http(sb: Sandbox, api: Client) -> None:
    info = (await api.ctl("GET", "")).body
    assert info["digitalocean"]["url"] == sb.digitalocean_url
    assert info["linode"]["token"] == "sandbox-linode-token"

    added = await api.ctl(
        "POST", "/faults", json={"provider": "digitalocean", "path": "/v2/account", "status": 502}
    )
    assert added.status == 201
    assert len((await api.ctl("GET", "/faults")).body["faults"]) == 1
    assert (await api.do("GET", "/v2/account")).status == 502
    await api.ctl("POST", "/faults", json={"provider": "linode", "status": 500, "count": 5})
    assert (await api.ctl("DELETE", "/faults")).status == 200
    assert (await api.li("GET", "/v4/profile")).status == 200
    bad = await api.ctl("POST", "/faults", json={"provider": "nope"})
    assert bad.status == 400 and "error" in bad.body

    seeded = await api.ctl("POST", "/seed", json={"provider": "linode", "n": 3, "tag": "ctl"})
    assert seeded.status == 201 and len(seeded.body["ids"]) == 3
    images = await api.ctl("POST", "/seed", json={"provider": "linode", "n": 2, "images": True})
    assert len(images.body["images"]) == 2

    created = await api.li(
        "POST",
        "/v4/linode/instances",
        json={
            "label": "ctl-1",
            "region": "us-east",
            "type": "g6-nanode-1",
            "image": "linode/debian12",
            "root_pass": "Sup3r-Secret",
        },
    )
    assert (await api.ctl("POST", "/advance", json={"seconds": 25})).status == 200
    assert (await api.li("GET", f"/v4/linode/instances/{created.body['id']}")).body[
        "status"
    ] == "running"
    assert (await api.ctl("POST", "/advance", json={"seconds": "soon"})).status == 400

    inst_id = seeded.body["ids"][0]
    status = await api.ctl(
        "POST", f"/instances/linode/{inst_id}/status", json={"status": "offline"}
    )
    assert status.status == 200
    listed = (await api.ctl("GET", "/instances/linode")).body["instances"]
    assert {i["id"]: i["status"] for i in listed}[int(inst_id)] == "offline"
    assert (await api.ctl("DELETE", f"/instances/linode/{inst_id}")).status == 200
    assert (await api.ctl("DELETE", f"/instances/linode/{inst_id}")).status == 404

    log = (await api.ctl("GET", "/requests?provider=linode&method=GET")).body
    assert log["count"] == len(log["requests"]) >= 2
    assert {"provider", "method", "path", "query", "status"} == set(log["requests"][0])
    await api.ctl("DELETE", "/requests")
    assert sb.requests == []
    assert (await api.ctl("POST", "/reset")).status == 200
    assert sb.instances("linode") == []


def test_module_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "standins.sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "--port" in out.stdout and "--rate-limit" in out.stdout


def test_main_rejects_bad_rate_limit() -> None:
    try:
        main(["--rate-limit", "lots"])
    except SystemExit as exc:
        assert exc.code == 2
    else:  # pragma: no cover
        raise AssertionError("expected a usage error")


async def test_serve_forever_prints_urls_and_serves(capsys: object) -> None:
    task = asyncio.create_task(serve_forever("127.0.0.1", 0, provision_seconds=1.0))
    for _ in range(50):
        await asyncio.sleep(0.05)
        out = capsys.readouterr().out  # type: ignore[attr-defined]
        if out:
            break
    assert "sandbox-digitalocean-token" in out and "sandbox-linode-token" in out
    url = out.split("listening on ")[1].split()[0]
    async with aiohttp.ClientSession() as session, session.get(url + "/_sandbox") as resp:
        assert resp.status == 200
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.com", "::"])
def test_the_sandbox_refuses_to_listen_beyond_loopback(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from standins.sandbox.cli import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--host", host])
    assert "not a loopback address" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_inside_a_container_the_sandbox_listens_on_its_network_when_told(host: str) -> None:
    from standins.sandbox.cli import parse_args

    args = parse_args(["--container-network", "--host", host])
    assert (args.host, args.container_network) == (host, True)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.9", "::1", "localhost"])
def test_the_sandbox_listens_on_loopback(host: str) -> None:
    from standins.sandbox.cli import parse_args

    assert parse_args(["--host", host]).host == host
