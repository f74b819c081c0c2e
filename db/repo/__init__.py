"""Typed queries, one module per table; listeners never build SQL."""
