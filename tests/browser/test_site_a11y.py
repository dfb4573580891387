"""Every page type passes axe-core (WCAG 2.2 AA rules) on a small phone (320 px), a phone (360 px)
and a desktop (1280 px), fits the screen's width in the site's web font and in the fallback font
the browser uses when the web font never arrives, and gets a screenshot in
test-artifacts/screenshots/ (see conftest.py)."""

import pytest
from playwright.sync_api import expect


def searched(page):
    box = page.get_by_role("searchbox", name="Tìm thủ tục")
    box.press_sequentially("khai sinh", delay=15)
    expect(page.locator("#tthc-search-results li").first).to_be_visible()


def as_of_refused(page):
    page.get_by_label("Xem thủ tục áp dụng vào ngày").fill("2000-01-01")
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(page.get_by_role("status")).not_to_be_empty()


PAGES = {
    "home": ("/", None),
    "home-search-results": ("/", searched),
    "procedure": ("/thu-tuc/1.001193/", None),
    "procedure-calculator": ("/thu-tuc/1.004222/", None),
    "procedure-as-of-refused": ("/thu-tuc/1.014063/", as_of_refused),
    "procedure-replaced": ("/thu-tuc/2.000986/", None),
    "procedure-abolished": ("/thu-tuc/1.009444/", None),
    "version-past": ("/thu-tuc/2.000986/2026-06-10/", None),
    "version-scheduled": ("/thu-tuc/1.014063/2027-01-01/", None),
    "checklist": ("/thu-tuc/1.001193/in/", None),
    "browse": ("/duyet/", None),
    "fields": ("/duyet/linh-vuc/", None),
    "field": ("/duyet/linh-vuc/ho-tich/", None),
    "level": ("/duyet/cap/xa/", None),
    "audience": ("/duyet/doi-tuong/cong-dan/", None),
    "online-kind": ("/duyet/truc-tuyen/", None),
    "agencies": ("/co-quan/", None),
    "agency": ("/co-quan/ubnd-cap-xa/", None),
    "agency-offices": ("/co-quan/cong-an-cap-xa/", None),
    "life-events": ("/su-kien/", None),
    "life-event": ("/su-kien/khai-sinh/", None),
    "open-data": ("/du-lieu-mo/", None),
    "vocabulary": ("/du-lieu-mo/tu-vung/", None),
    "about": ("/gioi-thieu/", None),
    "online": ("/nop-truc-tuyen/", None),
    "finding": ("/tim-kiem/?q=khai+sinh", None),
    "not-found": ("/khong-co-trang-nay/", None),
}


WEB_FONT = "Noto Sans Variable"


def open_page(page, server, name):
    path, action = PAGES[name]
    response = page.goto(server.url + path)
    assert response.status == (404 if name == "not-found" else 200)
    if action:
        action(page)
    page.evaluate("document.fonts.ready")  # measure the layout in its final font


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", [320, 360, 1280])
@pytest.mark.parametrize("name", PAGES)
def test_page_type_passes_axe_and_fits_the_screen(make_page, server, axe, shot, name, width):
    page = make_page(width, 800)
    open_page(page, server, name)
    shot(page, f"{name}-{width}")
    axe(page, f"{name} at {width} px")
    assert overflow(page) <= 0, f"{name} is {overflow(page)} px wider than a {width} px screen"


@pytest.mark.parametrize("name", PAGES)
def test_page_type_fits_a_small_phone_in_the_fallback_font(make_page, server, shot, name):
    """The web font blocked (as on a connection that drops it): the fallback font's metrics,
    here the test machine's DejaVu Sans (wider than Arial), must fit 320 px as well."""
    page = make_page(320, 800)
    page.route("**/*.woff2", lambda route: route.abort())
    open_page(page, server, name)
    loaded = page.evaluate(
        "family => [...document.fonts].filter(f => f.family.replace(/\"/g, '') === family)"
        ".map(f => f.status)",
        WEB_FONT,
    )
    assert "loaded" not in loaded, f"{name}: the web font was not blocked ({loaded})"
    shot(page, f"{name}-320-fallback-font")
    assert overflow(page) <= 0, f"{name} is {overflow(page)} px wider than 320 px (fallback font)"
