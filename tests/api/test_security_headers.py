"""Every reply of functions/serve.py, page or API, carries the security headers of
chalicelib/headers.py: one page of every kind of the built site (the fixture catalogue), its
assets, the 404 page, a redirect, API replies and errors, the upload endpoint. And no page has
an inline script, an inline event handler or an inline style, so the strict policy holds."""

import http.client
import io
import re
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from buildlib.site import built
from buildlib.site.build import build_command
from chalicelib.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS

from ..conftest import CATALOGUE

pytestmark = pytest.mark.slow  # a site build and a server on loopback

INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
DATA_BLOCK = re.compile(r"""\b(src=|type=["']?application/(ld\+)?json)""", re.I)
HANDLER = re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.I)
STYLE = re.compile(r"""<style\b|<[^>]*\sstyle\s*=""", re.I)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture catalogue's site, built as `build.py build` builds it (served_port uses it)."""
    tmp = tmp_path_factory.mktemp("built")
    out = io.StringIO()
    code = build_command(CATALOGUE, out=out, site_dir=tmp / "site", cache_dir=tmp / "cache")
    assert code == 0, out.getvalue()
    return tmp / "site"


def one_page_of_each_kind(site: Path) -> list[str]:
    """A URL per (first folder, depth) of the site's pages: home, about, lookup, procedure and
    its versions, application form, agency, life event, browse pages, open data, back office."""
    kinds: dict[tuple[str, int], str] = {}
    for page in built.find(site, "**/index.html"):
        parts = page.relative_to(site).parts[:-1]
        kinds.setdefault((parts[0] if parts else "", len(parts)), "/".join(parts))
    return [f"/{path}/" if path else "/" for path in kinds.values()]


def fetch(port: int, path: str, method: str = "GET", **headers: str) -> tuple[int, Message]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    for name, value in headers.items():
        request.add_header(name, value)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            response.read()
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, error.headers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def assert_secured(status: int, headers: Message, what: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers.get_all(name) == [value], f"{what} ({status}): {name}"


def test_the_policy_is_strict():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["Referrer-Policy"] == "strict-origin-when-cross-origin"
    for feature in ("camera", "microphone", "geolocation"):
        assert f"{feature}=()" in SECURITY_HEADERS["Permissions-Policy"]
    assert SECURITY_HEADERS["Cross-Origin-Opener-Policy"] == "same-origin"


def test_no_built_page_has_an_inline_script_handler_or_style(site_dir: Path):
    found = []
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        scripts = [
            m["body"][:60]
            for m in INLINE_SCRIPT.finditer(text)
            if m["body"].strip() and not DATA_BLOCK.search(m["attrs"])
        ]
        found += [f"{page.relative_to(site_dir)}: script {s!r}" for s in scripts]
        found += [f"{page.relative_to(site_dir)}: {m[0][:60]!r}" for m in HANDLER.finditer(text)]
        found += [f"{page.relative_to(site_dir)}: {m[0][:60]!r}" for m in STYLE.finditer(text)]
    assert found == []


def test_every_kind_of_page_and_asset_carries_the_headers(served_port: int, site_dir: Path):
    pages = one_page_of_each_kind(site_dir)
    assert {"/", "/thu-tuc/", "/nop-ho-so/", "/co-quan/", "/du-lieu-mo/", "/can-bo/"} <= {
        "/" + p.split("/")[1] + "/" if p != "/" else p for p in pages
    }
    assets = ["/assets/frame.js", "/assets/site.css", "/search/meta.json"]
    assets += ["/du-lieu-mo/thu-tuc.json.gz", "/sitemap.xml"]
    assets += ["/" + str(p.relative_to(site_dir)) for p in site_dir.glob("assets/fonts/*.woff2")]
    for path in pages + assets:
        for encoding in ("gzip", "identity"):
            status, headers = fetch(served_port, path, **{"Accept-Encoding": encoding})
            assert status == 200, path
            assert_secured(status, headers, path)
    status, headers = fetch(served_port, "/", "HEAD")
    assert_secured(status, headers, "HEAD /")


def test_errors_redirects_and_not_modified_carry_the_headers(served_port: int):
    status, headers = fetch(served_port, "/thu-tuc/9.999999/")
    assert status == 404 and headers.get_content_type() == "text/html"
    assert_secured(status, headers, "the 404 page")
    status, headers = fetch(served_port, "/co-quan")
    assert status == 301 and headers["Location"] == "/co-quan/"
    assert_secured(status, headers, "a redirect")
    status, headers = fetch(served_port, "/", "POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert_secured(status, headers, "POST to a page")
    etag = fetch(served_port, "/assets/frame.js")[1]["ETag"]
    status, headers = fetch(served_port, "/assets/frame.js", **{"If-None-Match": etag})
    assert status == 304
    assert_secured(status, headers, "304")


def test_api_replies_and_errors_carry_the_headers(served_port: int):
    code = sorted(p.name for p in (CATALOGUE / "procedures").iterdir())[0]
    for method, path, expected in [
        ("GET", "/api/openapi.json", 200),
        ("GET", f"/api/procedures/{code}/form", None),
        ("GET", "/api/khong-co", 404),
        ("DELETE", "/api/openapi.json", 405),
        ("GET", "/api/dossiers/HS-KHONG-CO", None),
        ("POST", "/api/submissions", None),
        ("POST", "/api/uploads/local", None),  # the embedded store's upload endpoint
        ("GET", "/api/uploads/local?key=x", None),
    ]:
        status, headers = fetch(served_port, path, method, **{"Content-Type": "application/json"})
        assert expected is None or status == expected, (method, path, status)
        assert_secured(status, headers, f"{method} {path}")


def test_a_body_refused_before_it_is_read_carries_the_headers(served_port: int):
    """The guard answers 413 from the headers alone (chalicelib/local/guard.py), outside WSGI."""
    conn = http.client.HTTPConnection("127.0.0.1", served_port, timeout=10)
    conn.putrequest("POST", "/api/submissions")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(10**9))
    conn.endheaders()
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 413
    assert_secured(response.status, response.msg, "413 from the guard")
