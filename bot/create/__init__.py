"""The `/vps create` flow: draft, per-provider step definitions, views and creation."""
