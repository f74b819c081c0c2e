"""``/vps`` and ``/vps help``: the command's entry point and its help text."""
