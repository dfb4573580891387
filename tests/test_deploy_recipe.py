"""deploy/: the nginx configuration's rendering (deploy/render.py) and the systemd units. The
recipe itself runs for real in tests/contract/test_nginx_recipe.py."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.config import MAX_BODY_BYTES
from chalicelib.headers import SECURITY_HEADERS
from deploy import render

from .conftest import ROOT

SYSTEMD = ROOT / "deploy" / "systemd"


def make_site(root: Path) -> Path:
    site = root / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><p>nội dung</p>", encoding="utf-8")
    return site


def test_every_placeholder_gets_a_value_and_a_missing_one_is_an_error(tmp_path: Path):
    site = make_site(tmp_path)
    argv = ["--site", str(site), "--out", str(tmp_path / "conf"), "--certificate", "c.pem"]
    argv += ["--key", "k.pem", "--app-port", "9001", "--app-port", "9002", "--standalone"]
    assert render.main(argv) == 0

    config = (tmp_path / "conf" / "motcua.conf").read_text()
    # no placeholder left: the only at sign is the named location of the gzipped pages
    assert set(re.findall(r"@\w*@?", re.sub(r"#.*", "", config))) == {"@page"}
    assert "server 127.0.0.1:9001 max_fails=1" in config and "127.0.0.1:9002" in config
    assert f"client_max_body_size {MAX_BODY_BYTES};" in config
    assert (tmp_path / "conf" / "nginx.conf").is_file()
    with pytest.raises(SystemExit, match="NOPE"):
        render.fill("listen @NOPE@;", {})


def test_the_upload_route_takes_the_largest_file_a_slot_may_declare():
    assert render.largest_upload() == 100 * 1024 * 1024  # schemas/form.schema.json's maximum


def test_nginx_sends_the_one_set_of_security_headers_and_hides_the_apps_copies(tmp_path: Path):
    site = make_site(tmp_path)
    argv = ["--site", str(site), "--out", str(tmp_path / "conf"), "--certificate", "c.pem"]
    assert render.main([*argv, "--key", "k.pem"]) == 0

    sent = (tmp_path / "conf" / "motcua-headers.conf").read_text()
    added = dict(re.findall(r'^add_header (\S+) "([^"]*)" always;$', sent, re.MULTILINE))
    assert added == {
        **SECURITY_HEADERS,
        "Strict-Transport-Security": added["Strict-Transport-Security"],
    }
    assert "'unsafe-inline'" not in sent and "sha256-" not in sent
    api = (tmp_path / "conf" / "motcua.conf").read_text().split("location /api/ {")[1]
    hidden = re.findall(r"proxy_hide_header (\S+);", api.split("\n    }")[0])
    assert hidden == list(SECURITY_HEADERS)


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
    assert len(units) == 8, units

    done = subprocess.run(
        [analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0 and done.stderr == "" and done.stdout == "", done.stderr
