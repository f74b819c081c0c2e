"""A stand-in for the AWS Price List Query API (``AWSPriceListService.GetProducts``).

moto has no Price List API, so the AWS sandbox answers GetProducts itself, in AWS's
documented shape: a JSON-protocol call whose ``PriceList`` is a list of JSON
*strings*, each one product with its ``attributes`` and ``terms.OnDemand`` price
dimensions, paged by ``MaxResults``/``NextToken``. Filters are ``TERM_MATCH`` on
product attributes. Untidy on purpose: every instance type also has a Windows
product and a Dedicated one, so a client that forgets a filter pays the wrong price.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["get_products", "priced_types", "products"]

_LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}
_TERM = "JRTCKXETXF"  # AWS's code for the on-demand offer term
_RATE = "6YS6EN2CT7"  # and for its hourly price dimension
_PUBLISHED = "2026-11-20T00:00:00Z"


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    text = (
        resources.files("standins.sandbox").joinpath("data", "aws_prices.json").read_text("utf-8")
    )
    prices: dict[str, dict[str, str]] = json.loads(text)["prices"]
    return prices


def priced_types() -> dict[str, dict[str, str]]:
    """Instance type → region → USD per hour, as served."""
    return {k: dict(v) for k, v in _catalogue().items()}


def _sku(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:16].upper()


def _product(type_: str, region: str, usd: str, os_: str, tenancy: str) -> dict[str, Any]:
    sku = _sku(type_, region, os_, tenancy)
    return {
        "product": {
            "productFamily": "Compute Instance",
            "attributes": {
                "servicecode": "AmazonEC2",
                "instanceType": type_,
                "instanceFamily": "General purpose",
                "regionCode": region,
                "location": _LOCATIONS.get(region, region),
                "locationType": "AWS Region",
                "operatingSystem": os_,
                "tenancy": tenancy,
                "preInstalledSw": "NA",
                "licenseModel": "No License required",
                "capacitystatus": "Used",
                "usagetype": f"BoxUsage:{type_}",
                "operation": "RunInstances" if os_ == "Linux" else "RunInstances:0002",
            },
            "sku": sku,
        },
        "serviceCode": "AmazonEC2",
        "terms": {
            "OnDemand": {
                f"{sku}.{_TERM}": {
                    "priceDimensions": {
                        f"{sku}.{_TERM}.{_RATE}": {
                            "unit": "Hrs",
                            "endRange": "Inf",
                            "description": f"${usd} per On Demand {os_} {type_} Instance Hour",
                            "appliesTo": [],
                            "rateCode": f"{sku}.{_TERM}.{_RATE}",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": f"{usd}000000"},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "offerTermCode": _TERM,
                    "termAttributes": {},
                }
            }
        },
        "version": "20261120000000",
        "publicationDate": _PUBLISHED,
    }


def products() -> list[dict[str, Any]]:
    """Every product the stand-in knows (Linux, Windows; shared, dedicated)."""
    found = []
    for type_, by_region in sorted(_catalogue().items()):
        for region, usd in sorted(by_region.items()):
            found.append(_product(type_, region, usd, "Linux", "Shared"))
            found.append(_product(type_, region, f"{float(usd) * 1.9:.4f}", "Windows", "Shared"))
            dedicated = f"{float(usd) * 1.1:.4f}"
            found.append(_product(type_, region, dedicated, "Linux", "Dedicated"))
    return found


class PricingError(Exception):
    """A GetProducts call AWS would refuse (400, ``InvalidParameterException``)."""


def get_products(body: dict[str, Any]) -> dict[str, Any]:
    """One GetProducts answer for a request body (``ServiceCode``, ``Filters``,
    ``MaxResults``, ``NextToken``)."""
    if body.get("ServiceCode") != "AmazonEC2":
        raise PricingError("the sandbox prices only the AmazonEC2 service code")
    filters = body.get("Filters") or []
    if not isinstance(filters, list):
        raise PricingError("Filters must be a list")
    limit = body.get("MaxResults") or 100
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise PricingError("MaxResults must be between 1 and 100")
    token = str(body.get("NextToken") or "0")
    if not token.isdigit():
        raise PricingError("the NextToken is not valid")
    start = int(token)
    matched = [
        p
        for p in products()
        if all(
            isinstance(f, dict)
            and f.get("Type", "TERM_MATCH") == "TERM_MATCH"
            and p["product"]["attributes"].get(str(f.get("Field"))) == f.get("Value")
            for f in filters
        )
    ]
    page = matched[start : start + limit]
    answer: dict[str, Any] = {
        "FormatVersion": "aws_v1",
        "PriceList": [json.dumps(p) for p in page],
    }
    if start + limit < len(matched):
        answer["NextToken"] = str(start + limit)
    return answer
