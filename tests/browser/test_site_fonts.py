"""The site's own web font (Noto Sans, buildlib/site/webfont.py) is what every page's text is set
in, and it comes from the site's own host, as woff2, cacheable for a year (its names carry a
hash)."""

from urllib.parse import urlsplit

import pytest

from .test_site_a11y import PAGES, WEB_FONT

# Every page type, the online application form and the dossier lookup.
FONT_PAGES = {name: path for name, (path, _) in PAGES.items()} | {
    "apply": "/nop-ho-so/1.001193/",
    "lookup": "/tra-cuu/",
}

# Every element that holds text directly, except code (material's monospace stack) and the
# hidden ones, with its computed font-family.
TEXT_FONTS = """() => [...document.querySelectorAll("body *")]
  .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .filter(e => !e.closest("code, pre, kbd, script, style, noscript") && e.getClientRects().length)
  .map(e => [e.tagName.toLowerCase() + (e.className ? "." + e.className : ""),
             getComputedStyle(e).fontFamily])"""

# Vietnamese in both subsets: Latin letters, and letters only the Vietnamese subset has.
SAMPLE = "Thủ tục hành chính đăng ký khai sinh"


@pytest.mark.parametrize("name", FONT_PAGES)
def test_page_text_is_set_in_the_web_font_once_loaded(make_page, server, name):
    page = make_page(360, 800)
    woff2 = []
    page.on("response", lambda r: woff2.append(r) if r.url.endswith(".woff2") else None)
    page.goto(server.url + FONT_PAGES[name])
    page.evaluate("document.fonts.ready")

    others = [
        (element, family)
        for element, family in page.evaluate(TEXT_FONTS)
        if family.split(",")[0].strip().strip('"') != WEB_FONT
    ]
    assert not others, f"{name}: text not in {WEB_FONT}: {others[:5]}"
    statuses = page.evaluate(
        "family => [...document.fonts].filter(f => f.family.replace(/\"/g, '') === family)"
        ".map(f => f.status)",
        WEB_FONT,
    )
    assert "error" not in statuses, f"{name}: a web font file failed to load ({statuses})"
    assert page.evaluate(
        '([family, text]) => document.fonts.check(`16px "${family}"`, text)', [WEB_FONT, SAMPLE]
    ), f"{name}: {WEB_FONT} is not ready for Vietnamese text"

    assert woff2, f"{name}: no woff2 file was requested"
    for response in woff2:
        assert urlsplit(response.url).netloc == server.host, response.url
        assert response.status == 200, response.url
        headers = response.headers
        assert headers["content-type"] == "font/woff2", (response.url, headers["content-type"])
        assert "max-age=31536000" in headers["cache-control"], headers["cache-control"]


def test_only_the_vietnamese_and_latin_subsets_are_published(page, server):
    page.goto(f"{server.url}/thu-tuc/2.002828/in/")  # has <em>: slanted from the upright face
    page.evaluate("document.fonts.ready")
    sources = page.evaluate(
        """() => [...document.styleSheets].flatMap(s => { try { return [...s.cssRules]; }
           catch (e) { return []; } }).filter(r => r instanceof CSSFontFaceRule)
           .map(r => [r.style.getPropertyValue("font-family"), r.style.getPropertyValue("src"),
                      r.style.getPropertyValue("font-display")])"""
    )
    assert sources, "no @font-face rule on the page"
    subsets = sorted(src.split("noto-sans-")[1].split(".")[0] for family, src, display in sources)
    assert subsets == ["latin-wght-normal", "vietnamese-wght-normal"]  # no italic faces
    assert {(family.strip('"'), display) for family, _, display in sources} == {
        (WEB_FONT, "optional")  # a late font never re-flows the text (buildlib/site/webfont.py)
    }
    emphasis = page.locator("em").first
    assert emphasis.evaluate("e => getComputedStyle(e).fontStyle") == "italic"
    assert emphasis.evaluate("e => getComputedStyle(e).fontFamily").startswith(f'"{WEB_FONT}"')


def test_a_page_fetches_little_font(make_page, server):
    """The font's bytes come before the first paint on a slow phone (bench/README.md)."""
    page = make_page(360, 800)
    sizes = {}

    def keep(response):
        if response.url.endswith(".woff2"):
            sizes[response.url] = len(response.body())

    page.on("response", keep)
    page.goto(f"{server.url}/thu-tuc/1.001193/")
    page.evaluate("document.fonts.ready")
    page.wait_for_load_state("networkidle")
    assert len(sizes) == 2, sizes
    assert sum(sizes.values()) < 30_000, sizes
