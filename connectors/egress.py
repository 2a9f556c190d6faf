"""Where outbound calls may go: public addresses over https, or hosts on the allow-list.

The name is resolved once, every address it resolves to is checked, and the connection goes to
the checked address (``EgressTransport``): a name that resolves to a public address for the
check and to an internal one for the connection (DNS rebinding) reaches nothing. Addresses that
hide an internal IPv4 address inside IPv6 (IPv4-mapped, NAT64, 6to4) and IPv4
written in decimal, octal or hex are refused as what they stand for.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

# One label of a number, in any notation inet_aton() accepts: 2130706433, 0177, 0x7f.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.I)
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local use, never public
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class EgressRefused(Exception):
    """The URL points where the portal must not send requests."""


@dataclass(frozen=True)
class Destination:
    host: str  # as written in the URL: the Host header and the TLS server name
    address: str  # the checked address the connection goes to
    allow_listed: bool


def allow_listed(host: str) -> bool:
    return host.lower() in {h.lower() for h in settings.DSR_WEBHOOK_ALLOWED_HOSTS}


def check_egress(url: str) -> Destination:
    """The checked destination of ``url``, or EgressRefused."""
    try:
        parts = httpx.URL(url)
    except httpx.InvalidURL as exc:  # e.g. 0177.0.0.1, which httpx will not parse either
        raise EgressRefused("not a valid URL") from exc
    if parts.scheme not in ("https", "http"):
        raise EgressRefused(f"scheme {parts.scheme!r} is not allowed")
    host = parts.host
    if not host:
        raise EgressRefused("no host")
    listed = allow_listed(host)
    if not listed and parts.scheme != "https":
        raise EgressRefused("only https leaves the network")
    if _NUMERIC_HOST.match(host) and not _dotted_quad(host):
        raise EgressRefused(f"{host} is an IPv4 address in an ambiguous notation")
    addresses = _resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    if not listed:
        for address in addresses:
            reason = refusal(ipaddress.ip_address(address))
            if reason:
                raise EgressRefused(f"{host} resolves to {reason}")
    return Destination(host=host, address=addresses[0], allow_listed=listed)


def _dotted_quad(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)  # four decimal parts, no leading zeros
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise EgressRefused(f"{host} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise EgressRefused(f"{host} does not resolve")
    return addresses


def refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why an address is not public ("" if it is), looking through IPv6 wrappings of IPv4."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = refusal(embedded)
            return f"{inner} ({embedded} inside)" if inner else ""
        if ip in IPV4_COMPATIBLE:  # ::a.b.c.d, deprecated (RFC 4291)
            return "an IPv4-compatible address"
        if ip in NAT64_LOCAL:
            return "a local-use NAT64 address"
        if ip.is_site_local:
            return "a site-local address"
    if ip.is_multicast:
        return "a multicast address"
    if not ip.is_global:
        return "a non-public address"
    return ""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return ip.ipv4_mapped
    if ip.sixtofour is not None:  # 2002:aabb:ccdd::/48
        return ip.sixtofour
    if ip in NAT64_WELL_KNOWN:  # 64:ff9b::a.b.c.d, translated to IPv4 on the way
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None  # Teredo (2001::/32) is not global anyway


class EgressTransport(httpx.HTTPTransport):
    """Checks every request's destination and connects to the address it checked, sending the
    URL's host name as Host header and TLS server name (so certificates are still verified
    against the name)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        destination = check_egress(str(request.url))
        request.url = request.url.copy_with(host=destination.address)
        request.extensions = {**request.extensions, "sni_hostname": destination.host}
        return super().handle_request(request)


def egress_client(**kwargs: Any) -> httpx.Client:
    """An httpx client whose every request passes the egress check; redirects are not followed
    (each hop would need its own decision, and none of our protocols redirects)."""
    return httpx.Client(transport=EgressTransport(), follow_redirects=False, **kwargs)
