"""The statistics page (thong-ke/) with data, on a phone (360 px) and a desktop: the fixture
catalogue's site built with the export of tests/test_stats.py's dossiers (run through the real
lifecycle), served under the test server's origin through `page.route`; axe finds nothing, the
charts are drawn (static SVG, no script), nothing is wider than the screen.

Screenshots: test-artifacts/screenshots/thong-ke-*.png."""

import mimetypes
import re

import pytest
from playwright.sync_api import expect

from buildlib.site import built
from tests.test_ratings import make_bundle
from tests.test_stats import built_site

from .test_markup import vnu_errors

PREFIX = "/thong-ke-mau/"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stats-page")
    return built_site(tmp, make_bundle(tmp)).site


def serve(page, server, site) -> None:
    def answer(route):
        path = route.request.url.split(PREFIX, 1)[1].split("#")[0].split("?")[0]
        target = site / path
        if target.is_dir():
            target = target / "index.html"
        if not built.exists(target):
            route.fulfill(status=404, body="")
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=built.read_bytes(target), content_type=kind)

    page.route(re.compile(re.escape(server.url + PREFIX) + ".*"), answer)


@pytest.mark.parametrize("width", [360, 1280])
def test_the_statistics_page_shows_its_charts_and_tables_to_everyone(
    make_page, server, site, axe, shot, width
):
    page = make_page(width, 800)
    serve(page, server, site)
    page.goto(f"{server.url}{PREFIX}thong-ke/")
    expect(page.get_by_role("heading", name="Thống kê giải quyết hồ sơ", level=1)).to_be_visible()
    charts = page.get_by_role("img", name=re.compile("theo tháng"))
    expect(charts).to_have_count(3)
    late = page.locator("svg.tk-chart rect[fill='#d4351c']:has(title)")
    expect(late).to_have_count(1)  # one month had a late result (the legend's swatch has no title)
    expect(page.get_by_role("table", name=re.compile("Chỉ số tính được"))).to_be_visible()
    axe(page, f"thong-ke at {width} px")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"thong-ke-{width}")


def test_the_statistics_page_with_data_is_valid_html(site):
    assert vnu_errors([site / "thong-ke" / "index.html"]) == []
