"""The self-hosting recipe of deploy/, run for real: Debian's nginx on loopback with a self-signed
certificate, in front of two app processes (functions/serve.py, as motcua@.service starts them)
on a throw-away PostgreSQL and SeaweedFS. Everything goes through nginx over HTTPS: a dossier
filed with uploads and received by an officer, the static pages' headers, the request limits,
and a load of submissions during which one app process is SIGKILLed."""

import contextlib
import gzip
import http.client
import io
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from buildlib.bundle import bundle_command
from chalicelib import lookup_secret
from chalicelib.headers import SECURITY_HEADERS
from tests.api.client import PASSWORD, PROCEDURE, WITH_FILES, Applicant, Officer, submission
from tests.api.conftest import Server
from tests.api.filling import answers_for
from tests.services import ROOT, STORE_PREFIX, Recipe, recipe

from ..conftest import CATALOGUE

pytestmark = pytest.mark.slow

LOAD_PROCEDURE = "1.000894"  # đăng ký kết hôn: a form without uploads
SUBMISSIONS = 240
CLIENTS = 16
KILL_AFTER = 60  # submissions answered before one app process is killed
RETRIED = {502, 503, 504}


class HttpsClient(Server):
    """tests/api's server interface (request, exchange) over HTTPS through nginx, trusting the
    recipe's self-signed certificate."""

    def __init__(self, stack: Recipe):
        super().__init__(stack.url, stack.ssl_context())

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        """Raw bytes and headers (lower-case names), no redirect followed, no decompression."""
        connection = http.client.HTTPSConnection(
            self.base.split("://", 1)[1], timeout=30, context=self.context
        )
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return (
                response.status,
                response.read(),
                {k.lower(): v for k, v in response.headers.items()},
            )
        finally:
            connection.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The fixture catalogue's site and API bundle."""
    root = tmp_path_factory.mktemp("recipe-build")
    site, bundle = root / "site", root / "bundle.json"
    subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", "--catalogue", str(CATALOGUE),
         "--site-dir", str(site), "--cache-dir", str(root / "cache")],
        check=True, capture_output=True,
    )  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        assert bundle_command(CATALOGUE, bundle, out=io.StringIO()) == 0
    return site, bundle


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory, built, postgres_cluster, seaweed_url, seaweed_s3, clamd
) -> Iterator[Recipe]:
    site, bundle = built
    root = tmp_path_factory.mktemp("recipe")
    with recipe(
        root,
        cluster=postgres_cluster,
        store_url=seaweed_url,
        store_client=seaweed_s3,
        site=site,
        bundle=bundle,
        clamd=clamd.address,  # every upload is scanned before it is accepted
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(stack: Recipe) -> HttpsClient:
    return HttpsClient(stack)


def create_officer(stack: Recipe, office: str) -> str:
    """As an operator would: `motcua create-officer` with the app processes' settings."""
    username = f"cb-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "chalicelib.admin", "create-officer", username]
    command += ["--name", "Lê Văn Tiếp"]
    command += ["--role", "mot_cua", "--office", office, "--password-stdin"]
    done = subprocess.run(
        command, input=PASSWORD + "\n", env=stack.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return username


def test_a_dossier_with_uploads_is_filed_looked_up_and_received_through_nginx(stack, client):
    draft = uuid.uuid4().hex
    # uploads: target, POST through nginx to the store, verify
    body = submission(client, PROCEDURE, WITH_FILES, draft=draft)
    assert body["uploads"], "the procedure must take files for this test"
    status, target = client.request(
        "POST",
        "/api/uploads",
        {"procedure": body["procedure"], "slot": next(iter(body["uploads"])), "draft": draft,
         "filename": "a.pdf", "content_type": "application/pdf", "size": 100},
    )  # fmt: skip
    assert status == 200 and target["url"].startswith(stack.url + STORE_PREFIX + "/"), target

    status, filed = client.request("POST", "/api/submissions", body, {"Idempotency-Key": draft})
    assert status == 201, filed
    applicant = Applicant(client, filed)
    assert applicant.view()["code"] == filed["code"]

    one_stop = Officer(client, create_officer(stack, body["office"]))
    status, queue = one_stop.get(f"/api/office/queue?office={body['office']}")
    assert status == 200 and filed["code"] in json.dumps(queue), queue
    status, view = one_stop.get(f"/api/office/dossiers/{filed['code']}")
    assert status == 200, view
    status, received = one_stop.act(filed["code"], "receive", view["version"])
    assert status == 200, received
    assert applicant.view()["status"] != view["status"]

    # The officer's file link is a presigned GET under the site's origin; the store answers it
    # through nginx with the bytes uploaded.
    status, link = one_stop.get(f"/api/office/dossiers/{filed['code']}/files/0")
    assert status == 200 and link["url"].startswith(stack.url + STORE_PREFIX + "/"), link
    status, content, headers = client.get(link["url"].removeprefix(stack.url))
    assert status == 200 and content.startswith(b"%PDF"), (status, content[:200])
    assert "sandbox" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


# Well formed, so each counts as a guess (a malformed secret is a 422 that does not).
WRONG_SECRET = "00000000000" + lookup_secret.check_character("00000000000")


def test_lookups_are_limited_per_client_address_not_per_proxy(stack, client):
    """Behind nginx every connection to the app comes from 127.0.0.1; the app processes take the
    client's address from the X-Forwarded-For that nginx sets (serve.py --trusted-proxy), so one
    client past its failed lookups does not lock out the others. The client here is 127.0.0.2,
    with a forged X-Forwarded-For that nginx overwrites."""
    address = stack.url.split("://", 1)[1]

    def failed_lookup(source: str) -> int:
        connection = http.client.HTTPSConnection(
            address, timeout=10, context=client.context, source_address=(source, 0)
        )
        try:
            headers = {"X-Lookup-Secret": WRONG_SECRET, "X-Forwarded-For": "203.0.113.9"}
            connection.request("GET", "/api/dossiers/HS-KHONG-CO", headers=headers)
            return connection.getresponse().status
        finally:
            connection.close()

    answers = [failed_lookup("127.0.0.2") for _ in range(60)]  # 20 per process and window
    assert answers[0] == 404 and answers[-1] == 429, answers
    assert failed_lookup("127.0.0.1") == 404


def test_static_pages_are_gzipped_cached_and_carry_the_security_headers(stack, client):
    status, page, headers = client.get("/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert b"<html" in gzip.decompress(page)
    assert headers["cache-control"] == "no-cache"
    for name, value in SECURITY_HEADERS.items():  # the embedded server's set, from one home
        assert headers[name.lower()] == value, name
    assert headers["strict-transport-security"].startswith("max-age=")

    hashed = next(
        path
        for path in (stack.site / "assets").rglob("*.js")
        if re.search(r"\.[0-9a-f]{8}\.min\.js$", path.name)
    )
    status, _, headers = client.get("/" + str(hashed.relative_to(stack.site)))
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" in headers

    status, _, headers = client.get("/khong-co-trang-nay/")
    assert status == 404 and "content-security-policy" in headers


def test_a_procedure_page_stored_only_gzipped_reaches_clients_with_and_without_gzip(stack, client):
    for path in ("thu-tuc/1.001193/", "thu-tuc/1.001193/in/"):
        folder = stack.site / path
        assert not (folder / "index.html").exists()  # as the build stores it
        copy = (folder / "index.html.gz").read_bytes()

        status, page, headers = client.get(f"/{path}", {"Accept-Encoding": "gzip"})
        assert status == 200 and page == copy, path  # as it is: never gzipped twice
        assert headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]

        status, page, headers = client.get(f"/{path}", {"Accept-Encoding": "identity"})
        assert status == 200 and page == gzip.decompress(copy), path  # nginx's gunzip
        assert "content-encoding" not in headers and "Accept-Encoding" in headers["vary"]
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-cache"
        for name, value in SECURITY_HEADERS.items():
            assert headers[name.lower()] == value, name

    status, _, headers = client.get("/thu-tuc/1.001193")
    assert status == 301 and headers["location"].endswith("/thu-tuc/1.001193/")
    assert "content-security-policy" in headers
    status, page, headers = client.get("/thu-tuc/9.999999/", {"Accept-Encoding": "identity"})
    assert status == 404 and page == (stack.site / "404.html").read_bytes()
    assert "content-security-policy" in headers


def test_api_replies_carry_each_security_header_once(stack):
    """The app sends the set too; nginx hides its copies and adds its own (no header twice)."""
    connection = http.client.HTTPSConnection(
        stack.url.split("://", 1)[1], timeout=30, context=stack.ssl_context()
    )
    for path in ("/api/openapi.json", "/api/khong-co"):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get_all(name) == [value], (path, name)
    connection.close()


def test_plain_http_redirects_to_https_and_tls_offers_http2(stack):
    connection = http.client.HTTPConnection(stack.http_url.split("://", 1)[1], timeout=10)
    connection.request("GET", "/tra-cuu/?a=1")
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == stack.url + "/tra-cuu/?a=1"
    connection.close()

    context = stack.ssl_context()
    context.set_alpn_protocols(["h2", "http/1.1"])
    host, port = stack.url.split("://", 1)[1].split(":")
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_request_bodies_are_limited_per_route(stack, client):
    too_big_json = b'{"a": "' + b"x" * (300 * 1024) + b'"}'
    status, _ = client.request("POST", "/api/submissions", raw=too_big_json)
    assert status == 413
    # The store's route takes uploads up to the largest slot; past it nginx refuses at once,
    # from the Content-Length, before reading the body.
    connection = http.client.HTTPSConnection(
        stack.url.split("://", 1)[1], timeout=10, context=stack.ssl_context()
    )
    connection.putrequest("POST", f"{STORE_PREFIX}/{stack.bucket}")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(200 * 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_a_client_sending_its_headers_slowly_is_cut_off(stack):
    """client_header_timeout: a connection that never finishes its request's headers is closed
    after 10 s, instead of holding a worker's connection as long as the client likes."""
    host, port = stack.url.split("://", 1)[1].split(":")
    context = stack.ssl_context()
    with (
        socket.create_connection((host, int(port)), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and nothing more
        began = time.monotonic()
        try:
            closed = tls.recv(1024)
        except (ConnectionResetError, ssl.SSLError):
            closed = b""
        waited = time.monotonic() - began
    assert b"200 OK" not in closed
    assert 8 <= waited <= 20, waited


def test_an_app_process_killed_mid_load_loses_and_duplicates_nothing(stack, client):
    status, form = client.request("GET", f"/api/procedures/{LOAD_PROCEDURE}/form")
    assert status == 200, form
    body = json.dumps(
        {
            "procedure": LOAD_PROCEDURE,
            "answers": answers_for(form["form"]),
            "uploads": {},
            "office": form["offices"][0]["id"],
        }
    ).encode()
    keys = [uuid.uuid4().hex for _ in range(SUBMISSIONS)]
    answered = threading.Semaphore(0)
    retries: list[str] = []

    def submit(key: str) -> tuple[str, str]:
        """Sends one submission until it is answered, retrying with its same key on a 502/503/
        504 or a broken connection, as the application page does."""
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        for _ in range(20):
            connection = http.client.HTTPSConnection(
                stack.url.split("://", 1)[1], timeout=30, context=client.context
            )
            try:
                connection.request("POST", "/api/submissions", body, headers)
                response = connection.getresponse()
                reply = response.read()
            except (OSError, http.client.HTTPException) as error:
                retries.append(type(error).__name__)
                continue
            finally:
                connection.close()
            if response.status in RETRIED:
                retries.append(str(response.status))
                continue
            assert response.status == 201, (response.status, reply[:300])
            answered.release()
            filed = json.loads(reply)
            return filed["code"], filed["secret"]
        raise AssertionError(f"submission {key} never answered")

    victim = stack.apps[0]
    with ThreadPoolExecutor(CLIENTS) as pool:
        filed = pool.map(submit, keys)
        for _ in range(KILL_AFTER):
            assert answered.acquire(timeout=60)
        # Frozen first, so that requests nginx sends it meanwhile are surely in flight when it is
        # killed: a kill between two requests would cut nothing off (and did once, under load).
        victim.freeze()
        time.sleep(1)
        victim.kill()
        filed = list(filed)
    assert not victim.alive() and stack.apps[1].alive()
    assert retries, "the kill cut no request off: it came too late to test anything"

    codes = [code for code, _ in filed]
    assert len(set(codes)) == SUBMISSIONS, "two submissions got one dossier"
    with psycopg.connect(stack.dsn) as conn:
        dossiers = conn.execute("SELECT count(*) FROM dossiers").fetchone()[0]
        stored = dict(conn.execute("SELECT key, code FROM idempotency").fetchall())
    filed_before = dossiers - SUBMISSIONS  # the other tests' dossiers in this database
    assert filed_before >= 0 and len(stored) == dossiers
    for key, code in zip(keys, codes, strict=True):
        assert stored[lookup_secret.idempotency_hash(key)] == code, "retried into another dossier"
    # Each answered dossier is found with its secret through nginx (the surviving process).
    for code, secret in filed[:: SUBMISSIONS // 12]:
        status, view = client.request(
            "GET", f"/api/dossiers/{code}", None, {"X-Lookup-Secret": secret}
        )
        assert status == 200 and view["code"] == code, view


def test_open_data_downloads_have_their_types_and_are_never_gzipped_twice(stack, client):
    folder = stack.site / "du-lieu-mo"
    one = next((folder / "thu-tuc").iterdir())
    for path in (folder / "thu-tuc.json.gz", folder / "cpsv-ap.jsonld.gz", one):
        for accepted in ("gzip", "identity"):
            url = "/" + str(path.relative_to(stack.site))
            status, data, headers = client.get(url, {"Accept-Encoding": accepted})
            assert status == 200 and headers["content-type"] == "application/gzip", url
            assert "content-encoding" not in headers, url
            assert data == path.read_bytes()  # the file as it is: one gzip layer
            json.loads(gzip.decompress(data))
    status, data, headers = client.get("/du-lieu-mo/thu-tuc.csv", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-encoding"] == "gzip"  # the build's copy, sent as transfer coding
    assert gzip.decompress(data) == (folder / "thu-tuc.csv").read_bytes()
    status, data, headers = client.get("/du-lieu-mo/thu-tuc.csv", {"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers and data.startswith(b"\xef\xbb\xbfcode,")
    status, data, headers = client.get("/du-lieu-mo/tu-vung/motcua.ttl")
    assert status == 200 and headers["content-type"] == "text/turtle; charset=utf-8"
    assert b"@prefix motcua:" in data
    status, _, headers = client.get("/du-lieu-mo/datapackage.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    for name, value in SECURITY_HEADERS.items():
        assert headers[name.lower()] == value, name
