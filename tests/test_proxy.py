"""deploy/proxy/xietong.conf, the HTTPS entry of the compose deployment: the workbench on one
port, the APIs on another where every API path of every service's OpenAPI goes to that
service, and /metrics, /docs, /openapi.json, /healthz and /readyz refused from outside on
both. Run for real under nginx (Debian's; the compose file uses
the official image of the same configuration language) in front of stand-in services, with a
certificate made by deploy/proxy/make-certs.sh."""

from __future__ import annotations

import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from xietong_common.services import SERVICES
from xietong_devtools.tools import require_tool

ROOT = Path(__file__).resolve().parents[1]
PROXY = ROOT / "deploy" / "proxy"
CONF = (PROXY / "xietong.conf").read_text()
OPS = {"healthz", "readyz", "metrics"}
# Path prefixes more than one service's OpenAPI has (each service's /todo and /documents, the
# notifier's and info-sharing's /subscriptions, oversight's and info-sharing's /items): the
# bare prefix goes to the service that held it before the others came, or to none; every
# service is reached under /services/<service>/ as well (docs/deploy.md).
BARE_OWNER = {"items": "info-sharing", "subscriptions": "info-sharing"}
REFUSED = ["/metrics", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/docs/oauth2"]


def _routes() -> dict[str, str]:
    """Bare path prefix -> the upstream host the configuration sends it to."""
    routes: dict[str, str] = {}
    pattern = re.compile(
        r"location ~ \^/\(([^)]*)\)\(/\|\$\) \{\s*set \$upstream http://([a-z-]+):(\d+);"
    )
    for prefixes, host, _port in pattern.findall(CONF):
        for prefix in prefixes.split("|"):
            routes[prefix.replace("\\.", ".")] = host
    return routes


def _by_service() -> dict[str, str]:
    """/services/<name>/ -> the upstream host the configuration sends it to."""
    pattern = re.compile(
        r"location ~ \^/services/([a-z-]+)/ \{\s*set \$upstream http://([a-z-]+):\d+;\s*"
        r"rewrite \^/services/([a-z-]+)\(/\.\*\)\$ \$1 break;"
    )
    found = {}
    for name, host, rewritten in pattern.findall(CONF):
        assert rewritten == name
        found[name] = host
    return found


def _prefixes(service: str) -> set[str]:
    spec = json.loads((ROOT / "docs" / "openapi" / f"{service}.json").read_text())
    return {path.split("/")[1] for path in spec["paths"]} - OPS


def _holders() -> dict[str, set[str]]:
    """Each API path prefix -> the services whose OpenAPI has it."""
    holders: dict[str, set[str]] = {}
    for service in SERVICES:
        for prefix in _prefixes(service):
            holders.setdefault(prefix, set()).add(service)
    return holders


def _bare_owner(prefix: str, service: str) -> str | None:
    """Where the bare /<prefix> of `service`'s paths should go."""
    if len(_holders()[prefix]) == 1:
        return service
    return BARE_OWNER.get(prefix)


@pytest.mark.parametrize("service", SERVICES)
def test_every_api_path_goes_to_its_service(service: str) -> None:
    routes = _routes()
    for prefix in _prefixes(service):
        assert routes.get(prefix) == _bare_owner(prefix, service), f"/{prefix} of {service}"


def test_a_shared_prefix_goes_to_one_of_its_services_or_to_none() -> None:
    holders = _holders()
    for prefix, owner in BARE_OWNER.items():
        assert owner in holders[prefix], prefix
    assert set(_routes()) <= set(holders)  # nothing routed that no service has


def test_every_service_is_reached_under_its_own_prefix() -> None:
    assert _by_service() == {name: name for name in SERVICES}


def test_the_proxy_and_the_chart_route_the_same_paths() -> None:
    values = yaml.safe_load((ROOT / "deploy/helm/xietong/values.yaml").read_text())
    chart = {
        p.strip("/"): name for name, s in values["services"].items() for p in s.get("paths", [])
    }
    assert chart == _routes()
    ports = {name: s["port"] for name, s in values["services"].items()}
    ports["workbench"] = values["workbench"]["port"]
    for host, port in re.findall(r"set \$upstream http://([a-z-]+):(\d+);", CONF):
        assert ports[host] == int(port), host


# ---- under nginx ----------------------------------------------------------------------------


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class _Echo(BaseHTTPRequestHandler):
    service = "?"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps(
            {
                "service": self.service,
                "path": self.path,
                "request_id": self.headers.get("X-Request-ID"),
                "forwarded_proto": self.headers.get("X-Forwarded-Proto"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Proxy:
    https: str  # the workbench
    api: str  # the services' APIs
    http: str
    ca: Path


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    nginx = require_tool("nginx")
    work = tmp_path_factory.mktemp("proxy")
    # The certificate as an operator makes it.
    shutil.copy(PROXY / "make-certs.sh", work / "make-certs.sh")
    subprocess.run(
        ["bash", str(work / "make-certs.sh"), "localhost", "127.0.0.1"],
        check=True,
        capture_output=True,
    )
    servers = []
    upstream: dict[str, int] = {}
    for name in [*SERVICES, "workbench"]:
        handler = type(f"Echo_{name}", (_Echo,), {"service": name})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        upstream[name] = server.server_address[1]
    http_port, https_port, api_port, health_port = _free_ports(4)
    conf = CONF
    for host, port in re.findall(r"http://([a-z-]+):(\d+);", CONF):
        conf = conf.replace(f"http://{host}:{port};", f"http://127.0.0.1:{upstream[host]};")
    conf = conf.replace("resolver 127.0.0.11 valid=30s ipv6=off;", "")
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{http_port};")
    conf = conf.replace("listen 8443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    conf = conf.replace("listen 9443 ssl http2;", f"listen 127.0.0.1:{api_port} ssl http2;")
    conf = conf.replace("listen 127.0.0.1:8081;", f"listen 127.0.0.1:{health_port};")
    conf = conf.replace("/etc/nginx/tls/", f"{work}/tls/")
    conf = conf.replace("access_log /dev/stdout xietong;", f"access_log {work}/access.log xietong;")
    (work / "xietong.conf").write_text(conf)
    (work / "nginx.conf").write_text(
        f"daemon off;\npid {work}/nginx.pid;\nerror_log {work}/error.log warn;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  client_body_temp_path {work}/body;\n  proxy_temp_path {work}/proxy;\n"
        f"  include {work}/xietong.conf;\n}}\n"
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(work), "-c", str(work / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [nginx, "-p", str(work), "-c", str(work / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", https_port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((work / "error.log").read_text())
            time.sleep(0.1)
        yield Proxy(
            https=f"https://localhost:{https_port}",
            api=f"https://localhost:{api_port}",
            http=f"http://127.0.0.1:{http_port}",
            ca=work / "tls" / "ca.pem",
        )
    finally:
        process.terminate()
        process.wait(10)
        for server in servers:
            server.shutdown()


def _client(proxy: Proxy, base: str) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(proxy.ca))
    return httpx.Client(base_url=base, verify=context, timeout=10)


@pytest.fixture
def client(proxy: Proxy) -> Iterator[httpx.Client]:
    """The API port."""
    with _client(proxy, proxy.api) as c:
        yield c


@pytest.fixture
def workbench(proxy: Proxy) -> Iterator[httpx.Client]:
    """The workbench port."""
    with _client(proxy, proxy.https) as c:
        yield c


@pytest.mark.parametrize("service", SERVICES)
def test_over_tls_each_path_reaches_its_service(client: httpx.Client, service: str) -> None:
    """Bare where the prefix is the service's alone, and always under /services/<service>/,
    which the service receives without that prefix."""
    for prefix in sorted(_prefixes(service)):
        paths = [f"/services/{service}/{prefix}/some-id?page=2"]
        if _bare_owner(prefix, service) == service:
            paths.append(f"/{prefix}/some-id?page=2")
        for path in paths:
            r = client.get(path, headers={"X-Request-ID": "ignored"})
            assert r.status_code == 200, (path, r.text)
            body = r.json()
            assert body["service"] == service, path
            assert body["path"] == f"/{prefix}/some-id?page=2"
            assert body["forwarded_proto"] == "https"
            assert re.fullmatch(r"[0-9a-f]{32}", body["request_id"])  # the proxy's own id
            assert r.headers["strict-transport-security"].startswith("max-age=")


def test_a_shared_prefix_of_another_service_is_reached_under_its_own(
    client: httpx.Client,
) -> None:
    r = client.post("/subscriptions", content=b"{}")
    assert r.json()["service"] == "info-sharing"
    r = client.post("/services/notifier/subscriptions", content=b"{}")
    assert (r.json()["service"], r.json()["path"]) == ("notifier", "/subscriptions")
    r = client.get("/services/oversight/items/f1/rulings")
    assert (r.json()["service"], r.json()["path"]) == ("oversight", "/items/f1/rulings")
    assert client.get("/documents/abc").status_code == 404  # four services': none bare


@pytest.mark.parametrize("path", REFUSED)
def test_operations_and_docs_are_not_served_outside(
    client: httpx.Client, workbench: httpx.Client, path: str
) -> None:
    for port, url in (
        (client, path),
        (workbench, path),
        (client, f"/services/referral{path}"),
        (client, f"/services/notifier{path}"),
    ):
        r = port.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 404
        assert "service" not in r.json()  # no service was asked


def test_the_workbench_port_serves_the_workbench_only(workbench: httpx.Client) -> None:
    for path in ("/", "/referrals/abc", "/static/css/workbench.css", "/signin"):
        r = workbench.get(path)
        assert r.status_code == 200
        assert r.json()["service"] == "workbench"
        assert r.json()["path"] == path


def test_an_unknown_path_is_a_404_and_a_lookalike_prefix_is_not_routed(
    client: httpx.Client,
) -> None:
    assert client.get("/").status_code == 404
    assert client.get("/referralsX").status_code == 404
    assert client.get("/etc/passwd").status_code == 404
    assert client.get("/services/unknown/referrals").status_code == 404
    assert client.get("/services/referral").status_code == 404


def test_plain_http_is_redirected_to_https(proxy: Proxy) -> None:
    r = httpx.get(f"{proxy.http}/referrals/1", follow_redirects=False)
    assert r.status_code == 308
    assert r.headers["location"].startswith("https://")
    assert r.headers["location"].endswith("/referrals/1")


def test_uploads_up_to_the_service_s_limit_pass(client: httpx.Client) -> None:
    r = client.post("/referrals/x/materials", content=b"x" * (2 * 1024 * 1024))
    assert r.status_code == 200
    assert r.json()["service"] == "referral"
