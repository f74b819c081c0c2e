"""Linode API v4 emulation: the routes vpsbot uses, shaped like the spec."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aiohttp import web

from standins.sandbox.catalog import type_available
from standins.sandbox.common import TOKEN, ApiError, linode_error, linode_page, read_json
from standins.sandbox.ratelimit import Budget
from standins.sandbox.state import LinodeInstance, LinodeState

__all__ = ["LinodeAPI", "apply_filter", "label_error", "password_error", "type_available"]

_LABEL_CHARS = re.compile(r"^[a-zA-Z0-9\-_.]+$")
_IDLE = ("running", "offline", "stopped")
_MISSING = object()


def label_error(label: Any) -> str | None:
    """Why ``label`` breaks Linode's label rules, or None."""
    if not isinstance(label, str):
        return "Label must be a string"
    if not 3 <= len(label) <= 64:
        return "Length must be 3-64 characters"
    if not label[0].isascii() or not label[0].isalpha():
        return "Label must begin with a letter"
    if not _LABEL_CHARS.match(label):
        return (
            "Label can only contain ASCII letters, numbers, dashes (-), "
            "underscores (_) and periods (.)"
        )
    if "--" in label or "__" in label or ".." in label:
        return "Label must not contain two dashes, underscores or periods in a row"
    return None


def password_error(password: Any) -> str | None:
    """Why ``password`` fails Linode's root_pass rules, or None.

    The live API asks for 11-128 characters (its published spec still says 7)
    and three of four character classes.
    """
    if not isinstance(password, str):
        return "root_pass must be a string"
    if not 11 <= len(password) <= 128:
        return "Length must be 11-128 characters"
    classes = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    if sum(classes) < 3:
        return "Password does not meet strength requirement."
    return None


# --------------------------------------------------------------------------- X-Filter


