"""Browse pages in a real Chromium: every facet lists exactly the catalogue's procedures for it,
and life events walk the citizen through their procedures in order (see conftest.py)."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

CODE_IN_HREF = re.compile(r"thu-tuc/(\d+\.\d+)/$")

# facet index, the catalogue value of the version shown today that puts a procedure on a page
# (as its URL slug: audiences and online kinds have Vietnamese ones)
AUDIENCES = {"citizen": "cong-dan", "business": "doanh-nghiep", "organisation": "to-chuc"}
ONLINE = {"none": "khong-co", "unpublished": "chua-cong-bo"}
FACETS = {
    "linh-vuc": lambda v: {v["field"]},
    "cap": lambda v: set(v["levels"]),
    "doi-tuong": lambda v: {AUDIENCES[a] for a in v.get("audiences", [])},
    "truc-tuyen": lambda v: {
        ONLINE.get(k, k) for k in [v.get("online_service", {}).get("kind", "unpublished")]
    },
}


def listed_codes(page) -> list[str]:
    hrefs = page.locator("article .tthc-list a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return [m.group(1) for h in hrefs if (m := CODE_IN_HREF.search(h))]


def test_browse_page_links_to_every_way_of_browsing(page, server):
    page.goto(server.url + "/duyet/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tra cứu thủ tục hành chính")
    links = page.locator("article .tthc-list a")
    targets = [link.get_attribute("href") for link in links.all()]
    assert len(targets) == 6
    for name, target in zip([link.inner_text() for link in links.all()], targets, strict=True):
        page.goto(server.url + "/duyet/")
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(urljoin(server.url + "/duyet/", target))
        expect(page.get_by_role("heading", level=1)).not_to_be_empty()


@pytest.mark.parametrize("facet", FACETS)
def test_each_facet_page_lists_exactly_its_procedures(page, server, facts, facet):
    values_of = FACETS[facet]
    expected: dict[str, set[str]] = {}
    for code in facts.codes:
        for value in values_of(facts.shown(code)):
            expected.setdefault(value, set()).add(code)

    page.goto(f"{server.url}/duyet/{facet}/")
    hrefs = page.locator("article .tthc-list a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    values = [h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs]
    assert set(values) == set(expected), facet
    for value in values:
        page.goto(f"{server.url}/duyet/{facet}/{value}/")
        expect(page.get_by_role("heading", level=1)).not_to_be_empty()
        assert set(listed_codes(page)) == expected[value], f"/duyet/{facet}/{value}/"
        if facet == "linh-vuc":
            expect(page.get_by_role("heading", level=1)).to_contain_text(facts.fields[value])


def test_each_agency_page_names_the_agency_and_lists_its_procedures(page, server, facts):
    roles = ("implementing", "competent", "coordinating")
    handled: dict[str, set[str]] = {}
    for code in facts.codes:
        v = facts.shown(code)
        agencies = {a for role in roles for a in v.get("agencies", {}).get(role, [])}
        agencies |= set(v.get("intake", {}).get("agencies", []))
        for agency in agencies:
            handled.setdefault(agency, set()).add(code)

    page.goto(server.url + "/co-quan/")
    hrefs = page.locator("article .tthc-list a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    ids = [h.rstrip("/").rsplit("/", 1)[-1] for h in hrefs]
    assert set(handled) <= set(ids)
    for agency in ids:
        page.goto(f"{server.url}/co-quan/{agency}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(facts.agency(agency)["name"])
        assert set(listed_codes(page)) == handled.get(agency, set()), agency


@pytest.mark.parametrize("event", ["khai-sinh", "khai-tu"])
def test_life_event_walks_through_its_procedures_in_order(page, server, facts, event):
    e = facts.life_event(event)
    page.goto(server.url + "/su-kien/")
    page.get_by_role("link", name=e["name"], exact=True).click()
    page.wait_for_url(f"**/su-kien/{event}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(e["name"])
    steps = page.locator("ol.tthc-steps > li")
    assert steps.count() == len(e["steps"])
    for n, step in enumerate(e["steps"], start=1):
        item = steps.nth(n - 1)
        expect(item.get_by_role("heading", level=2)).to_have_text(f"Bước {n}: {step['title']}")
        name = facts.shown(step["procedure"])["name"]
        item.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(f"**/thu-tuc/{step['procedure']}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        page.go_back()
        page.wait_for_url(f"**/su-kien/{event}/")
