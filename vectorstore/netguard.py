"""Public internet addresses told apart from this machine's and its networks' (server-side request forgery).

A service that fetches the URLs its clients name must not become their way into the machine it runs on
(``127.0.0.1``, ``[::1]``), its networks (``10.0.0.0/8``, ``192.168.0.0/16``, ``fc00::/7``) or a cloud's
metadata endpoint (``169.254.169.254``). ``public_addresses`` resolves a host and returns its addresses
only when every one is public, else raises ``PrivateAddress``: loopback, private, link-local, shared
(carrier-grade NAT), reserved, multicast, unspecified and documentation addresses, IPv4 and IPv6, with
IPv4 addresses written inside IPv6 ones (``::ffff:127.0.0.1``, NAT64, 6to4) judged as the IPv4 address.

``Fetcher(public_only=True)`` (``vectorstore.fetch``) connects only to the addresses checked here, on
every redirect, so a name that resolves elsewhere the second time gains nothing. Standard library only.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are an IPv4 address


class PrivateAddress(Exception):
    """A host is, or resolves to, an address that is not on the public internet (the message is one line)."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64, 6to4), or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_kind(ip: Address) -> str | None:
    """Why ``ip`` is not a public address (``loopback``, ``private``, ``link-local``, ...), or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_kind(inner)
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not globally routed", not ip.is_global),  # shared address space (100.64.0.0/10), ...
    ):
        if flag:
            return kind
    return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` is or resolves to, when every one is public; raises ``PrivateAddress`` when
    any is not (one is enough: a host that lists a private address is refused whole), and ``OSError``
    (``socket.gaierror``) when it cannot be resolved."""
    literal = _literal(host)
    if literal is not None:
        kind = address_kind(literal)
        if kind:
            raise PrivateAddress(f"{literal} is not a public address ({kind})")
        return [str(literal)]
    found: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        ip = _literal(address)
        kind = address_kind(ip) if ip is not None else "unreadable"
        if kind:
            raise PrivateAddress(f"{host} resolves to {address}, not a public address ({kind})")
        if address not in found:
            found.append(address)
    if not found:
        raise socket.gaierror(f"{host} has no address")
    return found


def check_url(url: str) -> None:
    """Raise ``PrivateAddress`` when the host of the http(s) ``url`` is or resolves to an address that is
    not public. A URL that cannot be read or a host that cannot be resolved passes: fetching it fails on
    its own, and a ``public_only`` fetcher checks each address again before it connects."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return
    if not host:
        return
    try:
        public_addresses(host, port or (443 if parts.scheme.lower() == "https" else 80))
    except OSError:
        return
