"""Printing on a phone: each printable checklist (thu-tuc/<code>/in/) has a real print button (an
external script: the pages run no inline handler), and printed at 360 px every one of them fits,
its QR code whole and big enough to scan. (The receipt's print is tested in test_apply.py.)"""

from playwright.sync_api import Page, expect

FITS = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const qr = document.querySelector('.tthc-qr-box svg').getBoundingClientRect();
  const wider = [...document.querySelectorAll('.md-content *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 3).map(e => e.outerHTML.slice(0, 80));
  return {width, scroll: root.scrollWidth, qr: [qr.left, qr.right, qr.top, qr.width], wider};
}"""


def test_the_checklist_prints_with_a_button(page: Page, server, axe, shot):
    page.goto(server.url + "/thu-tuc/1.001193/in/")
    button = page.get_by_role("button", name="In danh sách này")
    expect(button).to_be_visible()
    expect(page.get_by_text("Dùng lệnh In của trình duyệt")).to_be_hidden()
    axe(page, "checklist with its print button")
    # The driver's script is not the page's: the CSP does not govern it.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    button.click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    expect(button).to_be_hidden()  # the printout shows the list, not the page's controls
    shot(page, "checklist-print-360")


def test_without_javascript_the_checklist_says_how_to_print(make_page, server):
    page = make_page(360, 800, java_script_enabled=False)
    page.goto(server.url + "/thu-tuc/1.001193/in/")
    expect(page.get_by_role("button", name="In danh sách này")).to_be_hidden()
    expect(page.get_by_text("Dùng lệnh In của trình duyệt để in trang này.")).to_be_visible()


# A 360 px wide page: the layout is 360 px wide when a phone's browser emulates print media at its
# screen's width, and 360 px less site.css's @page margins (1.5 cm each side) on 360 px paper.
PRINT_WIDTHS = (360, 360 - 2 * round(1.5 / 2.54 * 96))


def test_every_checklist_fits_a_360_px_print(make_page, server, facts):
    problems = []
    page = make_page(PRINT_WIDTHS[0], 800)
    page.emulate_media(media="print")
    for code in facts.codes:  # each page loaded once, measured at each width
        response = page.goto(f"{server.url}/thu-tuc/{code}/in/")
        assert response.status == 200, code
        page.evaluate("document.fonts.ready")
        for width in PRINT_WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            fits = page.evaluate(FITS)
            left, right, top, size = fits["qr"]
            if fits["scroll"] > fits["width"] or fits["wider"]:
                problems.append(f"{code} at {width} px: wider than the page: {fits}")
            if left < 0 or right > fits["width"] or top < 0 or size < 96:
                problems.append(f"{code} at {width} px: QR code cut off or too small: {fits}")
        page.set_viewport_size({"width": PRINT_WIDTHS[0], "height": 800})
    assert problems == []
    assert len(facts.codes) > 50
