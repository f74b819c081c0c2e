"""The playground: vpsbot in a browser, with a local stand-in for Slack.

A web page on 127.0.0.1 that looks and behaves enough like a Slack channel to use vpsbot: it
signs every request with its own signing secret and posts it to ``vpsbot serve``'s
``/slack/events``, and answers vpsbot's Web API calls itself (``SLACK_API_URL``). Nothing in
``bot/`` knows it is not talking to Slack; this package talks to vpsbot only over HTTP.

- :mod:`standins.playground.slack_api` — the Slack Web API stand-in (also the tests' Slack), with
  faults on demand;
- :mod:`standins.playground.slack_client` — signs and sends Slack's requests to ``/slack/events``;
- :mod:`standins.playground.web` — the browser page and its JSON API;
- :mod:`standins.playground.launch` — starting it beside ``vpsbot serve`` or for a running vpsbot.

It never starts by accident: it binds loopback only and refuses to run when real Slack
credentials are set.
"""

__all__: list[str] = []
