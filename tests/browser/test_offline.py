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


def test_an_application_page_already_opened_starts_offline(page: Page, server):
    """apply.js and the modules it imports come from the service worker's copy: the form starts
    without a connection (its answers are kept in the draft until the connection is back)."""
    page.goto(f"{server.url}/")
    expect(page.locator(".tthc-search")).to_have_attribute("data-offline", "trang", timeout=15_000)
    page.goto(f"{server.url}/nop-ho-so/1.001193/")
    expect(page.locator("#ap-app")).to_be_visible()

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#ap-app")).to_be_visible()
    expect(page.locator("#ap-nojs")).to_be_hidden()
    page.get_by_role("button", name="Bắt đầu khai").click()
    expect(page.locator(".ap-step:visible h2")).to_be_focused()
    page.context.set_offline(False)
