"""Search works without a connection once the home page has loaded (issue 6)."""

from playwright.sync_api import Page, expect


def test_search_and_pages_already_read_work_offline(page: Page, server, axe):
    page.goto(f"{server.url}/")
    box = page.locator(".tthc-search")
    expect(box).to_have_attribute("data-offline", "trang", timeout=15_000)
    page.fill("#tthc-search-input", "khai sinh")
    expect(page.locator("#tthc-search-results li").first).to_contain_text("khai sinh")
    expect(box).to_have_attribute("data-offline", "tat-ca", timeout=30_000)

    page.context.set_offline(True)
    page.reload()
    # a query whose index shards the page never asked for while online
    page.fill("#tthc-search-input", "giay phep xay dung")
    expect(page.locator("#tthc-search-results li").first).to_contain_text("giấy phép xây dựng")
    page.fill("#tthc-search-input", "1.001193")
    expect(page.locator("#tthc-search-results li").first).to_contain_text("1.001193")

    # a page never read says so in Vietnamese instead of the browser's error
    response = page.goto(f"{server.url}/thu-tuc/1.004194/")
    assert response is not None and response.status == 503
    expect(page.get_by_role("heading", level=1)).to_have_text("Không có kết nối mạng")
    axe(page, "offline page")
    page.context.set_offline(False)
