"""Approvals: approvers decide creates and lease extensions over the spend policy."""
