"""Day-2 work on existing servers: ``/vps list``, ``/vps show``, details and actions."""