def _lookup(item: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(item, dict) or part not in item:
            return _MISSING
        item = item[part]
    return item


def _equal(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):
        return any(_equal(v, wanted) for v in value)
    if value == wanted and type(value) is type(wanted):
        return True
    if isinstance(value, bool) or isinstance(wanted, bool):
        return False
    return value is not None and wanted is not None and str(value) == str(wanted)


def _compare(value: Any, op: str, operand: Any) -> bool:
    if op == "+or":
        return isinstance(operand, list) and any(_condition(value, c) for c in operand)
    if op == "+contains":
        items = value if isinstance(value, list) else [value]
        return any(str(operand).lower() in str(v).lower() for v in items if v is not None)
    if op == "+neq":
        return not _equal(value, operand)
    try:
        if op == "+gt":
            return bool(value > operand)
        if op == "+gte":
            return bool(value >= operand)
        if op == "+lt":
            return bool(value < operand)
        if op == "+lte":
            return bool(value <= operand)
    except TypeError:
        return False
    raise linode_error(400, f"Unknown filter operator {op}")


def _condition(value: Any, cond: Any) -> bool:
    if value is _MISSING:
        return False
    if isinstance(cond, dict):
        if cond and all(k.startswith("+") for k in cond):
            return all(_compare(value, op, operand) for op, operand in cond.items())
        return isinstance(value, dict) and apply_filter_one(value, cond)
    return _equal(value, cond)


def apply_filter_one(item: dict[str, Any], flt: dict[str, Any]) -> bool:
    """Whether ``item`` passes X-Filter ``flt`` (equality, +and/+or and operators)."""
    for key, cond in flt.items():
        if key in ("+order_by", "+order"):
            continue
        if key in ("+and", "+or"):
            if not isinstance(cond, list):
                raise linode_error(400, f"{key} must be an array")
            results = (isinstance(c, dict) and apply_filter_one(item, c) for c in cond)
            if not (all(results) if key == "+and" else any(results)):
                return False
        elif not _condition(_lookup(item, key), cond):
            return False
    return True


def apply_filter(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter and sort ``items`` by the request's ``X-Filter`` header, if any."""
    raw = request.headers.get("X-Filter")
    if not raw:
        return items
    try:
        flt = json.loads(raw)
    except ValueError:
        raise linode_error(400, "The filter is not valid JSON", "X-Filter") from None
    if not isinstance(flt, dict):
        raise linode_error(400, "The filter must be a JSON object", "X-Filter")
    found = [item for item in items if apply_filter_one(item, flt)]
    order_by = flt.get("+order_by")
    if isinstance(order_by, str):
        reverse = flt.get("+order", "asc") == "desc"

        def key(item: dict[str, Any]) -> tuple[int, str, float]:
            value = _lookup(item, order_by)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return (1, "", float(value))
            if value is _MISSING or value is None:
                return (0, "", 0.0)
            return (2, str(value), 0.0)

        found.sort(key=key, reverse=reverse)
    return found


# --------------------------------------------------------------------------- handlers


def _not_found() -> ApiError:
    return linode_error(404, "Not found")


class LinodeAPI:
    """Request handlers over one :class:`LinodeState`; mounted under ``/linode``."""

    def __init__(self, state: LinodeState, create_budget: Budget | None) -> None:
        self.state = state
        self.create_budget = create_budget

    def routes(self, prefix: str = "/linode") -> list[web.RouteDef]:
        p = prefix + "/v4"
        i = p + "/linode/instances/{linode_id}"
        return [
            web.get(p + "/profile", self.profile),
            web.get(p + "/profile/sshkeys", self.ssh_keys),
            web.get(p + "/profile/sshkeys/{key_id}", self.ssh_key),
            web.get(p + "/linode/types", self.types),
            web.get(p + "/linode/types/{type_id}", self.type_),
            web.get(p + "/regions", self.regions),
            web.get(p + "/regions/availability", self.availability),
            web.get(p + "/regions/{region_id}", self.region),
            web.get(p + "/images", self.images),
            web.get(p + "/images/{vendor}/{name}", self.image),
            web.get(p + "/linode/stackscripts", self.stackscripts),
            web.get(p + "/linode/stackscripts/{script_id}", self.stackscript),
            web.get(p + "/linode/instances", self.list_instances),
            web.post(p + "/linode/instances", self.create_instance),
            web.get(i, self.get_instance),
            web.put(i, self.update_instance),
            web.delete(i, self.delete_instance),
            web.post(i + "/boot", self.boot),
            web.post(i + "/shutdown", self.shutdown),
            web.post(i + "/reboot", self.reboot),
            web.post(i + "/rebuild", self.rebuild),
            web.post(i + "/resize", self.resize),
            web.get(p + "/account/events", self.events),
            web.get(p + "/account/events/{event_id}", self.event),
        ]

    def _listing(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        return web.json_response(linode_page(request, apply_filter(request, items)))

    @staticmethod
    def _one(items: list[dict[str, Any]], key: str, value: str) -> web.Response:
        for item in items:
            if str(item[key]) == value:
                return web.json_response(item)
        raise _not_found()

    # ------------------------------------------------------------------ catalogue
    async def profile(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.catalog.profile)

    async def ssh_keys(self, request: web.Request) -> web.Response:
        return self._listing(request, self.state.catalog.ssh_keys)

    async def ssh_key(self, request: web.Request) -> web.Response:
        return self._one(self.state.catalog.ssh_keys, "id", request.match_info["key_id"])

    async def types(self, request: web.Request) -> web.Response:
        return self._listing(request, self.state.catalog.types)

    async def type_(self, request: web.Request) -> web.Response:
        return self._one(self.state.catalog.types, "id", request.match_info["type_id"])

    async def regions(self, request: web.Request) -> web.Response:
        return self._listing(request, self.state.catalog.regions)

    async def availability(self, request: web.Request) -> web.Response:
        return self._listing(request, self.state.catalog.availability())

    async def region(self, request: web.Request) -> web.Response:
        return self._one(self.state.catalog.regions, "id", request.match_info["region_id"])

    async def images(self, request: web.Request) -> web.Response:
        return self._listing(request, self.state.catalog.images)

    async def image(self, request: web.Request) -> web.Response:
        image_id = f"{request.match_info['vendor']}/{request.match_info['name']}"
        return self._one(self.state.catalog.images, "id", image_id)

    async def stackscripts(self, request: web.Request) -> web.Response:
        return self._listing(request, self.state.catalog.stackscripts)

    async def stackscript(self, request: web.Request) -> web.Response:
        return self._one(self.state.catalog.stackscripts, "id", request.match_info["script_id"])

    # ------------------------------------------------------------------ instances
    def _instance(self, request: web.Request) -> LinodeInstance:
        try:
            inst = self.state.instances.get(int(request.match_info["linode_id"]))
        except ValueError:
            inst = None
        if inst is None:
            raise _not_found()
        self.state.settle(inst)
        return inst

    async def list_instances(self, request: web.Request) -> web.Response:
        self.state.settle_all()
        raw = request.headers.get("X-Filter")
        instances = list(self.state.instances.values())
        if not raw:  # render only the requested page
            page = linode_page(request, instances)
            page["data"] = [self.state.render(i) for i in page["data"]]
            return web.json_response(page)
        # Cheap pre-filter on the common single-field filters before rendering.
        try:
            flt = json.loads(raw)
        except ValueError:
            flt = None
        if isinstance(flt, dict) and isinstance(flt.get("tags"), str):
            instances = [i for i in instances if flt["tags"] in i.tags]
        if isinstance(flt, dict) and isinstance(flt.get("label"), str):
            instances = [i for i in instances if i.label == flt["label"]]
        return self._listing(request, [self.state.render(i) for i in instances])

    async def get_instance(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.render(self._instance(request)))

    def _check_image_and_password(
        self, body: dict[str, Any], errors: list[dict[str, str]], *, require: bool
    ) -> dict[str, Any] | None:
        """Validate image, root_pass and StackScript fields; the StackScript, if any."""
        catalog = self.state.catalog
        image = body.get("image")
        script: dict[str, Any] | None = None
        if image is not None and (not isinstance(image, str) or catalog.find_image(image) is None):
            errors.append({"field": "image", "reason": "image is not valid"})
        elif image is None and require:
            errors.append({"field": "image", "reason": "image is required"})
        if image is not None or require:
            root_pass = body.get("root_pass")
            if root_pass is None:
                errors.append({"field": "root_pass", "reason": "root_pass is required"})
            else:
                problem = password_error(root_pass)
                if problem:
                    errors.append({"field": "root_pass", "reason": problem})
        keys = body.get("authorized_keys")
        if keys is not None and (
            not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys)
        ):
            errors.append({"field": "authorized_keys", "reason": "Must be a list of SSH keys"})
        script_id = body.get("stackscript_id")
        if script_id is not None:
            script = catalog.find_stackscript(script_id)
            if script is None:
                errors.append({"field": "stackscript_id", "reason": "StackScript not found"})
                return None
            if image is None:
                errors.append(
                    {"field": "image", "reason": "image is required when deploying a StackScript"}
                )
            elif image not in script["images"] and "any/all" not in script["images"]:
                errors.append(
                    {
                        "field": "image",
                        "reason": f"Image {image} is not compatible with StackScript {script_id}",
                    }
                )
            data = body.get("stackscript_data") or {}
            if not isinstance(data, dict):
                errors.append({"field": "stackscript_data", "reason": "Must be an object"})
                return script
            for udf in script["user_defined_fields"]:
                value = data.get(udf["name"])
                if value in (None, ""):
                    if "default" not in udf:
                        errors.append(
                            {
                                "field": f"stackscript_data.{udf['name']}",
                                "reason": f"{udf['label']} is required",
                            }
                        )
                    continue
                if "oneOf" in udf and str(value) not in udf["oneOf"].split(","):
                    errors.append(
                        {
                            "field": f"stackscript_data.{udf['name']}",
                            "reason": f"Must be one of {udf['oneOf']}",
                        }
                    )
                if "manyOf" in udf:
                    allowed = udf["manyOf"].split(",")
                    if any(v not in allowed for v in str(value).split(",")):
                        errors.append(
                            {
                                "field": f"stackscript_data.{udf['name']}",
                                "reason": f"Must be some of {udf['manyOf']}",
                            }
                        )
        return script

    async def create_instance(self, request: web.Request) -> web.Response:
        body = await read_json(request, linode_error(400, "Invalid JSON"))
        catalog = self.state.catalog
        errors: list[dict[str, str]] = []
        region = body.get("region")
        if region is None:
            errors.append({"field": "region", "reason": "region is required"})
        elif region not in catalog.by_region:
            errors.append({"field": "region", "reason": "region is not valid"})
        type_id = body.get("type")
        if type_id is None:
            errors.append({"field": "type", "reason": "type is required"})
        elif type_id not in catalog.by_type:
            errors.append({"field": "type", "reason": "A valid plan type by that ID was not found"})
        elif region in catalog.by_region and not type_available(
            catalog.by_type[type_id], catalog.by_region[region]
        ):
            errors.append(
                {"field": "type", "reason": f"{type_id} is not available in region {region}"}
            )
        elif (region, type_id) in catalog.sold_out:
            errors.append(
                {
                    "field": "type",
                    "reason": f"{type_id} is sold out in {region}; try another region",
                }
            )
        label = body.get("label")
        if label is not None:
            problem = label_error(label)
            if problem:
                errors.append({"field": "label", "reason": problem})
            elif self.state.label_taken(label):
                errors.append(
                    {"field": "label", "reason": "Label must be unique among your linodes"}
                )
        self._check_image_and_password(body, errors, require=False)
        tags = body.get("tags") or []
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and 3 <= len(t) <= 50 for t in tags
        ):
            errors.append({"field": "tags", "reason": "Tags must be strings of 3-50 characters"})
        has_user_data = False
        metadata = body.get("metadata")
        if isinstance(metadata, dict) and metadata.get("user_data") is not None:
            try:
                base64.b64decode(str(metadata["user_data"]), validate=True)
                has_user_data = True
            except (binascii.Error, ValueError):
                errors.append(
                    {"field": "metadata.user_data", "reason": "user_data must be valid base64"}
                )
        for flag in ("booted", "private_ip", "backups_enabled"):
            if flag in body and not isinstance(body[flag], bool):
                errors.append({"field": flag, "reason": "Must be a boolean"})
        if errors:
            raise ApiError(400, {"errors": errors})
        if self.create_budget is not None:  # only valid creates count (about 10 per 30 s)
            verdict = self.create_budget.hit(request.get(TOKEN, ""))
            if not verdict.allowed:
                raise ApiError(
                    429,
                    {"errors": [{"reason": "Too Many Requests"}]},
                    {"Retry-After": str(verdict.retry_after)},
                )
        inst = self.state.new_instance(
            booted=body.get("booted", True) is not False and body.get("image") is not None,
            label=label or "",
            region=region,
            type=type_id,
            image=body.get("image"),
            tags=list(dict.fromkeys(tags)),
            private_ip=bool(body.get("private_ip")),
            has_user_data=has_user_data,
            backups_enabled=bool(body.get("backups_enabled")),
            group=str(body.get("group") or ""),
        )
        return web.json_response(self.state.render(inst))

    async def update_instance(self, request: web.Request) -> web.Response:
        inst = self._instance(request)
        body = await read_json(request, linode_error(400, "Invalid JSON"))
        errors: list[dict[str, str]] = []
        if "label" in body:
            problem = label_error(body["label"])
            if problem:
                errors.append({"field": "label", "reason": problem})
            elif self.state.label_taken(body["label"], besides=inst.id):
                errors.append(
                    {"field": "label", "reason": "Label must be unique among your linodes"}
                )
        if "tags" in body and (
            not isinstance(body["tags"], list) or not all(isinstance(t, str) for t in body["tags"])
        ):
            errors.append({"field": "tags", "reason": "Must be a list of strings"})
        if errors:
            raise ApiError(400, {"errors": errors})
        if "label" in body:
            inst.label = body["label"]
        if "tags" in body:
            inst.tags = list(dict.fromkeys(body["tags"]))
        if isinstance(body.get("watchdog_enabled"), bool):
            inst.watchdog_enabled = body["watchdog_enabled"]
        if isinstance(body.get("group"), str):
            inst.group = body["group"]
        inst.updated = self.state.clock.now()
        return web.json_response(self.state.render(inst))

    async def delete_instance(self, request: web.Request) -> web.Response:
        inst = self._instance(request)
        self.state.delete(inst.id)
        self.state.event("linode_delete", inst, duration=0.0)
        return web.json_response({})

    # ------------------------------------------------------------------ actions
    def _idle(self, request: web.Request) -> LinodeInstance:
        inst = self._instance(request)
        if inst.status not in _IDLE:
            raise linode_error(400, "Linode busy.")
        return inst

    async def boot(self, request: web.Request) -> web.Response:
        self.state.run_action(self._idle(request), "linode_boot")
        return web.json_response({})

    async def shutdown(self, request: web.Request) -> web.Response:
        self.state.run_action(self._idle(request), "linode_shutdown")
        return web.json_response({})

    async def reboot(self, request: web.Request) -> web.Response:
        self.state.run_action(self._idle(request), "linode_reboot")
        return web.json_response({})

    async def rebuild(self, request: web.Request) -> web.Response:
        inst = self._idle(request)
        body = await read_json(request, linode_error(400, "Invalid JSON"))
        errors: list[dict[str, str]] = []
        self._check_image_and_password(body, errors, require=True)
        if errors:
            raise ApiError(400, {"errors": errors})
        self.state.run_action(inst, "linode_rebuild", {"image": body["image"]})
        return web.json_response(self.state.render(inst))

    async def resize(self, request: web.Request) -> web.Response:
        inst = self._idle(request)
        body = await read_json(request, linode_error(400, "Invalid JSON"))
        type_id = body.get("type")
        if type_id is None:
            raise linode_error(400, "type is required", "type")
        if type_id not in self.state.catalog.by_type:
            raise linode_error(400, "A valid plan type by that ID was not found", "type")
        if type_id == inst.type:
            raise linode_error(400, "Linode is already running this service plan.", "type")
        self.state.run_action(inst, "linode_resize", {"type": type_id})
        return web.json_response({})

    # ------------------------------------------------------------------ events
    async def events(self, request: web.Request) -> web.Response:
        now = self.state.clock.now()
        events = sorted(
            (e for e in self.state.events.values() if e.start <= now),
            key=lambda e: (e.start, e.id),
            reverse=True,
        )
        return self._listing(request, [self.state.render_event(e) for e in events])

    async def event(self, request: web.Request) -> web.Response:
        try:
            ev = self.state.events[int(request.match_info["event_id"])]
        except (ValueError, KeyError):
            raise _not_found() from None
        return web.json_response(self.state.render_event(ev))
