"""verify as a newsroom deploys it: `verify serve` (waitress) as a real process reached over
HTTP, and behind a real TLS-terminating nginx with the configuration docs/deploying.md shows.

Each reproduction of issue 20 that concerns the server runs here against the real process: the
proxy headers reaching the app (Secure cookie, the client's address in events, the sign-in
limit per real client, sign-in through the public name), allowed hosts (DNS rebinding), the
open redirect after sign-in, and 500s on malformed input.

Clients with different addresses are made by binding the client socket to other loopback
addresses (127.0.0.7, 127.0.0.8, ...): all of 127.0.0.0/8 is this machine on Linux."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from verify.review import accounts as users
from verify.store import open_db

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
OPENSSL = shutil.which("openssl")
PUBLIC_NAME = "verify.test"

# The nginx configuration of docs/deploying.md, with the test's paths and ports filled in
# (docs/deploying.md shows it with 443 and the real certificate paths).
NGINX_SERVER = """
    server {{
        listen {listen} ssl;
        server_name {name};
        ssl_certificate     {cert};
        ssl_certificate_key {key};
        client_max_body_size 2m;

        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host              $http_host;
            proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host  $http_host;
        }}
    }}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SourceAddressAdapter(HTTPAdapter):
    """Connect from a given local address, so one test plays several clients."""

    def __init__(self, address: str, **kwargs) -> None:
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_from(address: str, ca: Path | None = None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # neither a CA bundle nor a proxy from the environment
    adapter = SourceAddressAdapter(address)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if ca is not None:
        session.verify = str(ca)
    return session


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT
    port: int
    db_path: Path
    proc: subprocess.Popen


def start_serve(db_path: Path, *args: str) -> Served:
    env = {**os.environ, "VERIFY_DB": str(db_path)}
    for name in ("VERIFY_WEB_TOKEN", "VERIFY_WEB_PASSWORD", "VERIFY_WEB_SECRET"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from verify.cli import main; main()", "serve", "--port", "0",
         *args],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    line = proc.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        raise AssertionError(f"verify serve did not start: {line}{proc.stderr.read()}")
    port = int(match.group(1))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(base + "/signin", timeout=5)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    return Served(base, port, db_path, proc)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr:
        proc.stderr.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`verify serve` on loopback with no accounts (the single-user default), shared by the
    tests of this module that change nothing."""
    s = start_serve(tmp_path_factory.mktemp("served") / "v.db")
    yield s
    stop(s.proc)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for verify.test and 127.0.0.1."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={PUBLIC_NAME}",
         "-addext", f"subjectAltName=DNS:{PUBLIC_NAME},IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Proxied:
    app: Served
    port: int  # nginx's TLS port
    ca: Path
    public: str  # https://verify.test:PORT

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def client(self, address: str) -> requests.Session:
        session = client_from(address, self.ca)
        session.headers["Host"] = f"{PUBLIC_NAME}:{self.port}"
        return session


def need_nginx() -> None:
    if NGINX and OPENSSL:
        return
    if os.environ.get("CI"):
        pytest.fail("nginx and openssl are needed for the proxy tests (.ci/run installs them)")
    pytest.skip("nginx or openssl is not installed (apt-get install nginx openssl)")


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[Proxied]:
    """An archive with accounts, `verify serve --trusted-proxy 127.0.0.1 --public-url ...`,
    and nginx terminating TLS in front of it."""
    need_nginx()
    db_path = tmp_path / "v.db"
    db = open_db(db_path)
    users.add_user(db, "ed", "admin", "editor-password")
    users.add_user(db, "rita", "reviewer", "reviewer-password", actor="ed")
    db.close()
    port = free_port()
    public = f"https://{PUBLIC_NAME}:{port}"
    app = start_serve(db_path, "--trusted-proxy", "127.0.0.1", "--public-url", public)
    cert, key = make_certificate(tmp_path)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's private files
    server = NGINX_SERVER.format(
        listen=f"127.0.0.1:{port}", name=PUBLIC_NAME, cert=cert, key=key, app_port=app.port
    )
    temp = " ".join(
        f"{kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n    access_log off;\n    {temp}\n    uwsgi_temp_path {prefix}/uwsgi;\n"
        f"    scgi_temp_path {prefix}/scgi;\n{server}}}\n"
    )
    nginx = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (prefix / "error.log").read_text()
                        if (prefix / "error.log").exists()
                        else ""
                    )
                    raise AssertionError(
                        f"nginx did not start: {nginx.stderr.read()!r} {log}"
                    ) from None
                time.sleep(0.05)
        yield Proxied(app, port, cert, public)
    finally:
        stop(nginx)
        stop(app.proc)


def sign_in(session: requests.Session, url: str, name: str, password: str, **headers: str):
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text[:300]
    return session.post(
        url,
        data={"reviewer": name, "password": password, "csrf_token": csrf_from(page.text)},
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )


def events(db_path: Path, kind: str) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return [r[0] for r in conn.execute("SELECT detail FROM events WHERE kind = ?", (kind,))]


# --------------------------------------------------------------------------- behind nginx


def test_sign_in_through_the_proxy_public_name_with_a_secure_cookie(proxied: Proxied) -> None:
    client = proxied.client("127.0.0.7")
    answer = sign_in(client, proxied.url("/signin"), "ed", "editor-password", Origin=proxied.public)
    assert answer.status_code == 303, answer.text[:300]
    cookie = answer.headers["Set-Cookie"]
    assert "verify_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert answer.headers["Location"] == "/"
    assert client.get(proxied.url("/"), timeout=10).status_code == 200
    # the real client's address is recorded, not nginx's, and a forged X-Forwarded-For from
    # the client is not believed (nginx appends the address it sees)
    forger = proxied.client("127.0.0.9")
    forger.headers["X-Forwarded-For"] = "198.51.100.1"
    assert sign_in(forger, proxied.url("/signin"), "rita", "reviewer-password").status_code == 303
    addresses = events(proxied.app.db_path, "signed_in")
    assert '"127.0.0.7"' in addresses[0] and '"127.0.0.9"' in addresses[1]
    assert not any("198.51.100.1" in a or '"127.0.0.1"' in a for a in addresses)


def test_the_sign_in_limit_is_per_real_client_behind_the_proxy(proxied: Proxied) -> None:
    guesser = proxied.client("127.0.0.8")
    for i in range(5):  # the per-client budget, under several names
        assert sign_in(guesser, proxied.url("/signin"), f"ed{i}", "guess").status_code == 401
    refused = sign_in(guesser, proxied.url("/signin"), "ed", "editor-password")
    assert refused.status_code == 429
    # another client behind the same proxy signs in, and its success gives the guesser nothing
    other = proxied.client("127.0.0.10")
    assert sign_in(other, proxied.url("/signin"), "ed", "editor-password").status_code == 303
    again = sign_in(proxied.client("127.0.0.8"), proxied.url("/signin"), "ed", "editor-password")
    assert again.status_code == 429
    failures = events(proxied.app.db_path, "sign_in_failed")
    assert len(failures) == 5 and all('"127.0.0.8"' in f for f in failures)


def test_the_proxy_forwards_only_known_names(proxied: Proxied) -> None:
    client = proxied.client("127.0.0.11")
    client.headers["Host"] = f"rebind.attacker.example:{proxied.port}"
    assert client.get(proxied.url("/signin"), timeout=10).status_code == 400
    # a page from another origin cannot sign in, even with a valid form token
    cross = sign_in(
        proxied.client("127.0.0.12"), proxied.url("/signin"), "ed", "editor-password",
        Origin="https://evil.example",
    )  # fmt: skip
    assert cross.status_code == 403


# --------------------------------------------------------------------------- loopback mode


def test_dns_rebinding_gets_400_in_loopback_mode(served: Served) -> None:
    rebound = {"Host": f"rebind.attacker.example:{served.port}"}
    assert requests.get(served.base + "/", headers=rebound, timeout=10).status_code == 400
    assert requests.get(served.base + "/signin", headers=rebound, timeout=10).status_code == 400
    posted = requests.post(
        served.base + "/claims/1/dismiss",
        headers={**rebound, "Origin": f"http://rebind.attacker.example:{served.port}"},
        timeout=10,
    )
    assert posted.status_code == 400
    for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}"):
        assert requests.get(served.base + "/signin", headers={"Host": host}, timeout=10).ok


def test_sign_in_never_redirects_off_site(served: Served) -> None:
    for target in ("/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
                   "/%5Cevil.example", "//evil.example", "https://evil.example/",
                   "/\t/evil.example"):  # fmt: skip
        client = requests.Session()
        url = f"{served.base}/signin?next={target}"
        answer = sign_in(client, url, "ana", "")
        assert answer.status_code == 303, (target, answer.status_code)
        assert answer.headers["Location"] == "/", target
    kept = sign_in(requests.Session(), f"{served.base}/signin?next=/claims/1", "ana", "")
    assert kept.headers["Location"] == "/claims/1"


@pytest.mark.parametrize(
    "path",
    [
        "/claims/99999999999999999999999",
        "/?page=",
        "/?page=99999999999999999999999",
        "/?page=-5",
        "/?article=99999999999999999999999",
        "/?article=",
        "/snapshots/99999999999999999999999",
        "/snapshots/1/r/99999999999999999999999?t=%C3%A9",
        "/snapshots/1/r/1?t=%C3%A9",
        "/archive/99999999999999999999999",
        "/search?q=%00",
    ],
)
def test_malformed_input_is_never_a_500(served: Served, path: str) -> None:
    client = requests.Session()
    assert sign_in(client, served.base + "/signin", "ana", "").status_code == 303
    answer = client.get(served.base + path, timeout=10, allow_redirects=False)
    assert answer.status_code in (200, 400, 403, 404), (path, answer.status_code)
