"""deploy/: the nginx configuration's rendering (deploy/render.py) and the systemd units. The
recipe itself runs for real in tests/contract/test_nginx_recipe.py."""

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.config import MAX_BODY_BYTES
from deploy import render

from .conftest import ROOT

SYSTEMD = ROOT / "deploy" / "systemd"


def make_site(root: Path) -> Path:
    site = root / "site"
    (site / "assets").mkdir(parents=True)
    (site / "index.html").write_text(
        "<!doctype html><html><head>"
        '<script id="__config" type="application/json">{"a": 1}</script>'
        '<script type="application/ld+json">{"@type": "Thing"}</script>'
        '<script src="assets/x.js"></script>'
        "<script>__md_scope=1</script>"
        "</head><body>"
        '<label onkeydown="if (a &amp;&amp; b) go()">x</label>' + "<p>nội dung</p>" * 200,
        encoding="utf-8",
    )
    (site / "assets" / "bundle.0123abcd.min.js").write_text("var a = 1;\n" * 300)
    (site / "assets" / "small.css").write_text("a{}")
    (site / "thu-tuc.json.gz").write_bytes(gzip.compress(b"[]"))  # the build's own download
    return site


def test_every_placeholder_gets_a_value_and_a_missing_one_is_an_error(tmp_path: Path):
    site = make_site(tmp_path)
    argv = ["--site", str(site), "--out", str(tmp_path / "conf"), "--certificate", "c.pem"]
    argv += ["--key", "k.pem", "--app-port", "9001", "--app-port", "9002", "--standalone"]
    assert render.main(argv) == 0

    config = (tmp_path / "conf" / "motcua.conf").read_text()
    assert "@" not in re.sub(r"#.*", "", config)
    assert "server 127.0.0.1:9001 max_fails=1" in config and "127.0.0.1:9002" in config
    assert f"client_max_body_size {MAX_BODY_BYTES};" in config
    assert (tmp_path / "conf" / "nginx.conf").is_file()
    with pytest.raises(SystemExit, match="NOPE"):
        render.fill("listen @NOPE@;", {})


def test_the_upload_route_takes_the_largest_file_a_slot_may_declare():
    assert render.largest_upload() == 100 * 1024 * 1024  # schemas/form.schema.json's maximum


def test_the_csp_allows_exactly_the_pages_inline_scripts_and_handlers(tmp_path: Path):
    site = make_site(tmp_path)

    policy = render.content_security_policy(site)

    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    # The executable inline script and the handler (as the browser reads it: entities decoded);
    # not the JSON data blocks.
    assert script_src == (
        f"script-src 'self' {render.csp_hash('__md_scope=1')} 'unsafe-hashes' "
        f"{render.csp_hash('if (a && b) go()')}"
    )
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy


def test_precompresses_once_keeps_the_sites_own_gz_and_removes_orphans(tmp_path: Path):
    site = make_site(tmp_path)
    record = tmp_path / "gzip-static.txt"
    own = (site / "thu-tuc.json.gz").read_bytes()

    assert render.precompress(site, record) == (2, 0)  # index.html and the bundle
    assert (
        gzip.decompress((site / "index.html.gz").read_bytes()) == (site / "index.html").read_bytes()
    )
    assert not (site / "assets" / "small.css.gz").exists()  # too small to gain anything
    assert (site / "thu-tuc.json.gz").read_bytes() == own
    assert render.precompress(site, record) == (0, 0)  # nothing changed

    (site / "index.html").write_text("<p>mới</p>" * 300, encoding="utf-8")
    os.utime(site / "index.html", ns=(1, 1))
    (site / "assets" / "bundle.0123abcd.min.js").unlink()
    assert render.precompress(site, record) == (1, 1)
    assert gzip.decompress((site / "index.html.gz").read_bytes()).startswith("<p>mới".encode())
    assert not (site / "assets" / "bundle.0123abcd.min.js.gz").exists()
    assert (site / "thu-tuc.json.gz").read_bytes() == own


@pytest.mark.slow
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd is not installed here: systemd-analyze verify cannot run")
    # verify checks that ExecStart's program exists: this checkout stands in for /opt/motcua.
    units = []
    for unit in sorted(SYSTEMD.glob("motcua*.*")):
        if unit.suffix not in (".service", ".target", ".timer"):
            continue
        text = unit.read_text().replace(
            "/opt/motcua/.venv", str(Path(sys.executable).parent.parent)
        )
        text = text.replace("/opt/motcua/", f"{ROOT}/")
        name = unit.name.replace("@.service", "@8001.service")
        (tmp_path / name).write_text(text)
        units.append(str(tmp_path / name))
    assert len(units) == 5, units

    done = subprocess.run(
        [analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0 and done.stderr == "" and done.stdout == "", done.stderr
