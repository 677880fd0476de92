"""Network safety: is this URL allowed, and to which checked addresses may we connect?

Only http and https. The host is resolved once (the resolver is injectable), EVERY address is
checked, and the caller connects to one of exactly those addresses (see fetch.py's pinned
connections), so there is no window for DNS rebinding between the check and the connection.
Hosts named in the allow list (``host`` or ``host:port``) skip the address check."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from verify.errors import BlockedAddressError, FetchError

Resolver = Callable[[str, int], list[str]]

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


@dataclass(frozen=True)
class Target:
    """A URL that passed the check: where to connect, and what to say in Host / SNI."""

    scheme: str
    host: str  # as in the URL, lower-case, without brackets
    port: int
    addresses: tuple[str, ...]  # every address the host resolved to, all checked
    allowed_by_list: bool = False


def allow_hosts_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Hosts from VERIFY_ALLOW_HOSTS=host1,host2:8080 (empty tuple when unset)."""
    env = os.environ if environ is None else environ
    raw = env.get("VERIFY_ALLOW_HOSTS", "")
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


def merge_allow_hosts(
    *groups: Iterable[str], environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The one allow list: the hosts given (--allow-host, a task's list, ...) then those of
    VERIFY_ALLOW_HOSTS, trimmed, lower-cased, each once, in order."""
    hosts = [h.strip().lower() for group in groups for h in group if h and h.strip()]
    hosts.extend(allow_hosts_from_env(environ))
    return tuple(dict.fromkeys(hosts))


def is_allowed_host(host: str, port: int, allow_hosts: Iterable[str]) -> bool:
    """True when `host` or `host:port` is in the allow list (case-insensitive)."""
    host = host.lower().strip("[]").rstrip(".")
    for entry in allow_hosts:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.startswith("["):  # [v6]:port or [v6]
            name, _, rest = entry[1:].partition("]")
            entry_port = rest[1:] if rest.startswith(":") else ""
        elif entry.count(":") == 1:
            name, entry_port = entry.split(":")
        else:
            name, entry_port = entry, ""
        if name.rstrip(".") != host:
            continue
        if not entry_port or entry_port == str(port):
            return True
    return False


def address_problem(address: str) -> str | None:
    """Why this address may not be fetched ('loopback', 'private', ...), or None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_problem(str(ip.ipv4_mapped))
        if ip in _NAT64 or ip in _NAT64_LOCAL:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            inner = address_problem(str(embedded))
            if inner:
                return f"{inner} (via NAT64)"
        if ip.sixtofour is not None:
            inner = address_problem(str(ip.sixtofour))
            if inner:
                return f"{inner} (via 6to4)"
        if ip.teredo is not None:
            return "teredo"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "not globally routable"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address getaddrinfo gives for host (TCP), in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(str(sockaddr[0]))
    return seen


def check_url(
    url: str, allow_hosts: Iterable[str] = (), resolver: Resolver | None = None
) -> Target:
    """Resolve the URL's host and check every address. Raises BlockedAddressError (not public,
    not allowed), FetchError kind 'unsupported' (not http(s)) or kind 'dns' (no address)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(
            f"only http and https can be fetched, not {scheme or 'no scheme'}: {url[:100]}",
            "unsupported",
        )
    try:
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"not a valid URL: {url[:100]} ({exc})", "unsupported") from exc
    if not host:
        raise FetchError(f"URL has no host: {url[:100]}", "unsupported")
    resolve = resolver or system_resolver
    try:
        addresses = [a for a in resolve(host, port) if a]
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}", "dns") from exc
    except OSError as exc:
        raise FetchError(f"cannot resolve {host}: {exc}", "dns") from exc
    if not addresses:
        raise FetchError(f"cannot resolve {host}: no address", "dns")
    allowed = is_allowed_host(host, port, allow_hosts)
    if not allowed:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise BlockedAddressError(
                    f"{host} resolves to {address} ({problem}); refused "
                    f"(allow it with --allow-host {host} or VERIFY_ALLOW_HOSTS)"
                )
    return Target(scheme, host, port, tuple(addresses), allowed)
