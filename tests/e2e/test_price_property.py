"""One price everywhere, over both providers (an exhaustive table).

For every (plan, region, backups on/off) that `/vps create` offers — plans
imported from the sandbox clouds through the real providers with a 20 % markup,
regions as step 1 lists them, backups where the plan has a backups price — the
price step 1 shows (plus the surcharge shown next to the Backups checkbox) is
the price the review shows, the price the claim charges on the instance row,
and what `/vps cost`, the Home tab and the budget check sum for that server (and
what its Details show).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.create import service
from bot.create.catalog import gather
from bot.create.draft import Draft
from bot.create.drafts import DraftState
from bot.create.finish import with_policy
from bot.create.views import config_view, plan_view, review_view
from bot.home.service import cost_report, home_data
from bot.home.views import home_view
from bot.servers import service as servers
from bot.servers.details import details_message
from bot.spend import cost
from db.models import VpsInstance
from db.repo import drafts, spend
from tests.e2e.conftest import TEAM, USER, Bot

_PRICE = re.compile(r"\*Price:\* \$([\d,.]+)/mo \(\$([\d.]+)/h\)")
_SURCHARGE = re.compile(r"\+\$([\d,.]+)/mo \(\+\$([\d.]+)/h\)")
_REVIEW = re.compile(r"\*Cost:\* \$([\d.]+)/hour · \$([\d,.]+)/month")


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _texts(view: Any) -> str:
    return str(view.to_dict() if hasattr(view, "to_dict") else view)


def _step1(view: Any) -> tuple[Decimal, Decimal]:
    found = _PRICE.search(_texts(view))
    assert found, "step 1 shows no price"
    return _money(found[1]), _money(found[2])


def _surcharge(view: Any) -> tuple[Decimal, Decimal]:
    options = next(b for b in view.to_dict()["blocks"] if b.get("block_id") == "options")
    backups = next(o for o in options["element"]["options"] if o["value"] == "backups")
    found = _SURCHARGE.search(backups["description"]["text"])
    assert found, backups
    return _money(found[1]), _money(found[2])


async def _claim_and_sum(
    bot: Bot, data: Any, row: Any, view_id: str, now: datetime
) -> dict[str, Any]:
    """Claim the create as the review's Create does, then read every sum back."""
    async with bot.services.db.connect() as conn:
        await drafts.save(
            conn,
            view_id=view_id,
            team_id=TEAM,
            user_id=USER,
            channel_id="C1",
            step="review",
            data=data.draft.store(),
        )
    claim = await service.claim(
        bot.services,
        view_id=view_id,
        data=data,
        row=row,
        team_id=TEAM,
        user_id=USER,
        channel_id="C1",
        clock=lambda: now,
    )
    assert claim is not None
    start, end = cost.month_bounds(now)
    async with bot.services.db.session() as session:
        server = await session.get(VpsInstance, claim.instance_id)
        standing = await spend.standing(session, TEAM, USER, start, end)
    report = await cost_report(bot.services, TEAM, USER, now, admin=False)
    home = _texts(home_view(await home_data(bot.services, TEAM, USER, now)))
    found = await servers.details(bot.services, TEAM, claim.instance_id)
    assert found is not None
    shown = str(details_message(found[0], [])[1])
    async with bot.services.db.session() as session, session.begin():
        await session.delete(await session.get(VpsInstance, claim.instance_id))
    assert server is not None
    return {
        "row": server,
        "standing": standing,
        "report": report,
        "home": home,
        "details": shown,
    }


async def test_every_offered_price_is_the_same_everywhere(bot: Bot) -> None:
    # the Home tab asks Slack whether the member is an admin: answer it once
    bot.services.admin_verdicts[(TEAM, USER)] = False
    checked = {"digitalocean": 0, "linode": 0}
    with_backups = 0
    number = 0
    for type_ in ("digitalocean", "linode"):
        base, row, _ = await gather(
            bot.services, Draft(provider_id=bot.provider_id(type_)), "plan", team_id=TEAM
        )
        assert row is not None and base.plans
        probe, _, _ = await gather(
            bot.services,
            Draft(provider_id=bot.provider_id(type_), plan_id=base.plans[0].id),
            "plan",
            team_id=TEAM,
        )
        for plan in base.plans:
            draft = Draft(provider_id=row and str(row.id), plan_id=plan.id, label="priced")
            step = dataclasses.replace(base, draft=draft, regions=probe.regions)
            offered = [
                o["value"]
                for b in plan_view(step).to_dict()["blocks"]
                if b.get("block_id") == "region"
                for o in b["element"]["options"]
            ]
            for region in offered:
                for backups in (False, True):
                    if backups and plan.backups_in(region) is None:
                        continue
                    number += 1
                    now = datetime.now(UTC)
                    chosen = draft.model_copy(update={"region": region, "backups": backups})
                    data = dataclasses.replace(step, draft=chosen)
                    monthly, hourly = _step1(plan_view(data))
                    if backups:
                        extra = _surcharge(config_view(data))
                        monthly, hourly = monthly + extra[0], hourly + extra[1]
                        with_backups += 1
                    state = DraftState(f"VPROP{number}", TEAM, USER, "C1", "review", chosen)
                    await with_policy(bot.services, state, "review", data)
                    review = _REVIEW.search(_texts(review_view(data)))
                    assert review, data.spend
                    where = (type_, plan.provider_plan_id, region, backups)
                    assert (_money(review[2]), _money(review[1])) == (monthly, hourly), where
                    sums = await _claim_and_sum(bot, data, row, f"VPROP{number}", now)
                    charged = sums["row"]
                    assert (charged.price_monthly, charged.price_hourly) == (monthly, hourly), where
                    assert f"${monthly:.2f}/mo" in sums["home"], where
                    assert f"${monthly:.2f}/mo" in sums["details"], where
                    assert f"${hourly:.4f}/h" in sums["details"], where
                    expected = cost.projected(cost.Usage(now, None, hourly, monthly), now)
                    assert sums["report"].mine.projected == expected, where
                    assert sums["standing"].member_projected == expected, where
                    assert sums["standing"].workspace_projected == expected, where
                    checked[type_] += 1
    # both clouds, many regions, and backups priced for most plans
    assert checked["digitalocean"] > 20 and checked["linode"] > 20, checked
    assert with_backups > sum(checked.values()) / 3
