"""Block Kit pieces more than one feature shows: text helpers, plans and images.

Builders only (``slack_sdk.models`` checks Slack's limits): nothing here talks to
Slack, a provider or the database. A plan is shown from a :class:`PlanChoice`,
the price a user pays (base plus markup), made once from its ``vps_plans`` row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, Option, OptionGroup

from db.models import Plan
from providers.models import Image, Region

__all__ = [
    "EOL_NOTICE",
    "MAX_OPTIONS",
    "STATUS_ICONS",
    "PlanChoice",
    "cut",
    "date",
    "esc",
    "grouped",
    "image_option_groups",
    "image_options",
    "image_text",
    "md",
    "money",
    "option_text",
    "plan_choice",
    "plan_option",
    "plan_option_groups",
]

#: Slack's cap on the options of a static select (and of an options load).
MAX_OPTIONS = 100
#: How early an image's end of life is shown next to its name.
EOL_NOTICE = timedelta(days=365)

STATUS_ICONS = {
    "provisioning": ":hourglass_flowing_sand:",
    "running": ":large_green_circle:",
    "stopped": ":black_circle:",
    "rebooting": ":arrows_counterclockwise:",
    "deleting": ":wastebasket:",
    "deleted": ":wastebasket:",
    "error": ":red_circle:",
    "unknown": ":grey_question:",
}


def cut(text: str, limit: int = 75) -> str:
    """``text`` shortened to ``limit`` characters with an ellipsis (Slack rejects longer)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md(text: str, limit: int = 3000) -> MarkdownTextObject:
    """A mrkdwn text object, cut to Slack's limit for a section's text."""
    return MarkdownTextObject(text=cut(text, limit))


#: A formatting character that could open or close bold, italics, strike-through
#: or code: any backtick, and a ``*``, ``_`` or ``~`` beside whitespace, the edge
#: of the text or another such character. One inside a word (``my_server``,
#: ``100%_sure``) formats nothing and is left as typed, so labels copy unchanged.
_LOOSE_MARK = re.compile(r"`|(?<![^\s*_~`])[*_~]|[*_~](?![^\s*_~`])")
#: A zero-width space: beside such a character it is a word boundary, so the
#: character no longer formats, and the text still reads the same.
_ZWSP = "\u200b"


def esc(text: object) -> str:
    """Text someone (a member, an admin, a cloud) supplied, made inert inside mrkdwn.

    Slack's three control characters are escaped, so ``<!channel>``, ``<@U…>`` and
    ``<http://x|y>`` show as typed instead of notifying or linking, and ``&lt;``
    stays four characters; the formatting characters that could format are fenced
    off. Every view puts such text through here (or into a plain_text object,
    which Slack does not parse)."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _LOOSE_MARK.sub(lambda mark: f"{_ZWSP}{mark.group()}{_ZWSP}", escaped)


def date(when: datetime | None, never: str = "—") -> str:
    """A date Slack shows in the reader's time zone (``never`` for None)."""
    if when is None:
        return never
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def money(amount: Decimal | None, unit: str = "mo", places: int = 2) -> str:
    """``$5.00/mo``; a dash when unknown."""
    return "—" if amount is None else f"${amount:.{places}f}/{unit}"


