"""How AWS groups its instance types, so people pick among families, not names.

The first letters of an instance type name its category on AWS's own instance-type
pages ("t" burstable, "m" general purpose, "c" compute optimized, …); the create
modal groups EC2 plans under those categories as DigitalOcean's and Linode's plans
are grouped under their classes.
"""

from __future__ import annotations

__all__ = ["family_of"]

#: an instance type's first letter -> the category of AWS's own instance-type pages
_CATEGORIES = {
    "t": "Burstable",
    "m": "General purpose",
    "a": "General purpose",
    "c": "Compute optimized",
    "r": "Memory optimized",
    "x": "Memory optimized",
    "z": "Memory optimized",
    "u": "Memory optimized",
    "i": "Storage optimized",
    "d": "Storage optimized",
    "h": "Storage optimized",
    "p": "Accelerated computing",
    "g": "Accelerated computing",
    "f": "Accelerated computing",
}


def family_of(instance_type: str) -> str:
    """``t3.micro`` -> "Burstable": how AWS groups its instance types."""
    head = instance_type.split(".", 1)[0].lower()
    if head.startswith(("inf", "trn", "dl", "vt")):
        return "Accelerated computing"
    return _CATEGORIES.get(head[:1], "Other")
