"""``/vps admin`` and ``/vps log``: providers, plans, allowlists and the audit trail."""
