"""The theme's menu button works from a keyboard (mkdocs-material's is a bare label)."""

from playwright.sync_api import Page, expect


def test_the_menu_opens_with_the_keyboard(page: Page, server, axe):
    page.goto(f"{server.url}/thu-tuc/1.001193/")
    menu = page.get_by_role("button", name="Mở danh mục trang")
    menu.focus()
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#__drawer")).to_be_checked()
    expect(page.locator(".md-sidebar--primary")).to_be_visible()
    axe(page, "menu open")
