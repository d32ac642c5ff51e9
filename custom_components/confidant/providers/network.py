"""Whether a provider's URL points inside the house or to the cloud."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_local_url(url: str) -> bool:
    """Return True for loopback, private-network and mDNS/single-label hosts."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return (
            host == "localhost"
            or host.endswith((".local", ".lan", ".home.arpa", ".internal"))
            or "." not in host
        )
    return address.is_private or address.is_loopback or address.is_link_local
