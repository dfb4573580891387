"""Publishing on the decision's date: a version with a future `effective_from` is announced on its
procedure's page ("áp dụng từ …") and becomes the version in force on its date with no new
commit, only the daily build (deploy/systemd/motcua-build.timer, .github/workflows/publish.yml)
run with the new date."""

import io
import re
import shutil
from pathlib import Path

import pytest
import yaml

from buildlib.site.build import build_command

from .conftest import CATALOGUE, ROOT
from .test_site import text

pytestmark = pytest.mark.slow

CODE = "1.001612"  # versions from 2021-01-04, 2025-07-01 and 2026-08-08 (fees: none from then)
BEFORE, ON = "2026-08-07", "2026-08-08"


def build(catalogue: Path, tmp: Path, today: str) -> str:
    out = io.StringIO()
    code = build_command(
        catalogue, out=out, today=today, site_dir=tmp / "site", cache_dir=tmp / "cache"
    )
    assert code == 0, out.getvalue()
    return out.getvalue()


def test_a_scheduled_version_is_announced_then_in_force_on_its_date_without_a_commit(
    tmp_path: Path,
):
    catalogue = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, catalogue)
    files = sorted(p.name for p in catalogue.rglob("*") if p.is_file())
    page = tmp_path / "site" / "thu-tuc" / CODE / "index.html"
    feed = tmp_path / "site" / "thu-tuc" / CODE / "thay-doi.xml"

    build(catalogue, tmp_path, BEFORE)
    before, feed_before = text(page), feed.read_text(encoding="utf-8")
    output = build(catalogue, tmp_path, ON)  # the next day's build, same catalogue, same cache
    after, feed_after = text(page), feed.read_text(encoding="utf-8")

    assert sorted(p.name for p in catalogue.rglob("*") if p.is_file()) == files
    assert "một phần" in output  # incremental: only what the date changed is rendered again
    assert "Phiên bản mới áp dụng từ 08/08/2026" in before
    assert re.search(r"Từ 08/08/2026 — áp dụng từ 08/08/2026", before)
    assert "Phiên bản mới áp dụng từ" not in after
    assert re.search(r"Từ 08/08/2026 — đang áp dụng", after)
    assert "áp dụng từ 08/08/2026</title>" not in feed_before
    assert "áp dụng từ 08/08/2026</title>" in feed_after


def test_a_versions_permanent_page_says_it_is_not_yet_in_force(tmp_path: Path):
    build(CATALOGUE, tmp_path, BEFORE)
    permanent = text(tmp_path / "site" / "thu-tuc" / CODE / "2026-08-08" / "index.html")
    assert "phiên bản áp dụng từ 08/08/2026 (chưa áp dụng)" in permanent


def test_the_daily_build_runs_just_after_midnight_in_vietnam_on_both_recipes():
    timer = (ROOT / "deploy" / "systemd" / "motcua-build.timer").read_text(encoding="utf-8")
    service = (ROOT / "deploy" / "systemd" / "motcua-build.service").read_text(encoding="utf-8")
    assert "OnCalendar=*-*-* 00:05:00 Asia/Ho_Chi_Minh" in timer
    assert "Persistent=true" in timer  # a day missed (server down) is built at boot
    assert "Environment=TZ=Asia/Ho_Chi_Minh" in service  # build.py's "today" is Vietnam's
    assert "build.py build" in service
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    assert workflow[True]["schedule"] == [{"cron": "5 17 * * *"}]  # 00:05 at UTC+7
    assert workflow["jobs"]["build"]["env"]["TZ"] == "Asia/Ho_Chi_Minh"
