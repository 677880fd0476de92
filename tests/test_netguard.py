"""netguard: which addresses may be fetched. No traffic leaves 127.0.0.1: names are mapped to
non-public addresses by an injected resolver and refused before any connection."""

from __future__ import annotations

import pytest

from verify.capture import netguard
from verify.capture.fetch import FetchOptions, fetch_url
from verify.errors import BlockedAddressError, FetchError


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local (via NAT64)"),
        ("2002:0a00:0001::1", "private (via 6to4)"),
        ("192.0.2.1", "private"),
    ],
)
def test_non_public_addresses_are_named(address: str, reason: str) -> None:
    assert netguard.address_problem(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert netguard.address_problem(address) is None


def fake_resolver(table: dict[str, list[str]]):
    calls = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return table[host]

    resolve.calls = calls
    return resolve


def test_every_address_is_checked() -> None:
    resolve = fake_resolver({"mixed.example": ["93.184.216.34", "10.0.0.1"]})
    with pytest.raises(
        BlockedAddressError, match=r"mixed\.example resolves to 10\.0\.0\.1 \(private\)"
    ):
        netguard.check_url("http://mixed.example/", resolver=resolve)


def test_allowed_host_and_port() -> None:
    resolve = fake_resolver({"intranet.local": ["10.1.1.1"]})
    target = netguard.check_url("https://intranet.local/x", ("intranet.local",), resolve)
    assert target.addresses == ("10.1.1.1",) and target.port == 443 and target.allowed_by_list
    assert (
        netguard.check_url("http://intranet.local:8080/", ("intranet.local:8080",), resolve).port
        == 8080
    )
    with pytest.raises(BlockedAddressError):
        netguard.check_url("http://intranet.local:9090/", ("intranet.local:8080",), resolve)


def test_allow_hosts_from_env() -> None:
    assert netguard.allow_hosts_from_env({"VERIFY_ALLOW_HOSTS": " A.example, b:81 ,"}) == (
        "a.example",
        "b:81",
    )
    assert netguard.allow_hosts_from_env({}) == ()


def test_only_http_and_https() -> None:
    for url in ("ftp://example.com/x", "file:///etc/passwd", "gopher://x/"):
        with pytest.raises(FetchError) as info:
            netguard.check_url(url)
        assert info.value.kind == "unsupported"


def test_dns_failure_is_kind_dns() -> None:
    def failing(host: str, port: int) -> list[str]:
        import socket

        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(FetchError) as info:
        netguard.check_url("http://no-such-host.invalid/", resolver=failing)
    assert info.value.kind == "dns"


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "::1", "127.0.0.1", "0.0.0.0"])
def test_fetch_refuses_before_connecting(site, address: str) -> None:
    # the name points at our own loopback server's address family, but it is not allowed:
    # refused before any connection, so the server sees nothing
    resolve = fake_resolver({"evil.example": [address]})
    result = fetch_url(f"http://evil.example:{site.port}/", FetchOptions(resolver=resolve))
    assert result.error == "blocked_address"
    assert address in result.error_message
    assert site.hits == {}


def test_loopback_refused_unless_allowed(site) -> None:
    from conftest import Response

    site.routes["/"] = Response(200, "<p>hi</p>")
    refused = fetch_url(site.url("/"), FetchOptions(ignore_robots=True))
    assert refused.error == "blocked_address" and site.hits == {}
    other_port = fetch_url(
        site.url("/"), FetchOptions(ignore_robots=True, allow_hosts=("127.0.0.1:1",))
    )
    assert other_port.error == "blocked_address" and site.hits == {}
    allowed = fetch_url(site.url("/"), FetchOptions(ignore_robots=True, allow_hosts=(site.netloc,)))
    assert allowed.ok and allowed.status == 200 and site.hits == {"/": 1}


@pytest.mark.parametrize("ignore_robots", [True, False])
def test_connection_goes_to_the_checked_address(site, ignore_robots: bool) -> None:
    """DNS rebinding: the resolver answers once; the connection uses that answer. A second
    resolution (which would give another address) never happens."""
    hosts = []

    def record_host(h) -> None:
        hosts.append(h.headers.get("Host"))
        h.send_response(200)
        h.send_header("Content-Length", "13")
        h.end_headers()
        h.wfile.write(b"<p>pinned</p>")

    site.routes["/"] = record_host
    # a second answer would point elsewhere (another loopback address, where nothing listens)
    answers = iter([["127.0.0.1"], ["127.0.0.2"]])
    seen = []

    def rebinding(host: str, port: int) -> list[str]:
        seen.append(host)
        return next(answers)

    options = FetchOptions(
        resolver=rebinding, ignore_robots=ignore_robots, allow_hosts=("rebind.test",)
    )
    result = fetch_url(f"http://rebind.test:{site.port}/", options)
    assert result.ok and result.body == b"<p>pinned</p>"
    assert seen == ["rebind.test"]  # once per attempt, robots.txt included
    assert hosts == [f"rebind.test:{site.port}"]  # Host header names the host, not the address


def test_redirect_hop_to_private_address_is_refused(site) -> None:
    from conftest import Response

    site.routes["/hop"] = Response(302, b"", headers={"Location": "http://internal.example/secret"})
    resolve = fake_resolver({"127.0.0.1": ["127.0.0.1"], "internal.example": ["192.168.0.10"]})
    result = fetch_url(
        site.url("/hop"),
        FetchOptions(resolver=resolve, ignore_robots=True, allow_hosts=(site.netloc,)),
    )
    assert result.error == "blocked_address"
    assert "192.168.0.10" in result.error_message
    assert (
        result.redirects[0]["status"] == 302
        and result.redirects[0]["location"] == "http://internal.example/secret"
    )
