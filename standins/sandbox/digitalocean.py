"""DigitalOcean API v2 emulation: the routes vpsbot uses, shaped like the spec."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from standins.sandbox.common import ApiError, do_error, do_page, read_json
from standins.sandbox.state import DO_ACTION_RESULT, DOState, Droplet, public

__all__ = ["DigitalOceanAPI", "name_error"]

_NAME = re.compile(r"^[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]$")
_TAG = re.compile(r"^[a-zA-Z0-9_\-:]{1,255}$")
_USER_DATA_MAX = 64 * 1024


def name_error(name: Any) -> str | None:
    """Why ``name`` is not a valid droplet name (spec pattern, <= 255 chars)."""
    if not isinstance(name, str) or not name:
        return "Name is required."
    if len(name) > 255 or not _NAME.match(name):
        return "Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)"
    return None


def _unprocessable(message: str) -> ApiError:
    return do_error(422, "unprocessable_entity", message)


def _not_found() -> ApiError:
    return do_error(404, "not_found", "The resource you were accessing could not be found.")


class DigitalOceanAPI:
    """Request handlers over one :class:`DOState`; mounted under ``/digitalocean``."""

    def __init__(self, state: DOState) -> None:
        self.state = state

    def routes(self, prefix: str = "/digitalocean") -> list[web.RouteDef]:
        p = prefix + "/v2"
        return [
            web.get(p + "/account", self.account),
            web.get(p + "/account/keys", self.ssh_keys),
            web.get(p + "/account/keys/{key_id}", self.ssh_key),
            web.get(p + "/sizes", self.sizes),
            web.get(p + "/regions", self.regions),
            web.get(p + "/images", self.images),
            web.get(p + "/images/{image_id}", self.image),
            web.get(p + "/1-clicks", self.one_clicks),
            web.get(p + "/vpcs", self.vpcs),
            web.get(p + "/vpcs/{vpc_id}", self.vpc),
            web.get(p + "/droplets", self.list_droplets),
            web.post(p + "/droplets", self.create_droplet),
            web.delete(p + "/droplets", self.delete_by_tag),
            web.get(p + "/droplets/{droplet_id}", self.get_droplet),
            web.delete(p + "/droplets/{droplet_id}", self.delete_droplet),
            web.get(p + "/droplets/{droplet_id}/actions", self.list_actions),
            web.post(p + "/droplets/{droplet_id}/actions", self.post_action),
            web.get(p + "/droplets/{droplet_id}/actions/{action_id}", self.get_action),
            web.get(p + "/actions/{action_id}", self.get_any_action),
        ]

    # ------------------------------------------------------------------ catalogue
    async def account(self, request: web.Request) -> web.Response:
        return web.json_response({"account": dict(self.state.catalog.account)})

    async def ssh_keys(self, request: web.Request) -> web.Response:
        return web.json_response(do_page(request, self.state.catalog.ssh_keys, "ssh_keys"))

    async def ssh_key(self, request: web.Request) -> web.Response:
        ref = request.match_info["key_id"]
        for key in self.state.catalog.ssh_keys:
            if str(key["id"]) == ref or key["fingerprint"] == ref:
                return web.json_response({"ssh_key": key})
        raise _not_found()

    async def sizes(self, request: web.Request) -> web.Response:
        sizes = [public(s) for s in self.state.catalog.sizes]
        return web.json_response(do_page(request, sizes, "sizes"))

    async def regions(self, request: web.Request) -> web.Response:
        regions = [public(r) for r in self.state.catalog.regions]
        return web.json_response(do_page(request, regions, "regions"))

    async def images(self, request: web.Request) -> web.Response:
        kind = request.query.get("type")
        private = request.query.get("private", "").lower() == "true"
        images = self.state.catalog.images
        if private:
            images = [i for i in images if not i["public"]]
        if kind:
            images = [i for i in images if i["_kind"] == kind]
        tag = request.query.get("tag_name")
        if tag:
            images = [i for i in images if tag in (i.get("tags") or [])]
        return web.json_response(do_page(request, [public(i) for i in images], "images"))

    async def image(self, request: web.Request) -> web.Response:
        image = self.state.catalog.find_image(request.match_info["image_id"])
        if image is None:
            raise _not_found()
        return web.json_response({"image": public(image)})

    async def one_clicks(self, request: web.Request) -> web.Response:
        kind = request.query.get("type")
        apps = [a for a in self.state.catalog.one_clicks if not kind or a["type"] == kind]
        return web.json_response({"1_clicks": apps})

    async def vpcs(self, request: web.Request) -> web.Response:
        return web.json_response(do_page(request, self.state.catalog.vpcs, "vpcs"))

    async def vpc(self, request: web.Request) -> web.Response:
        for vpc in self.state.catalog.vpcs:
            if vpc["id"] == request.match_info["vpc_id"]:
                return web.json_response({"vpc": vpc})
        raise _not_found()

    # ------------------------------------------------------------------ droplets
    def _droplet(self, request: web.Request) -> Droplet:
        try:
            droplet_id = int(request.match_info["droplet_id"])
        except ValueError:
            raise _not_found() from None
        droplet = self.state.droplets.get(droplet_id)
        if droplet is None:
            raise _not_found()
        self.state.settle(droplet)
        return droplet

    async def list_droplets(self, request: web.Request) -> web.Response:
        self.state.settle_all()
        droplets = list(self.state.droplets.values())
        tag = request.query.get("tag_name")
        if tag:
            droplets = [d for d in droplets if tag in d.tags]
        name = request.query.get("name")
        if name:
            droplets = [d for d in droplets if d.name == name]
        page = do_page(request, droplets, "droplets")
        page["droplets"] = [self.state.render(d) for d in page["droplets"]]
        return web.json_response(page)

    async def get_droplet(self, request: web.Request) -> web.Response:
        return web.json_response({"droplet": self.state.render(self._droplet(request))})

    def _validate_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check a create body; the normalised fields, or a 422."""
        catalog = self.state.catalog
        region = body.get("region") or "nyc3"
        if not isinstance(region, str) or region not in catalog.by_region:
            raise _unprocessable("You specified an invalid region for Droplet creation.")
        size = body.get("size")
        if not isinstance(size, str) or size not in catalog.by_size:
            raise _unprocessable("You specified an invalid size for Droplet creation.")
        if not catalog.by_region[region]["available"]:
            raise _unprocessable("This region is not available for new Droplets.")
        if (
            region not in catalog.by_size[size]["regions"]
            or size not in catalog.by_region[region]["sizes"]
        ):
            raise _unprocessable("Size is not available in this region.")
        image_ref = body.get("image")
        image = catalog.find_image(image_ref) if image_ref not in (None, "") else None
        if image is None:
            raise _unprocessable("You specified an invalid image for Droplet creation.")
        if (image.get("min_disk_size") or 0) > catalog.by_size[size]["disk"]:
            raise _unprocessable("This size is not available for the selected image.")
        ssh_keys: list[int] = []
        raw_keys = body.get("ssh_keys") or []
        if not isinstance(raw_keys, list):
            raise _unprocessable("ssh_keys must be an array.")
        for ref in raw_keys:
            key = next(
                (
                    k
                    for k in catalog.ssh_keys
                    if str(k["id"]) == str(ref) or k["fingerprint"] == ref
                ),
                None,
            )
            if key is None:
                raise _unprocessable(f"Invalid key ID or fingerprint: {ref}")
            ssh_keys.append(key["id"])
        tags = body.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise _unprocessable("tags must be an array of strings.")
        for tag in tags:
            if not _TAG.match(tag):
                raise _unprocessable(
                    "tag names must be 1-255 characters: letters, numbers, colons, dashes "
                    "and underscores"
                )
        user_data = body.get("user_data")
        if user_data is not None:
            if not isinstance(user_data, str):
                raise _unprocessable("user_data must be a string.")
            if len(user_data.encode()) > _USER_DATA_MAX:
                raise _unprocessable("user_data must not exceed 64 KiB.")
        vpc_uuid = body.get("vpc_uuid")
        if vpc_uuid:
            vpc = next((v for v in catalog.vpcs if v["id"] == vpc_uuid), None)
            if vpc is None:
                raise _unprocessable("The specified VPC does not exist.")
            if vpc["region"] != region:
                raise _unprocessable("The specified VPC is not in the same region as the Droplet.")
        else:
            default = catalog.default_vpc(region)
            vpc_uuid = default["id"] if default else ""
        for flag in ("backups", "ipv6", "monitoring", "private_networking"):
            if flag in body and not isinstance(body[flag], bool):
                raise _unprocessable(f"{flag} must be a boolean.")
        return {
            "region": region,
            "size": size,
            "image": image,
            "tags": list(dict.fromkeys(tags)),
            "vpc_uuid": vpc_uuid,
            "ssh_keys": ssh_keys,
            "user_data": user_data,
            "backups": bool(body.get("backups")),
            "ipv6": bool(body.get("ipv6")),
            "monitoring": bool(body.get("monitoring")),
            "agent": body.get("with_droplet_agent") is not False,
        }

    async def create_droplet(self, request: web.Request) -> web.Response:
        body = await read_json(request, do_error(400, "bad_request", "Invalid JSON body."))
        if "names" in body:
            names = body["names"]
            if not isinstance(names, list) or not names or len(names) > 10:
                raise _unprocessable("names must be an array of 1 to 10 names.")
        else:
            names = [body.get("name")]
        for name in names:
            problem = name_error(name)
            if problem:
                raise _unprocessable(problem)
        fields = self._validate_create(body)
        created = [self.state.new_droplet(name=name, **fields) for name in names]
        base = f"{request.url.origin()}/digitalocean/v2/actions/"
        links = {
            "actions": [
                {"id": action.id, "rel": "create", "href": f"{base}{action.id}"}
                for _, action in created
            ]
        }
        if "names" in body:
            payload: dict[str, Any] = {
                "droplets": [self.state.render(d) for d, _ in created],
                "links": links,
            }
        else:
            payload = {"droplet": self.state.render(created[0][0]), "links": links}
        return web.json_response(payload, status=202)

    async def delete_droplet(self, request: web.Request) -> web.Response:
        droplet = self._droplet(request)
        self.state.delete(droplet.id)
        return web.Response(status=204)

    async def delete_by_tag(self, request: web.Request) -> web.Response:
        tag = request.query.get("tag_name")
        if not tag:
            raise _unprocessable("tag_name is required to delete Droplets in bulk.")
        for droplet in [d for d in self.state.droplets.values() if tag in d.tags]:
            self.state.delete(droplet.id)
        return web.Response(status=204)

    # ------------------------------------------------------------------ actions
    async def list_actions(self, request: web.Request) -> web.Response:
        droplet = self._droplet(request)
        actions = [self.state.actions[a] for a in reversed(droplet.action_ids)]
        page = do_page(request, actions, "actions")
        page["actions"] = [self.state.render_action(a) for a in page["actions"]]
        return web.json_response(page)

    async def post_action(self, request: web.Request) -> web.Response:
        droplet = self._droplet(request)
        body = await read_json(request, do_error(400, "bad_request", "Invalid JSON body."))
        kind = body.get("type")
        if not isinstance(kind, str) or kind not in DO_ACTION_RESULT or kind == "create":
            raise _unprocessable(f"Action type '{kind}' is not supported.")
        if droplet.pending:
            raise _unprocessable("Droplet already has a pending event.")
        params: dict[str, Any] = {}
        catalog = self.state.catalog
        if kind == "resize":
            size = body.get("size")
            if not isinstance(size, str) or size not in catalog.by_size:
                raise _unprocessable("You specified an invalid size for Droplet resize.")
            if droplet.region not in catalog.by_size[size]["regions"]:
                raise _unprocessable("Size is not available in this region.")
            if droplet.status != "off":
                raise _unprocessable(
                    "Droplet is currently on. Please power it off to run this event."
                )
            params = {"size": size, "disk": bool(body.get("disk"))}
        elif kind == "rebuild":
            image = catalog.find_image(body.get("image"))
            if image is None:
                raise _unprocessable("You specified an invalid image for Droplet rebuild.")
            params = {"image": image}
        elif kind == "rename":
            problem = name_error(body.get("name"))
            if problem:
                raise _unprocessable(problem)
            params = {"name": body["name"]}
        action = self.state.start_action(droplet, kind, params)
        return web.json_response({"action": self.state.render_action(action)}, status=201)

    async def get_action(self, request: web.Request) -> web.Response:
        droplet = self._droplet(request)
        try:
            action_id = int(request.match_info["action_id"])
        except ValueError:
            raise _not_found() from None
        if action_id not in droplet.action_ids:
            raise _not_found()
        return web.json_response(
            {"action": self.state.render_action(self.state.actions[action_id])}
        )

    async def get_any_action(self, request: web.Request) -> web.Response:
        try:
            action = self.state.actions[int(request.match_info["action_id"])]
        except (ValueError, KeyError):
            raise _not_found() from None
        return web.json_response({"action": self.state.render_action(action)})
