"""Unreviewed drafts (review.status imported, written by build.py import-listing) on a 360 px
phone: the "chưa được rà soát" notice comes before the content, names where the values come from,
and the page offers no online filing. Expected values come from the seed catalogue (`facts`)."""

from playwright.sync_api import expect

WITH_RECORD = "1.000302"  # listing facts and the national record's details
BARE = "1.000389"  # the listing's facts only
ABOLISHED = "1.000280"  # abolished by 3509/QĐ-UBND (the listing)
NOTICE = "Thủ tục này chưa được rà soát"


def notice(page):
    return page.locator(".tthc-draft")


def test_a_draft_says_it_is_unreviewed_and_where_its_values_come_from(page, server, facts, axe):
    for code in (WITH_RECORD, BARE):
        v = facts.shown(code)
        assert v["review"]["status"] == "imported"
        page.goto(f"{server.url}/thu-tuc/{code}/")
        expect(notice(page).get_by_role("heading", level=2)).to_have_text(NOTICE)
        expect(notice(page)).to_be_visible()
        sources = notice(page).locator("li")
        expect(sources).to_have_count(len(v["sources"]))
        for item, source in zip(sources.all(), v["sources"], strict=True):
            assert item.inner_text().startswith(source["title"])
        expect(notice(page)).to_contain_text("Nguồn chưa công bố")
        expect(page.locator('a[href*="nop-ho-so/"]')).to_have_count(0)
        # Said before the procedure's own content, and the page fits the phone's width.
        first = page.locator("article h2").first
        expect(first).to_have_text(NOTICE)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        axe(page, f"draft {code} at 360 px")


def test_an_abolished_draft_says_so_before_it_says_it_is_unreviewed(page, server, facts, axe):
    v = facts.shown(ABOLISHED)
    page.goto(f"{server.url}/thu-tuc/{ABOLISHED}/")
    headings = page.locator("article h2").all_inner_texts()
    assert headings[:2] == ["Thủ tục đã bị bãi bỏ", NOTICE]
    expect(page.locator(".tthc-notice").first).to_contain_text(v["ended"]["decision"]["number"])
    expect(page.locator('a[href*="nop-ho-so/"]')).to_have_count(0)
    axe(page, f"abolished draft {ABOLISHED} at 360 px")
