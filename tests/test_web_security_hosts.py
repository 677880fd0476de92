"""The web UI's rules of issue 20 in-process: the names the server answers to (AllowedHosts),
sign-in targets that stay on the site, and the sign-in limiter (a per-client budget, growing
delays per name and client, no lockout by account name)."""

from __future__ import annotations

import pytest
from browser_helpers import csrf_from

from verify.errors import InputError
from verify.web import create_app
from verify.web.auth import safe_target
from verify.web.security import AllowedHosts, PairDelay, SignInLimiter, check_public_url


def test_allowed_hosts_loopback_bind_and_public_url():
    hosts = AllowedHosts.for_server("127.0.0.1", ["https://verify.example.org"])
    for host in ("localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000",
                 "verify.example.org", "VERIFY.example.org:443", "verify.example.org."):  # fmt: skip
        assert hosts.allows(host), host
    for host in (None, "", "rebind.attacker.example", "rebind.attacker.example:8000",
                 "verify.example.org.attacker.example", "192.168.1.5", "127.0.0.2"):  # fmt: skip
        assert not hosts.allows(host), host
    wildcard = AllowedHosts.for_server("0.0.0.0")
    assert wildcard.allows("192.168.1.5:8000") and wildcard.allows("[2001:db8::1]:80")
    assert not wildcard.allows("rebind.attacker.example")
    assert AllowedHosts.for_server("10.0.0.5").allows("10.0.0.5:8000")


def test_public_url_must_be_an_http_url():
    assert check_public_url("https://verify.example.org/") == "https://verify.example.org"
    for bad in ("verify.example.org", "ftp://x.example", "https://", "https://a b.example"):
        with pytest.raises(InputError, match="--public-url must be an http"):
            check_public_url(bad)


def test_serve_refuses_a_bad_public_url(run_cli):
    result = run_cli("serve", "--public-url", "verify.example.org")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: --public-url must be an http(s) URL such as https://verify.example.org,"
        " not 'verify.example.org'"
    )


def test_the_app_answers_400_to_other_hosts_and_to_the_archive_url_setting(db_path, run_cli):
    assert run_cli("config", "archive_url", "https://desk.example/").exit_code == 0
    app = create_app(db_path, public_urls=["https://verify.example.org"])
    client = app.test_client()
    assert client.get("/signin", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/static/app.css", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/signin", headers={"Host": "verify.example.org"}).status_code == 200
    assert client.get("/signin", headers={"Host": "desk.example"}).status_code == 200


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
     "//evil.example", "https://evil.example", "javascript:alert(1)", "evil.example",
     "/\x00/evil.example", "/%09/evil.example/\x7f"],
)  # fmt: skip
def test_sign_in_targets_stay_on_the_site(target):
    assert safe_target(target, "/") == "/"


def test_sign_in_targets_on_the_site_are_kept():
    assert safe_target("/claims/1?x=%2F%2Fevil", "/") == "/claims/1?x=%2F%2Fevil"
    assert safe_target(None, "/") == "/"


def test_pair_delays_grow_and_a_success_clears_only_that_pair():
    clock = [0.0]
    pairs = PairDelay(free=3, cap=900, clock=lambda: clock[0])
    for _ in range(3):
        assert pairs.wait_seconds("ed", "198.51.100.7") == 0
        pairs.failed("ed", "198.51.100.7")
    waits = []
    for _ in range(6):
        waits.append(pairs.wait_seconds("ed", "198.51.100.7"))
        clock[0] += waits[-1]
        pairs.failed("ed", "198.51.100.7")
    assert waits == [1, 2, 4, 8, 16, 32]
    assert pairs.wait_seconds("ed", "203.0.113.9") == 0  # the owner elsewhere: never waits
    pairs.succeeded("ed", "198.51.100.7")
    assert pairs.wait_seconds("ed", "198.51.100.7") == 0


def test_a_success_does_not_refill_the_client_budget(db_path, run_cli):
    assert run_cli("user", "add", "ed", "--role", "admin", "--password-stdin",
                   input="editor-password\n").exit_code == 0  # fmt: skip
    app = create_app(db_path)
    budget: SignInLimiter = app.extensions["verify_signin_limiter"]

    def attempt(name, password):
        client = app.test_client()
        token = csrf_from(client.get("/signin").get_data(as_text=True))
        return client.post(
            "/signin",
            data={"reviewer": name, "password": password, "csrf_token": token},
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        ).status_code

    answers = []
    for i in range(budget.attempts * 2):  # guesses at several names, a success in between
        answers.append(attempt(f"admin{i % 3}", "guess"))
        if i == 2:
            assert attempt("ed", "editor-password") == 303
    assert answers.count(401) == budget.attempts  # 5 guesses, not 10
    assert answers[budget.attempts :] == [429] * budget.attempts
