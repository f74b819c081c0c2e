"""Linode API v4 behind the :class:`~providers.base.Provider` interface.

Why a package: the bot speaks one provider-neutral shape, and turning it into Linode
requests has four separate concerns, one module each:

    provider     LinodeProvider: what to ask Linode for, and the label/password rules
    api          LinodeApi: how Linode is spoken over HTTP (errors, rate headers, pages)
    catalog      types, regions, images, StackScripts and keys → providers.models
    instances    Linodes, their request bodies and their account events → providers.models

Graphs (``/stats``) are :mod:`providers.linode_metrics`.
"""

from __future__ import annotations

from providers.linode.api import LinodeApi
from providers.linode.catalog import family_of, runs_in, split_label
from providers.linode.provider import ROOT_PASS_MIN, LinodeProvider

__all__ = [
    "ROOT_PASS_MIN",
    "LinodeApi",
    "LinodeProvider",
    "family_of",
    "runs_in",
    "split_label",
]
