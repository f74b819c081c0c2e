# vpsbot's image: slim, non-root, no compiler, the runtime dependencies only (the versions
# CI tested, from constraints.txt). Migrations are a separate command:
#   docker run --rm --env-file .env vpsbot migrate
#   docker run -d --env-file .env -p 3000:3000 vpsbot            (= vpsbot serve)
# Needs DATABASE_URL, VPSBOT_ENCRYPTION_KEYS, SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.

FROM python:3.13-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY providers ./providers
COPY db ./db
RUN python -m venv /opt/vpsbot \
    && /opt/vpsbot/bin/pip install --no-cache-dir --constraint constraints.txt . \
    && /opt/vpsbot/bin/python -m compileall -q /opt/vpsbot

FROM python:3.13-slim
LABEL org.opencontainers.image.title="vpsbot" \
      org.opencontainers.image.description="Slack chat-ops bot for VPS servers on DigitalOcean and Linode" \
      org.opencontainers.image.licenses="MIT"
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/vpsbot vpsbot
COPY --from=build /opt/vpsbot /opt/vpsbot
ENV PATH=/opt/vpsbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    VPSBOT_DATA_DIR=/home/vpsbot/data
USER 10001:10001
WORKDIR /home/vpsbot
EXPOSE 3000
# ready = the database answers; a replica that lost it is taken out of rotation
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/readyz', timeout=2)"]
# exec form: vpsbot is PID 1 and gets SIGTERM itself (graceful stop, see README)
ENTRYPOINT ["vpsbot"]
CMD ["serve"]
