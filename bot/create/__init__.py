"""``/vps create``: the multi-step modal whose steps follow the provider, and the
exactly-once create behind it (steps per provider in ``flows/``)."""
