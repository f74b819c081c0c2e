"""Charts into Slack: uploaded privately, shown with an image block's ``slack_file``.

Why not a public URL: a server's graphs and a workspace's spend are not for anyone
who guesses a link, and vpsbot would need a public, signed, expiring file endpoint.
Slack's external upload (``files.getUploadURLExternal``, a POST of the bytes to the
URL it returns, ``files.completeUploadExternal`` without a channel) keeps the file
private to the app; an image block then names it by id. Needs the ``files:write``
scope. slack_sdk's ``files_upload_v2`` makes exactly those three requests.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import ImageBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.charts import ALT_TEXT_MAX, Chart

__all__ = ["chart_block", "upload_chart"]

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
