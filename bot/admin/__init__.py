"""``/vps admin`` and ``/vps log``: providers, plans, allowlists, the spend policy, the
named vpsbot admins and the audit trail."""
