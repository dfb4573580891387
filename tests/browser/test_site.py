"""The static site in a real Chromium, served by the README's run command (see conftest.py)."""


def test_home_page_is_in_vietnamese_and_has_a_search_box(page, server):
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("searchbox").count() + page.get_by_role("textbox").count() >= 1
