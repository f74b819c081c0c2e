"""Charts into Slack: uploaded privately, shown with an image block's ``slack_file``.

Why not a public URL: a server's graphs and a workspace's spend are not for anyone
who guesses a link, and vpsbot would need a public, signed, expiring file endpoint.
Slack's external upload (``files.getUploadURLExternal``, a POST of the bytes to the
URL it returns, ``files.completeUploadExternal`` without a channel) keeps the file
private to the app; an image block then names it by id. Needs the ``files:write``
scope. slack_sdk's ``files_upload_v2`` makes exactly those three requests.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import ImageBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.charts import ALT_TEXT_MAX, Chart

__all__ = [
    "PROCESSING_WAITS",
    "chart_block",
    "publish_with_file",
    "respond_with_file",
    "upload_chart",
]

log = logging.getLogger(__name__)


async def upload_chart(client: AsyncWebClient, chart: Chart, filename: str) -> str | None:
    """Upload ``chart``'s PNG, shared with no channel; its file id, or None (logged)
    when Slack refused (a missing ``files:write`` scope, an outage)."""
    try:
        done = await client.files_upload_v2(
            content=chart.png, filename=filename, title=chart.title, alt_txt=chart.alt_text
        )
    except (SlackApiError, SlackRequestError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        log.warning("chart upload refused", extra={"error": error, "chart": filename})
        return None
    file = done.get("file")
    file_id = file.get("id") if isinstance(file, dict) else None
    return str(file_id) if file_id else None


def chart_block(file_id: str, chart: Chart, *, block_id: str | None = None) -> ImageBlock:
    """The image block that shows an uploaded chart, with its figures as alt text."""
    return ImageBlock(
        slack_file={"id": file_id},
        alt_text=chart.alt_text[:ALT_TEXT_MAX],
        title=chart.title[:ALT_TEXT_MAX],
        block_id=block_id,
    )


#: Seconds to wait before each new try while Slack is still processing an upload.
PROCESSING_WAITS = (0.25, 0.5, 1.0, 2.0)


def _not_ready(body: str) -> bool:
    return "invalid_blocks" in body or "slack file" in body or "slack_file" in body


async def respond_with_file(respond: AsyncRespond, **message: Any) -> bool:
    """Post ``message`` (naming an uploaded file) to the response_url; Slack finishes an
    upload after ``files.completeUploadExternal`` answers and refuses blocks that name
    it until then (``invalid_blocks``), so a refusal is tried again a few times."""
    for wait in (0.0, *PROCESSING_WAITS):
        if wait:
            await asyncio.sleep(wait)
        try:
            result = await respond(**message)
        except (ValueError, TypeError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("no reply through response_url: %s", type(exc).__name__)
            return False
        if getattr(result, "status_code", 200) == 200:
            return True
        if not _not_ready(str(getattr(result, "body", ""))):
            return False
    log.warning("a chart was never accepted by Slack")
    return False


async def publish_with_file(client: AsyncWebClient, user_id: str, view: View) -> bool:
    """``views.publish`` of a Home naming an uploaded file, tried again while Slack
    is still processing the upload (see :func:`respond_with_file`)."""
    for wait in (0.0, *PROCESSING_WAITS):
        if wait:
            await asyncio.sleep(wait)
        try:
            await client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            if not _not_ready(str(exc.response.data)):
                log.warning("views.publish with a chart failed: %s", exc.response.get("error"))
                return False
            continue
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("views.publish with a chart failed: %s", type(exc).__name__)
            return False
        return True
    return False
