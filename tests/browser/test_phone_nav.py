"""A citizen's four ways in on a phone (360 px): the header's icons and the menu (drawer) give
search, the procedures one can file online here, the status lookup and the agencies' contacts;
the menu is a real button, and without JavaScript its label still opens the drawer."""

from playwright.sync_api import Page, expect

WAYS = {
    "Tìm thủ tục": "/#tim-thu-tuc",
    "Nộp hồ sơ trực tuyến": "/nop-truc-tuyen/",
    "Tra cứu hồ sơ": "/tra-cuu/",
    "Liên hệ cơ quan: địa chỉ, điện thoại": "/co-quan/",
}


def test_the_header_gives_the_four_ways_in(page: Page, server, axe):
    for start in ("/", "/thu-tuc/1.001193/", "/tra-cuu/", "/nop-truc-tuyen/"):
        page.goto(server.url + start)
        header = page.locator("header.md-header")
        for name, path in WAYS.items():
            link = header.get_by_role("link", name=name, exact=True)
            expect(link).to_be_visible()
            assert link.evaluate("a => a.href") == server.url + path
        # All of it inside 360 px: nothing pushed off the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(server.url + "/thu-tuc/1.001193/")
    page.locator("header.md-header").get_by_role("link", name="Tra cứu hồ sơ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tra cứu hồ sơ")
    axe(page, "header links")


def test_the_menu_button_opens_a_drawer_with_the_four_ways_in(page: Page, server, axe):
    page.goto(server.url + "/duyet/")
    menu = page.get_by_role("button", name="Mở danh mục trang")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    drawer = page.locator(".md-sidebar--primary")
    expect(drawer).to_be_visible()
    for name, path in WAYS.items():
        link = drawer.get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        assert link.evaluate("a => a.href") == server.url + path
    axe(page, "drawer open")
    drawer.get_by_role("link", name="Nộp hồ sơ trực tuyến", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nộp hồ sơ trực tuyến")


def test_the_search_link_takes_one_to_the_search_box(page: Page, server):
    page.goto(server.url + "/co-quan/")
    page.locator("header.md-header").get_by_role("link", name="Tìm thủ tục").click()
    box = page.get_by_role("searchbox", name="Tìm thủ tục")
    expect(box).to_be_in_viewport()
    expect(box).to_be_focused()


def test_without_javascript_the_menu_still_opens(make_page, server):
    page = make_page(360, 800, java_script_enabled=False)
    page.goto(server.url + "/thu-tuc/1.001193/")
    expect(page.get_by_role("button", name="Mở danh mục trang")).to_have_count(0)
    page.locator('header label[for="__drawer"]').click()
    expect(page.locator("#__drawer")).to_be_checked()
    expect(
        page.locator(".md-sidebar--primary").get_by_role("link", name="Tra cứu hồ sơ")
    ).to_be_visible()


def _online_codes(facts) -> dict[str, dict]:
    """Procedures whose version in force today has an online form (as the build decides)."""
    from chalicelib.versions import version_in_force

    found = {}
    for code in facts.codes:
        version = version_in_force(facts.versions(code), facts.today)
        if version and version.get("online_service", {}).get("form"):
            found[code] = version
    return found


def test_the_online_page_lists_every_procedure_with_a_form_by_field(page: Page, server, facts, axe):
    online = _online_codes(facts)
    assert len(online) >= 10
    page.goto(server.url + "/nop-truc-tuyen/")
    items = page.locator("ul.tthc-online > li")
    expect(items).to_have_count(len(online))
    listed = {}
    for item in items.all():
        form = item.get_by_role("link").first
        code = form.get_attribute("href").strip("/").split("/")[-1]
        listed[code] = item
        assert form.evaluate("a => a.href") == f"{server.url}/nop-ho-so/{code}/"
        expect(form).to_have_text(online[code]["name"])
        # Where the dossier goes: a link to that agency's page (address, hours, phone).
        place = item.locator('a[href*="co-quan/"]').first
        expect(place).to_be_visible()
    assert set(listed) == set(online)
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    fields = {facts.fields[v["field"]].capitalize() for v in online.values()}
    assert set(headings) == fields
    for heading in headings:  # each procedure under its field's heading
        section = page.locator(f"h2:text-is('{heading}') + ul > li")
        for code in section.evaluate_all(
            "lis => lis.map(li => li.querySelector('a').getAttribute('href'))"
        ):
            code = code.strip("/").split("/")[-1]
            assert facts.fields[online[code]["field"]].capitalize() == heading
    axe(page, "online procedures")
    # An agency link leads to its address, hours and phone (published or "chưa được công bố").
    listed["3.000333"].locator('a[href*="co-quan/"]').click()
    expect(page.get_by_text("Địa chỉ", exact=True)).to_be_visible()
    expect(page.get_by_text("Điện thoại", exact=True)).to_be_visible()
