"""Search that stops when it should, on a phone (360 px): the list ends where the procedures
asked for end, the count says what is shown, a name about the query ranks first, and without
JavaScript the home search box still leads somewhere useful."""

from playwright.sync_api import expect

from .test_site_search import type_query


def test_the_count_says_what_is_shown(page, server, axe):
    page.goto(server.url + "/")
    codes = type_query(page, "lý lịch tư pháp")
    assert sorted(codes) == ["3.000330", "3.000333"]
    expect(page.locator("#tthc-search-status")).to_have_text(
        "Có 2 thủ tục phù hợp với “lý lịch tư pháp”."
    )
    for query in ("khai sinh", "dang ky ket hon", "so do", "kha"):
        shown = len(type_query(page, query))
        assert shown > 0
        expect(page.locator("#tthc-search-status")).to_contain_text(f"Có {shown} thủ tục")
    axe(page, "search results")


def test_a_name_about_the_query_comes_first(page, server):
    page.goto(server.url + "/")
    codes = type_query(page, "ho kinh doanh")
    assert codes[0] == "1.001612"  # Đăng ký thành lập hộ kinh doanh
    assert codes.index("1.001612") < codes.index("1.001570")  # Tạm ngừng kinh doanh


def test_without_javascript_the_search_box_leads_to_a_page_that_helps(make_page, server, axe):
    page = make_page(360, 800, java_script_enabled=False)
    page.goto(server.url + "/")
    page.get_by_role("searchbox", name="Tìm thủ tục").fill("khai sinh")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page).to_have_url(f"{server.url}/tim-kiem/?q=khai+sinh")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tìm thủ tục")
    expect(page.get_by_text("Trình duyệt đang tắt JavaScript")).to_be_visible()
    # The most common searches' procedures, and the ways to browse.
    expect(page.get_by_role("heading", name="Khai sinh", level=3)).to_be_visible()
    expect(page.get_by_role("link", name="Thủ tục đăng ký khai sinh", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Theo lĩnh vực")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Thủ tục đăng ký khai sinh", exact=True).click()
    expect(page).to_have_url(f"{server.url}/thu-tuc/1.001193/")


def test_with_javascript_the_finding_page_searches_the_words_sent(page, server, axe):
    page.goto(server.url + "/tim-kiem/?q=ho+kinh+doanh")
    expect(page.get_by_role("searchbox", name="Tìm thủ tục")).to_have_value("ho kinh doanh")
    expect(page.locator("#tthc-search-status")).to_contain_text("“ho kinh doanh”")
    first = page.locator("#tthc-search-results a").first
    expect(first).to_have_text("Đăng ký thành lập hộ kinh doanh")
    axe(page, "finding page with results")
    # The home page's button searches in the page when the script runs.
    page.goto(server.url + "/")
    page.get_by_role("searchbox", name="Tìm thủ tục").fill("khai tử")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("#tthc-search-status")).to_contain_text("“khai tử”")
    assert page.url == server.url + "/"


def test_with_javascript_the_no_script_paragraph_is_never_laid_out(page, server):
    """Hidden by the style sheet, not only by search.js after the first paint (which moved the
    page up: Lighthouse's layout shift on tim-kiem/)."""
    page.route("**/assets/search.js", lambda route: route.abort())
    page.goto(server.url + "/tim-kiem/")
    expect(page.locator("#tthc-search-nojs")).to_be_hidden()
    expect(page.get_by_role("link", name="Theo lĩnh vực")).to_be_visible()
