"""Local stand-ins for what vpsbot talks to but cannot reach from a laptop or CI.

- ``standins.sandbox``: the sandbox clouds, a local server speaking DigitalOcean v2
  and Linode v4 as published (untidy answers, faults on request).
- ``standins.playground``: a Slack for the browser and for the tests: the Web API
  stand-in, the view stack, OAuth and the page that draws channels and modals.

They are kept apart from what they emulate (as moto keeps its emulators apart from
boto): nothing in ``bot``, ``providers`` or ``db`` imports them, except the CLI's
entry points that start them (``vpsbot sandbox``, ``vpsbot playground``,
``serve --sandbox``), and those import them lazily.
"""