@dataclass(frozen=True)
class PlanChoice:
    """A plan as users see it: specifications and the marked-up price."""

    id: str
    name: str
    provider_plan_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    transfer_gb: int
    monthly: Decimal
    hourly: Decimal
    regions: tuple[str, ...] = ()
    #: (region, monthly, hourly) marked-up prices where the region's differ
    region_prices: tuple[tuple[str, Decimal, Decimal], ...] = ()
    #: the backups add-on, marked up: (monthly, hourly) where no region differs
    #: (None: no published price, backups not offered) and per region where it does
    backups: tuple[Decimal, Decimal] | None = None
    backups_region_prices: tuple[tuple[str, Decimal, Decimal], ...] = ()
    #: the class the provider's create page groups it under ("Basic", "Dedicated CPU")
    family: str = ""
    #: the kind of disk ("SSD", "EBS")
    storage: str = "SSD"

    def backups_in(self, region: str | None) -> tuple[Decimal, Decimal] | None:
        """What backups add in ``region``, (monthly, hourly); None: not offered."""
        found = next((p for p in self.backups_region_prices if p[0] == region), None)
        return (found[1], found[2]) if found else self.backups

    def monthly_in(self, region: str | None) -> Decimal:
        found = next((p for p in self.region_prices if p[0] == region), None)
        return found[1] if found else self.monthly

    def hourly_in(self, region: str | None) -> Decimal:
        found = next((p for p in self.region_prices if p[0] == region), None)
        return found[2] if found else self.hourly

    def runs_in(self, region: Region) -> bool:
        """Whether this plan can be created in ``region`` now: the plan lists the
        region (an empty list means nowhere) and the region offers the plan
        (open, not sold out)."""
        return region.id in self.regions and region.offers(self.provider_plan_id)

    def varies(self) -> bool:
        """Whether some region costs more or less than the base price."""
        return any(monthly != self.monthly for _, monthly, _ in self.region_prices)

    def lowest(self) -> Decimal:
        return min([self.monthly, *(m for _, m, _ in self.region_prices)])

    def _memory(self) -> str:
        return f"{self.memory_mb / 1024:g} GB" if self.memory_mb >= 1024 else f"{self.memory_mb} MB"

    @property
    def title(self) -> str:
        """What the plan is called, without its specifications: the head of its
        name ("Basic", "Linode 2GB", "t3.micro"), else the provider's id."""
        return self.name.split(" · ", 1)[0].strip() or self.provider_plan_id

    def specs(self) -> str:
        """``1 vCPU · 1 GB · 25 GB SSD``: what people compare plans by."""
        disk = f" · {self.disk_gb} GB {self.storage}".rstrip() if self.disk_gb else ""
        return f"{self.vcpus} vCPU · {self._memory()}{disk}"

    def headline(self) -> str:
        """``Basic · 1 vCPU · 1 GB · 25 GB SSD``: the plan as its provider's own
        create page names it, once (review, details, resize)."""
        return f"{self.title} · {self.specs()}"

    def summary(self) -> str:
        transfer = f" · {self.transfer_gb:,} GB transfer" if self.transfer_gb else ""
        return f"{self.vcpus} vCPU · {self._memory()} RAM · {self.disk_gb} GB disk{transfer}"

    def detail(self) -> str:
        """Below a plan option: the provider's id (people who know it search by it)
        and the monthly transfer."""
        transfer = f" · {self.transfer_gb:,} GB transfer" if self.transfer_gb else ""
        return f"{self.provider_plan_id}{transfer}"

    def price(self, region: str | None = None) -> str:
        """The price in ``region``; without one, the base price and whether it varies."""
        if region is None and self.varies():
            return f"from ${self.lowest():.2f}/mo, depending on the region"
        return f"${self.monthly_in(region):.2f}/mo (${self.hourly_in(region):.4f}/h)"


def _hourly(plan: Plan, region: str | None, monthly: Decimal) -> Decimal:
    """The marked-up hourly price: the provider's hourly price in the region,
    marked up in the same proportion as the monthly one."""
    base = plan.base_in(region)
    base_hourly = plan.hourly_base_in(region)
    hourly = base_hourly * monthly / base if base and base_hourly else monthly / 730
    return hourly.quantize(Decimal("0.0001"))


def plan_choice(plan: Plan) -> PlanChoice:
    """The :class:`PlanChoice` of a ``vps_plans`` row: base plus markup, per region
    where the provider's regional price differs."""
    specs: dict[str, Any] = plan.specifications
    monthly = plan.price_in(None)
    region_prices = tuple(
        sorted(
            (region, price, _hourly(plan, region, price))
            for region in plan.region_prices or {}
            for price in (plan.price_in(region),)
        )
    )
    backups_regions = (plan.backups_prices or {}).get("region_prices") or {}
    backups_region_prices = tuple(
        sorted(
            (region, *price)
            for region in backups_regions
            if (price := plan.backups_in(region)) is not None
        )
    )
    return PlanChoice(
        id=str(plan.id),
        name=plan.name,
        provider_plan_id=plan.provider_plan_id,
        vcpus=int(specs.get("vcpus", 0)),
        memory_mb=int(specs.get("memory_mb", 0)),
        disk_gb=int(specs.get("disk_gb", 0)),
        transfer_gb=int(specs.get("transfer_gb", 0)),
        monthly=monthly,
        hourly=_hourly(plan, None, monthly),
        regions=tuple(specs.get("regions") or ()),
        region_prices=region_prices,
        backups=plan.backups_in(None),
        backups_region_prices=backups_region_prices,
        family=str(specs.get("family") or ""),
        storage=str(specs.get("storage") or "SSD"),
    )


