"""Amazon EC2 through the same provider interface as DigitalOcean and Linode."""

from __future__ import annotations

from providers.ec2.api import Credentials, Ec2Api, parse_credentials
from providers.ec2.provider import Ec2Provider

__all__ = ["Credentials", "Ec2Api", "Ec2Provider", "parse_credentials"]
