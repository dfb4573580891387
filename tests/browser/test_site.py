"""Procedure pages in a real Chromium, served by the README's run command (see conftest.py).

Expected values come from the seed catalogue (the `facts` fixture), not from the built pages.
"""

import gzip
import json
import re
from pathlib import Path

import material
import pytest
from playwright.sync_api import expect

from buildlib.catalogue import labels

MATERIAL_EN = Path(material.__file__).parent / "templates/partials/languages/en.html"
BIRTH = "1.001193"  # Đăng ký khai sinh: one version, an online form, fees with amounts
REPLACED = ("2.000986", "2.001023")  # both replaced by 3.000722
ABOLISHED = "1.009444"
SCHEDULED = "1.014063"  # a version in force and one scheduled from 2027-01-01
RESIDENCE = "1.004222"  # Đăng ký thường trú: deadlines in working days


def content(page):
    return page.locator("article.md-content__inner")


def test_home_page_is_in_vietnamese_with_a_labelled_search_box(page, server):
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    box = page.get_by_role("searchbox", name="Tìm thủ tục")
    expect(box).to_be_visible()
    assert page.title().startswith("Danh mục thủ tục hành chính")


def test_procedure_page_shows_name_documents_channels_fees_and_legal_basis(page, server, facts):
    v = facts.shown(BIRTH)
    page.goto(f"{server.url}/thu-tuc/{BIRTH}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(v["name"])
    assert BIRTH in content(page).locator(".tthc-meta").inner_text()

    documents = content(page).locator(".tthc-docs > li")
    names = [d["name"] for case in v["cases"] for d in case.get("documents", [])]
    assert documents.count() == len(names)
    for item, name in zip(documents.all(), names, strict=True):
        assert item.inner_text().startswith(name)

    table = page.get_by_role("table", name="Thời hạn giải quyết và phí, lệ phí theo cách nộp")
    rows = table.locator("tbody > tr")
    assert rows.count() == len(v["channels"])
    for row, channel in zip(rows.all(), v["channels"], strict=True):
        expect(row.locator("th")).to_have_text(labels.CHANNELS[channel["kind"]].capitalize())
        fees = row.locator("td").nth(1).inner_text()
        for item in channel["fees"].get("items", []):
            assert f"{item['name']}: {labels.money(item['amount'])}" in fees

    basis = page.locator("h2#can-cu + ul > li")
    numbers = [b["number"] for b in v["legal_basis"]]
    assert [b.inner_text().split(":")[0] for b in basis.all()] == numbers


def test_procedure_with_an_online_form_has_the_apply_button(page, server, facts):
    assert facts.shown(BIRTH)["online_service"].get("form")
    page.goto(f"{server.url}/thu-tuc/{BIRTH}/")
    button = page.locator("article").get_by_role("link", name="Nộp hồ sơ trực tuyến")
    expect(button).to_be_visible()
    assert button.get_attribute("href").endswith(f"nop-ho-so/{BIRTH}/")
    box = button.bounding_box()
    assert box and box["height"] >= 44  # a thumb-sized target on a phone


@pytest.mark.parametrize("code", REPLACED)
def test_replaced_procedure_says_so_and_links_to_its_replacement(page, server, facts, code):
    last = facts.versions(code)[-1]
    (replacement,) = last["ended"]["replaced_by"]
    page.goto(f"{server.url}/thu-tuc/{code}/")
    notice = page.get_by_role("note").filter(has=page.get_by_role("heading", level=2))
    expect(notice.get_by_role("heading")).to_have_text("Thủ tục đã bị thay thế")
    expect(notice).to_contain_text(f"Không còn áp dụng từ ngày {labels.date(last['effective_to'])}")
    expect(page.locator("article").get_by_role("link", name="Nộp hồ sơ trực tuyến")).to_have_count(
        0
    )
    notice.get_by_role("link", name=facts.shown(replacement)["name"]).click()
    page.wait_for_url(f"**/thu-tuc/{replacement}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(facts.shown(replacement)["name"])


def test_abolished_procedure_says_so(page, server, facts):
    last = facts.versions(ABOLISHED)[-1]
    assert last["ended"]["kind"] == "abolished"
    page.goto(f"{server.url}/thu-tuc/{ABOLISHED}/")
    notice = page.get_by_role("note").filter(has=page.get_by_role("heading", level=2))
    expect(notice.get_by_role("heading")).to_have_text("Thủ tục đã bị bãi bỏ")
    expect(notice).to_contain_text(last["ended"]["decision"]["number"])
    expect(page.get_by_role("heading", level=1)).to_have_text(last["name"])


def test_version_permalinks_show_their_own_version(page, server, facts):
    versions = facts.versions(SCHEDULED)
    assert len(versions) >= 2 and versions[-1]["effective_from"] > facts.today
    shown = facts.shown(SCHEDULED)
    for v in versions:
        page.goto(f"{server.url}/thu-tuc/{SCHEDULED}/{v['effective_from']}/")
        if v["effective_from"] == shown["effective_from"]:  # in force: the stable page shows it
            page.wait_for_url(f"**/thu-tuc/{SCHEDULED}/")
            expect(page.get_by_role("heading", level=1)).to_have_text(v["name"])
            continue
        note = page.locator(".tthc-version")
        expect(note).to_contain_text(
            f"trang cố định của phiên bản áp dụng từ {labels.date(v['effective_from'])}"
        )
        expect(note).to_contain_text(
            "(chưa áp dụng)" if v["effective_from"] > facts.today else "(đã hết hiệu lực)"
        )
        expect(page.get_by_role("heading", level=1)).to_have_text(v["name"])
        note.get_by_role("link", name="Xem phiên bản đang áp dụng").click()
        page.wait_for_url(f"**/thu-tuc/{SCHEDULED}/")
        history = page.locator(".tthc-history > li")
        assert history.count() == len(versions)
        expect(history.filter(has_text="áp dụng từ 01/01/2027")).to_have_count(1)


def test_the_stable_page_shows_the_version_in_force_today(page, server, facts):
    shown = facts.shown(SCHEDULED)
    assert shown["effective_from"] <= facts.today
    page.goto(f"{server.url}/thu-tuc/{SCHEDULED}/")
    current = page.locator(".tthc-history > li", has_text="đang áp dụng")
    expect(current.get_by_role("link")).to_have_attribute(
        "href", re.compile(f"{shown['effective_from']}/$")
    )


def test_printable_checklist_lists_every_document_and_prints_without_the_site_frame(
    page, server, facts, shot
):
    v = facts.shown(BIRTH)
    page.goto(f"{server.url}/thu-tuc/{BIRTH}/")
    page.get_by_role("link", name="In danh sách giấy tờ").click()
    page.wait_for_url(f"**/thu-tuc/{BIRTH}/in/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Danh sách giấy tờ: {v['name']}")
    items = page.locator(".tthc-checkboxes > li")
    names = [d["name"] for case in v["cases"] for d in case.get("documents", [])]
    assert [i.inner_text().split(" — ")[0].lstrip("☐ ").strip() for i in items.all()] == names
    expect(page.locator(".tthc-qr-box svg")).to_be_visible()
    expect(page.locator(".md-header")).to_be_visible()

    page.emulate_media(media="print")
    for frame in (".md-header", ".md-footer", ".tthc-noprint"):
        expect(page.locator(frame)).to_be_hidden()
    expect(items.first).to_be_visible()
    expect(page.locator(".tthc-qr-box svg")).to_be_visible()
    shot(page, "checklist-print-360")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_open_data_page_links_to_files_that_parse(page, server, facts):
    page.goto(server.url + "/du-lieu-mo/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dữ liệu mở")
    links = page.locator("table a[download]")
    assert links.count() >= 3
    for link in links.all():
        response = page.request.get(page.url + link.get_attribute("href"))
        assert response.ok, link.get_attribute("href")
        name = link.get_attribute("href")
        body = response.body()
        if name.endswith(".gz"):
            body = gzip.decompress(body)
        if name.endswith((".json", ".jsonld", ".json.gz", ".jsonld.gz")):
            assert json.loads(body)
        else:
            header = body.decode("utf-8").splitlines()[0]
            assert "," in header
    full = json.loads(gzip.decompress(page.request.get(page.url + "thu-tuc.json.gz").body()))
    assert BIRTH in full["procedures"]
    own = page.request.get(page.url + f"thu-tuc/{BIRTH}.json.gz").body()  # one procedure's file
    assert json.loads(gzip.decompress(own))["versions"] == full["procedures"][BIRTH]


def test_unknown_address_gets_a_404_page_in_vietnamese(page, server):
    response = page.goto(server.url + "/thu-tuc/9.999999/khong-co/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang")
    assert page.title().startswith("Không tìm thấy trang")
    page.get_by_role("link", name="Về trang chủ để tìm thủ tục").click()
    expect(page.get_by_role("searchbox", name="Tìm thủ tục")).to_be_visible()


def _english_ui_strings() -> list[str]:
    """mkdocs-material's English interface strings (its fallback language)."""
    text = MATERIAL_EN.read_text(encoding="utf-8")
    pairs = re.findall(r'^\s*"([a-z.]+)": "(.*)",?$', text, flags=re.M)
    skip = {"language", "direction"} | {k for k, _ in pairs if k.startswith("search.config.")}
    words = [value for key, value in pairs if key not in skip and "#" not in value]
    return [w for w in words if len(w) > 3 and not w.startswith("[")] + ["Not found"]


@pytest.mark.parametrize(
    "path", ["/", f"/thu-tuc/{BIRTH}/", f"/thu-tuc/{BIRTH}/in/", "/duyet/", "/khong-co/"]
)
def test_interface_has_no_english_strings(page, server, path):
    english = _english_ui_strings()
    assert "Skip to content" in english and "Search" in english
    page.goto(server.url + path)
    visible = page.locator("body").inner_text()
    labelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('[aria-label],[title],[placeholder],[alt]'))
             .flatMap(e => ['aria-label', 'title', 'placeholder', 'alt']
               .map(a => e.getAttribute(a)).filter(Boolean))"""
    )
    text = visible + "\n" + "\n".join(labelled) + "\n" + page.title()
    found = [w for w in english if re.search(rf"(?<![\w/.]){re.escape(w)}(?![\w/.])", text)]
    assert not found, f"English interface strings on {path}: {found}"


@pytest.mark.parametrize("path", [f"/thu-tuc/{BIRTH}/", f"/thu-tuc/{BIRTH}/in/"])
def test_pages_work_without_javascript(make_page, server, facts, path):
    page = make_page(java_script_enabled=False)
    v = facts.shown(BIRTH)
    page.goto(server.url + path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(v["name"])
    first_document = v["cases"][0]["documents"][0]["name"]
    expect(content(page)).to_contain_text(first_document)
    if path.endswith("/in/"):
        expect(page.locator(".tthc-qr-box svg")).to_be_visible()
    else:
        expect(page.get_by_role("table")).to_contain_text(labels.CHANNELS["in_person"].capitalize())
        expect(page.locator(".tthc-history > li").first).to_be_visible()
        # Controls that need JavaScript stay hidden rather than doing nothing.
        expect(page.locator("form.tthc-asof")).to_have_count(1)
        expect(page.locator("form.tthc-asof")).to_be_hidden()
        page.goto(f"{server.url}/thu-tuc/{RESIDENCE}/")
        expect(page.locator(".tthc-calc")).to_have_count(1)
        expect(page.locator(".tthc-calc")).to_be_hidden()
        expect(page.locator(".tthc-history > li").first).to_be_visible()


def test_no_calculator_when_no_deadline_has_a_published_unit(page, server, facts):
    units = {c["deadline"]["unit"] for c in facts.shown(BIRTH)["channels"]}
    assert units == {"unpublished"}
    page.goto(f"{server.url}/thu-tuc/{BIRTH}/")
    expect(page.get_by_role("table")).to_contain_text("đơn vị chưa được công bố")
    expect(page.locator(".tthc-calc")).to_have_count(0)
    page.goto(f"{server.url}/thu-tuc/{RESIDENCE}/")
    expect(page.get_by_label("Ngày nộp hồ sơ")).to_be_visible()