def option_text(head: str, price: str) -> str:
    """``Basic · 1 vCPU · 1 GB · 25 GB SSD — $7.20/mo`` within Slack's 75 characters:
    the price always shows whole; only a long name gives way."""
    tail = f" — {price}"
    return cut(head, 75 - len(tail)) + tail


def plan_option(plan: PlanChoice, region: str | None = None) -> Option:
    """A plan in a select as the provider's create page reads: name, specifications
    and price (in ``region``, or "from" the lowest when it varies by region); its id
    and transfer below."""
    if region is None and plan.varies():
        price = f"from ${plan.lowest():.2f}/mo"
    else:
        price = f"${plan.monthly_in(region):.2f}/mo"
    return Option(
        value=plan.id, text=option_text(plan.headline(), price), description=cut(plan.detail())
    )


def grouped(plans: Sequence[PlanChoice], options: Sequence[Option]) -> list[OptionGroup] | None:
    """``options`` (one per plan, in the same order) grouped by the plans' family in
    the order the families first appear (None when the plans have fewer than two
    families: a plain list reads better)."""
    groups: dict[str, list[Option]] = {}
    for plan, option in zip(plans, options, strict=True):
        groups.setdefault(plan.family or "Other", []).append(option)
    if len(groups) < 2:
        return None
    return [OptionGroup(label=cut(name), options=opts) for name, opts in groups.items()]


def _matching(plans: Sequence[PlanChoice], query: str) -> list[PlanChoice]:
    wanted = query.lower()
    return [
        p
        for p in plans
        if wanted in f"{p.provider_plan_id} {p.name} {p.family} {p.summary()}".lower()
    ][:MAX_OPTIONS]


def plan_option_groups(
    plans: Sequence[PlanChoice], query: str, region: str | None = None
) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    """An external select's answer, ``(options, option_groups)``: the plans matching
    ``query`` (by id, name, family or specifications) priced in ``region``, at most
    :data:`MAX_OPTIONS`, grouped by family when there are several."""
    matching = _matching(plans, query)
    options = [plan_option(p, region) for p in matching]
    groups = grouped(matching, options)
    if groups is None:
        return [o.to_dict() for o in options], None
    return None, [g.to_dict() for g in groups]


def image_text(image: Image, now: datetime | None = None) -> str:
    """An image's name, with its end-of-life date when that is near."""
    now = now or datetime.now(UTC)
    if image.eol is not None and image.eol - now <= EOL_NOTICE:
        return cut(f"{image.name} · EOL {image.eol:%Y-%m-%d}")
    return cut(image.name)


def image_options(images: Sequence[Image], now: datetime | None = None) -> list[OptionGroup]:
    """Images grouped by distribution, newest release first (10 before 9)."""
    groups: dict[str, list[Image]] = defaultdict(list)
    for image in images:
        groups[image.distribution or "Other"].append(image)
    out = []
    for name in sorted(groups, key=str.lower):
        ordered = sorted(
            groups[name],
            key=lambda i: (i.version_key, i.created_at.isoformat() if i.created_at else ""),
            reverse=True,
        )
        out.append(
            OptionGroup(
                label=cut(name),
                options=[Option(value=i.id[:150], text=image_text(i, now)) for i in ordered],
            )
        )
    return out


def image_option_groups(images: Sequence[Image], query: str) -> list[dict[str, Any]]:
    """An external select's answer: the images matching ``query``, grouped, at most
    :data:`MAX_OPTIONS` options in all (Slack's cap on one options load)."""
    wanted = query.lower()
    matching = [i for i in images if wanted in f"{i.name} {i.distribution} {i.version}".lower()]
    groups = []
    budget = MAX_OPTIONS
    for group in image_options(matching):
        if budget <= 0:
            break
        group.options = (group.options or [])[:budget]
        budget -= len(group.options)
        groups.append(group.to_dict())
    return groups
