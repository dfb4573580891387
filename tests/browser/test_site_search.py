"""The home page's search box in a real Chromium: typed queries, results in the top 3.

Expected codes come from tests/fixtures/search-queries.yaml (written from the catalogue's names
and synonyms) and from the catalogue itself; tests/test_search_quality.py checks the same queries
against the Python reference, this checks what a citizen sees after typing them.
"""

import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

QUERIES = yaml.safe_load(
    (Path(__file__).parents[1] / "fixtures" / "search-queries.yaml").read_text(encoding="utf-8")
)["seed"]
BIRTH = "1.001193"
CODE_IN_HREF = re.compile(r"thu-tuc/(\d+\.\d+)/$")


def type_query(page, query: str, *, keystrokes: bool = True) -> list[str]:
    """Types like a person (or pastes), waits for the results of the whole query, returns their
    codes in order."""
    box = page.get_by_role("searchbox", name="Tìm thủ tục")
    box.fill("")
    if keystrokes:
        box.press_sequentially(query, delay=15)
    else:
        box.fill(query)
    expect(page.locator("#tthc-search-status")).to_contain_text(f"“{query}”")
    hrefs = page.locator("#tthc-search-results a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return [CODE_IN_HREF.search(h).group(1) for h in hrefs]


@pytest.fixture
def home(page, server):
    page.goto(server.url + "/")
    return page


@pytest.mark.parametrize(
    "query",
    ["dang ky khai sinh", "đăng ký khai sinh", "Đăng Ký Khai Sinh", BIRTH, "001193"],
    ids=["no-diacritics", "diacritics", "capitals", "national-code", "code-digits"],
)
def test_search_finds_birth_registration_in_the_top_3(home, query):
    assert BIRTH in type_query(home, query)[:3]


def test_search_by_a_catalogue_synonym(home, facts):
    synonyms = facts.shown(BIRTH)["synonyms"]
    assert "giấy khai sinh" in synonyms
    for synonym in synonyms:
        assert BIRTH in type_query(home, synonym)[:3], synonym


@pytest.mark.parametrize(
    ("query", "code", "meant"),
    [
        ("dang ky khai sinhh", BIRTH, "đăng ký khai sinh"),
        ("dang ky thuogn tru", "1.004222", "Đăng ký thường trú"),
        ("giay phep xay dungg", "1.013225", "giấy phép xây dựng"),
    ],
    ids=["extra-letter", "swapped-letters", "extra-letter-long-name"],
)
def test_search_forgives_a_typo(home, facts, query, code, meant):
    assert meant.lower() in facts.shown(code)["name"].lower()  # the query misspells its name
    assert code in type_query(home, query)[:3]


def test_every_seed_query_of_the_quality_list_finds_its_procedure_in_the_top_3(home):
    misses = []
    for case in QUERIES:
        codes = type_query(home, case["q"], keystrokes=False)
        if case["code"] not in codes[:3]:
            misses.append(f"{case['q']!r}: expected {case['code']}, got {codes[:3]}")
    assert not misses, "\n".join(misses)


def test_a_result_opens_the_procedure_page(home, facts):
    type_query(home, "khai sinh")
    home.get_by_role("link", name=facts.shown(BIRTH)["name"], exact=True).click()
    home.wait_for_url(f"**/thu-tuc/{BIRTH}/")
    expect(home.get_by_role("heading", level=1)).to_have_text(facts.shown(BIRTH)["name"])


def test_no_result_says_what_to_try(home):
    assert type_query(home, "qqxxzz") == []
    expect(home.locator("#tthc-search-status")).to_contain_text("Không tìm thấy thủ tục nào")


def test_search_reads_only_the_index_files_it_needs(home, server):
    type_query(home, "khai sinh")
    fetched = [u for u in home.requested_urls if "/search/" in u]
    assert any(u.endswith("/search/meta.json") for u in fetched)
    # distinct URLs: the service worker (offline.js) forwards each request, and both are seen
    shards = sorted({u for u in fetched if "/search/t/" in u})
    assert 1 <= len(shards) <= 2, shards  # one shard per distinct two-letter prefix
