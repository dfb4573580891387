"""The applicant's journey in real Chromium against the README's run command (issue 8): apply to
three procedures through their forms, errors shown and fixed, drafts restored, uploads refused
and accepted, a lost response retried into one dossier, receipt and status page agreeing.

Screenshots of every step at 360 px go to test-artifacts/screenshots/apply-*.png.
"""

import datetime as dt
import json
import re
import sqlite3
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import segno
import yaml
from playwright.sync_api import Page, expect

from chalicelib import forms, lookup_secret
from chalicelib.config import Settings
from chalicelib.receipt import qr_svg
from chalicelib.versions import version_in_force
from chalicelib.wiring import data_sealer
from tests.api.filling import FILES, answers_for
from tests.qr_modules import drawn_modules, with_quiet_zone

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[A-Za-z0-9.-]+-\d{6}-\d{4,}$")
PDF_TYPE, PDF = FILES["pdf"]
PNG = FILES["png"][1]


def form(form_id: str) -> dict:
    """The catalogue form as the page asks it: with its procedure's "Nhận kết quả" page."""
    raw = yaml.safe_load((ROOT / "catalogue" / "forms" / f"{form_id}.yaml").read_text("utf-8"))
    folder = ROOT / "catalogue" / "procedures" / raw["procedure"]
    versions = [yaml.safe_load(p.read_text("utf-8")) for p in sorted(folder.glob("*.yaml"))]
    for version in versions:
        version["effective_from"] = str(version["effective_from"])
        if version.get("effective_to"):
            version["effective_to"] = str(version["effective_to"])
    return forms.with_delivery(raw, version_in_force(versions, dt.date.today().isoformat()))


def dossiers(server, procedure: str) -> list[dict]:
    """The stored rows, each `body` opened with the server's data key (it is sealed at rest)."""
    with sqlite3.connect(server.data_dir / "motcua.sqlite3") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT * FROM dossiers WHERE procedure = ? ORDER BY code", (procedure,)
        ).fetchall()
    sealer = data_sealer(Settings.from_env(secret_key=b"unused"))
    opened = []
    for row in map(dict, rows):
        assert isinstance(row["body"], bytes), "sealed"
        row["body"] = sealer.open_text(row["body"], f"dossiers/{row['code']}/body")
        opened.append(row)
    return opened


def upload_file(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


class Applicant:
    """Fills a catalogue form through the page, the way a person would."""

    def __init__(self, page: Page, server, form_id: str, shot=None, axe=None):
        self.page, self.server, self.form = page, server, form(form_id)
        self.code = self.form["procedure"]
        self.shot, self.axe = shot, axe

    def open(self) -> None:
        self.page.goto(f"{self.server.url}/nop-ho-so/{self.code}/")
        expect(self.page.locator("#ap-app")).to_be_visible()

    def start(self) -> None:
        self.page.click("[data-action=start]")
        expect(self.step()).to_be_visible()

    def step(self):
        return self.page.locator(".ap-step:visible")

    def step_id(self) -> str:
        return self.step().get_attribute("id")

    def form_page(self) -> dict | None:
        step = self.step_id()
        return next((p for p in self.form["pages"] if f"trang-{p['id']}" == step), None)

    def fill(self, item: dict, value) -> None:
        page, field = self.page, item["id"]
        if item["type"] == "address":
            page.select_option(f"#f-{field}", value["province"])
            expect(page.locator(f"#f-{field}-xa option[value='{value['commune']}']")).to_have_count(
                1
            )
            page.select_option(f"#f-{field}-xa", value["commune"])
            page.fill(f"#f-{field}-duong", value["street"])
        elif item["type"] == "yes_no":
            page.check(f"input[name='{field}'][value='{'true' if value else 'false'}']")
        elif item["type"] == "select" and page.locator(f"input[name='{field}']").count():
            page.check(f"input[name='{field}'][value='{value}']")
        elif item["type"] == "select":
            page.select_option(f"#f-{field}", value)
        elif item["type"] == "date":
            year, month, day = value.split("-")
            page.fill(f"#f-{field}", f"{day}/{month}/{year}")
        else:
            page.fill(f"#f-{field}", str(value))

    def fill_page(self, answers: dict, files: dict | None = None) -> None:
        current = self.form_page()
        for item in current.get("fields", []):
            if self.page.locator(f"#q-{item['id']}").is_visible() and item["id"] in answers:
                self.fill(item, answers[item["id"]])
        for slot in current.get("uploads", []):
            chosen = (files or {}).get(slot["id"])
            if chosen and self.page.locator(f"#q-{slot['id']}").is_visible():
                self.upload(slot["id"], chosen)

    def upload(self, slot: str, chosen: list[dict]) -> None:
        done = self.page.locator(f"#d-{slot} .ap-file-item--done")
        before = done.count()
        self.page.set_input_files(f"#f-{slot}", files=chosen)
        expect(done).to_have_count(before + len(chosen), timeout=20_000)

    def next(self) -> None:
        """Continue; returns once the next step or the error summary shows."""
        before = self.step_id()
        self.page.locator(".ap-step:visible button[type=submit]").click()
        self.page.wait_for_function(
            """before => {
                const step = document.querySelector('.ap-step:not([hidden])');
                return (step && step.id !== before) || !document.getElementById('ap-errors').hidden;
            }""",
            arg=before,
        )

    def complete(
        self, answers: dict, files: dict | None = None, name: str = "", office: str = ""
    ) -> None:
        """Fills every page in turn up to the check-your-answers page; on "where to file",
        chooses `office` (by its label, a commune's name) or keeps the suggested one."""
        for _ in range(len(self.form["pages"]) + 2):
            if self.step_id() == "kiem-tra":
                return
            if self.step_id() == "noi-nop" and office:
                self.page.get_by_label("Xã, phường hoặc đặc khu nơi nộp hồ sơ").select_option(
                    label=office
                )
            elif self.step_id() != "noi-nop":
                self.fill_page(answers, files)
            if self.axe:
                self.axe(self.page, f"step {self.step_id()}")
            if self.shot and name:
                self.shot(self.page, f"apply-{name}-{self.step_id()}")
            self.next()
            expect(self.page.locator("#ap-errors")).to_be_hidden()
        expect(self.page.locator("#kiem-tra")).to_be_visible()

    def submit(self) -> dict:
        self.page.click("#ap-submit")
        expect(self.page.locator("#xac-nhan")).to_be_visible(timeout=20_000)
        text = self.page.locator("#ap-receipt").inner_text()
        code = self.page.locator("#ap-receipt .ap-code").first.inner_text()
        secret = self.page.locator("#ap-receipt .ap-secret .ap-code").inner_text()
        return {"code": code, "secret": secret, "text": text}


@pytest.fixture
def axe(axe):
    """axe-core once the page is still and at its top: the theme's header fades its title in
    while scrolling, and a half-faded title is not a contrast failure anyone sees."""

    def check(page: Page, name: str) -> None:
        # At the top of the page: the sticky header would otherwise cover (and shrink, for
        # axe's target-size rule) whatever a scrolled page has under it.
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_function(  # a function: polling an expression string needs eval (CSP)
            "() => document.getAnimations().every(a => a.playState !== 'running')", timeout=5_000
        )
        axe(page, name)

    return check


def lookup(server, code: str, secret: str) -> dict:
    request = urllib.request.Request(
        f"{server.url}/api/dossiers/{code}", headers={"X-Lookup-Secret": secret}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_birth_registration_with_conditional_fields_two_upload_slots_and_fixed_errors(
    page: Page, server, axe, shot
):
    applicant = Applicant(page, server, "dang-ky-khai-sinh", shot, axe)
    choices = {
        "nyc-loai-giay-to": "cccd",
        "nyc-quan-he": "me",
        "tre-truong-hop": "bo-roi",  # shows a second upload slot
        "me-co-thong-tin": True,
        "me-loai-giay-to": "cccd",
        "cha-co-thong-tin": False,
        "tre-ngay-sinh": "2026-03-05",
    }
    answers = answers_for(applicant.form, choices)
    applicant.open()
    axe(page, "application start")
    shot(page, "apply-01-start")
    applicant.start()

    # Nothing typed: the error summary lists each question, linked; each field says why.
    applicant.next()
    summary = page.locator("#ap-errors")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Vui lòng nhập họ, chữ đệm và tên của người yêu cầu.")
    expect(page.locator("#e-nyc-ho-ten")).to_contain_text("Vui lòng nhập họ, chữ đệm và tên")
    expect(page.locator("#f-nyc-ho-ten")).to_have_attribute("aria-invalid", "true")
    assert page.title().startswith("Lỗi: ")
    axe(page, "application errors")
    shot(page, "apply-02-errors")
    summary.locator("a", has_text="họ, chữ đệm và tên").click()
    expect(page.locator("#f-nyc-ho-ten")).to_be_focused()

    # Wrong values get the server's own messages, then are fixed.
    applicant.fill_page(answers)
    page.fill("#f-nyc-so-dinh-danh", "00120300456")
    page.fill("#f-nyc-dien-thoai", "12345")
    applicant.next()
    expect(page.locator("#e-nyc-so-dinh-danh")).to_have_text(
        "Lỗi: Số định danh cá nhân gồm đúng 12 chữ số."
    )
    expect(page.locator("#e-nyc-dien-thoai")).to_contain_text("Số điện thoại gồm 10 chữ số")
    axe(page, "application field errors")
    page.fill("#f-nyc-so-dinh-danh", answers["nyc-so-dinh-danh"])
    page.fill("#f-nyc-dien-thoai", answers["nyc-dien-thoai"])
    applicant.next()
    expect(page.locator("#trang-tre")).to_be_visible()

    # A reload mid-form restores the draft, on the same step.
    page.fill("#f-tre-ho", "Nguyễn")
    page.wait_for_timeout(600)  # the draft is written 300 ms after typing stops
    page.reload()
    expect(page.locator("#trang-tre")).to_be_visible()
    expect(page.locator("#f-tre-ho")).to_have_value("Nguyễn")
    page.locator(".ap-step:visible [data-action=back]").click()
    expect(page.locator("#f-nyc-so-dinh-danh")).to_have_value(answers["nyc-so-dinh-danh"])
    expect(page.locator("#f-nyc-noi-cu-tru-xa")).to_have_value(answers["nyc-noi-cu-tru"]["commune"])
    applicant.next()

    # Conditional questions: the father's details are not asked when he is not known.
    applicant.fill_page(answers)
    applicant.next()
    # No redundant entry: the mother's address can be copied from the applicant's.
    page.check("input[name='me-co-thong-tin'][value='true']")
    page.get_by_role("button", name="Dùng lại địa chỉ đã khai").first.click()
    address = answers["nyc-noi-cu-tru"]
    expect(page.locator("#f-me-noi-cu-tru-xa")).to_have_value(address["commune"])
    expect(page.locator("#f-me-noi-cu-tru-duong")).to_have_value(address["street"])
    applicant.fill_page(answers)
    applicant.next()
    applicant.fill_page(answers)
    expect(page.locator("#q-cha-ho-ten")).to_be_hidden()
    applicant.next()
    # Copies of the certificate (issue 17): asked before the uploads; none wanted here.
    expect(page.locator("#trang-ban-sao")).to_be_visible()
    applicant.fill_page(answers)
    applicant.next()

    # Uploads: limits shown before; oversized and wrong-type files refused with a reason;
    # a file whose bytes are not what its name says is refused by the server.
    expect(page.locator("#trang-giay-to")).to_be_visible()
    expect(page.locator("#l-giay-chung-sinh")).to_contain_text("tối đa 5 MB")
    expect(page.locator("#q-bien-ban-bo-roi")).to_be_visible()
    big = PDF + b"0" * (5 * 1024 * 1024 + 1 - len(PDF))
    page.set_input_files("#f-giay-chung-sinh", files=[upload_file("to-lon.pdf", PDF_TYPE, big)])
    expect(page.locator("#e-giay-chung-sinh")).to_contain_text("Tệp quá lớn: tối đa 5 MB.")
    page.set_input_files("#f-giay-chung-sinh", files=[upload_file("anh.gif", "image/gif", b"GIF8")])
    expect(page.locator("#e-giay-chung-sinh")).to_contain_text("Chỉ nhận tệp PDF, JPEG, PNG.")
    axe(page, "upload refused")
    shot(page, "apply-03-upload-refused")
    page.set_input_files(
        "#f-giay-chung-sinh", files=[upload_file("gia.pdf", "application/pdf", PNG)]
    )
    failed = page.locator("#d-giay-chung-sinh .ap-file-item--failed")
    expect(failed).to_contain_text("Nội dung tệp không đúng loại", timeout=20_000)
    failed.get_by_role("button", name="Xóa").click()
    expect(failed).to_have_count(0)

    # Submitting without the required slot is refused; then both slots get their files.
    applicant.next()
    expect(page.locator("#e-bien-ban-bo-roi")).to_contain_text("Cần tải lên ít nhất 1 tệp")
    applicant.upload("giay-chung-sinh", [upload_file("giay-cs.pdf", PDF_TYPE, PDF)])
    applicant.upload("bien-ban-bo-roi", [upload_file("bien-ban.png", "image/png", PNG)])
    expect(page.locator("#e-bien-ban-bo-roi")).to_be_hidden()
    expect(page.locator("#d-giay-chung-sinh")).to_contain_text("giay-cs.pdf")
    # "Xóa" deletes the server's copy, not only the line on the page.
    stored = server.data_dir / "uploads" / "accepted" / applicant.code / "giay-chung-sinh"
    kept = set(stored.iterdir())
    applicant.upload("giay-chung-sinh", [upload_file("thua.pdf", PDF_TYPE, PDF)])
    extra = set(stored.iterdir()) - kept
    assert len(extra) == 1, extra
    page.locator("#d-giay-chung-sinh li", has_text="thua.pdf").get_by_role(
        "button", name="Xóa"
    ).click()
    expect(page.locator("#d-giay-chung-sinh")).not_to_contain_text("thua.pdf")
    deadline = time.monotonic() + 10
    while any(path.exists() for path in extra) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(path.exists() for path in extra) and set(stored.iterdir()) == kept
    axe(page, "uploads done")
    shot(page, "apply-04-uploads")
    applicant.next()
    # How to receive the result: the procedure's published ways (tests/browser/test_apply_reuse.py).
    expect(page.locator("#trang-nhan-ket-qua")).to_be_visible()
    applicant.fill_page(answers)
    applicant.next()

    # Where to file: the centre of the commune in the applicant's address, suggested.
    expect(page.locator("#f-ap-office")).to_have_value("trung-tam-pvhcc-xa-vinh-bao")
    applicant.next()

    # Check your answers, with a change link that comes back here.
    expect(page.locator("#kiem-tra")).to_be_visible()
    answers_text = page.locator("#ap-answers").inner_text()
    assert "Trẻ em bị bỏ rơi" in answers_text
    assert "giay-cs.pdf" in answers_text and "bien-ban.png" in answers_text
    assert "05/03/2026" in answers_text
    axe(page, "check answers")
    shot(page, "apply-05-check")
    page.locator("[data-change=tre-dan-toc]").click()
    expect(page.locator("#f-tre-dan-toc")).to_be_focused()
    page.fill("#f-tre-dan-toc", "Tày")
    applicant.next()
    expect(page.locator("#kiem-tra")).to_be_visible()
    assert "Tày" in page.locator("#ap-answers").inner_text()

    # Addresses loaded only the communes of the province chosen, not all 3,321.
    units = {u for u in page.requested_urls if "/du-lieu/don-vi/" in u}
    assert units == {f"{server.url}/du-lieu/don-vi/31.json"}

    before = len(dossiers(server, "1.001193"))
    receipt = applicant.submit()
    assert CODE.match(receipt["code"]), receipt["code"]
    assert lookup_secret.parse(receipt["secret"]) and "không gửi lại được" in receipt["text"]
    assert "Ngày hẹn trả kết quả" in receipt["text"]
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt["text"]
    # The receipt's QR code, fetched from the API when the receipt is shown, is the status
    # address with the code and the secret: what chalicelib.receipt makes, segno's modules.
    qr_image = page.locator("#ap-receipt .ap-receipt__qr img")
    expect(qr_image).to_be_visible()
    status_url = page.evaluate(
        "JSON.parse(localStorage.getItem('motcua.bien-nhan.1.001193')).result.receipt.status_url"
    )
    assert status_url.endswith(f"/tra-cuu/#ma={receipt['code']}&khoa={receipt['secret']}")
    shown = urllib.parse.unquote(qr_image.get_attribute("src").split(",", 1)[1])
    assert shown == qr_svg(status_url, f"Mã QR tra cứu hồ sơ {receipt['code']}")
    assert drawn_modules(shown) == with_quiet_zone(segno.make_qr(status_url, error="m").matrix, 4)
    axe(page, "confirmation")
    shot(page, "apply-06-confirmation")
    page.emulate_media(media="print")
    shot(page, "apply-07-receipt-print")
    expect(page.locator(".ap-receipt")).to_be_visible()
    expect(page.locator("#ap-receipt .ap-panel--done")).to_be_hidden()
    page.emulate_media(media="screen")

    # Without the QR code (the request fails), the receipt still has all it takes to find the
    # dossier: the code, the secret and the status page's address, and says what is missing.
    page.route("**/receipt-qr", lambda route: route.abort())
    page.reload()
    expect(page.locator("#ap-receipt .ap-receipt__no-qr")).to_contain_text("Chưa tải được mã QR")
    expect(page.locator("#ap-receipt .ap-receipt__qr")).to_have_count(0)
    sheet = page.locator(".ap-receipt").inner_text()
    for written in (receipt["code"], receipt["secret"], status_url.split("#")[0]):
        assert written in sheet, written
    page.unroute("**/receipt-qr")

    stored = dossiers(server, "1.001193")
    assert len(stored) == before + 1
    body = json.loads(stored[-1]["body"])
    kept = body["answers"]
    assert kept["tre-truong-hop"] == "bo-roi" and kept["tre-dan-toc"] == "Tày"
    assert "cha-ho-ten" not in kept
    assert set(body["uploads"]) == {"giay-chung-sinh", "bien-ban-bo-roi"}

    # The status page shows the same code and status as the receipt.
    public = lookup(server, receipt["code"], receipt["secret"])
    assert public["code"] == receipt["code"] and public["status_label"] in receipt["text"]
    page.locator("article").get_by_role("link", name="Tra cứu hồ sơ").click()
    expect(page.locator("main")).to_contain_text(receipt["code"], timeout=15_000)
    expect(page.locator("main")).to_contain_text(public["status_label"])
    shot(page, "apply-08-status")


def test_lost_response_then_retry_files_one_dossier(page: Page, server, axe, shot):
    applicant = Applicant(page, server, "dang-ky-tam-tru", shot, axe)
    answers = answers_for(applicant.form, {"chua-thanh-nien": True, "giam-ho-dong-y": True})
    applicant.open()
    applicant.start()
    files = {"cho-o-hop-phap": [upload_file("hop-dong.pdf", PDF_TYPE, PDF)]}
    applicant.complete(answers, files, name="tam-tru")
    assert (
        "Ý kiến đồng ý của cha, mẹ hoặc người giám hộ" in page.locator("#ap-answers").inner_text()
    )
    before = len(dossiers(server, "1.004194"))

    # The server files the dossier, but the answer never reaches the phone.
    def lose_response(route):
        route.fetch()
        route.abort("internetdisconnected")

    page.route("**/api/submissions", lose_response)
    page.click("#ap-submit")
    summary = page.locator("#ap-errors")
    expect(summary).to_contain_text("Chưa gửi được hồ sơ")
    expect(summary).to_contain_text("hồ sơ sẽ không bị nộp hai lần")
    assert len(dossiers(server, "1.004194")) == before + 1
    axe(page, "submit failed")
    shot(page, "apply-09-network-failure")
    page.unroute("**/api/submissions")

    receipt = applicant.submit()
    stored = dossiers(server, "1.004194")
    assert len(stored) == before + 1
    assert stored[-1]["code"] == receipt["code"]

    # 3 working days (the catalogue's online deadline): the date the server computed is shown.
    public = lookup(server, receipt["code"], receipt["secret"])
    year, month, day = public["due_at"][:10].split("-")
    assert f"Ngày hẹn trả kết quả (dự kiến): {day}/{month}/{year}" in receipt["text"]


@pytest.mark.parametrize("width", [360, 1280])
def test_a_tam_tru_dossier_filed_with_le_chan_goes_to_its_police(
    make_page, server, axe, shot, width
):
    page = make_page(width=width)
    applicant = Applicant(page, server, "dang-ky-tam-tru", shot, axe)
    answers = answers_for(applicant.form)  # the address is in Xã Vĩnh Bảo
    applicant.open()
    applicant.start()
    files = {"cho-o-hop-phap": [upload_file("hop-dong.pdf", PDF_TYPE, PDF)]}
    for _ in range(len(applicant.form["pages"])):
        if applicant.step_id() == "noi-nop":
            break
        applicant.fill_page(answers, files)
        applicant.next()
    expect(page.locator("#noi-nop")).to_be_visible()
    where = page.get_by_label("Xã, phường hoặc đặc khu nơi nộp hồ sơ")
    expect(where).to_have_value("cong-an-xa-vinh-bao")  # suggested from the address
    expect(page.locator("#g-ap-office")).to_contain_text("Gợi ý theo địa chỉ bạn đã khai")
    where.select_option("")
    applicant.next()
    expect(page.locator("#ap-errors")).to_contain_text("Chọn nơi nộp hồ sơ.")
    axe(page, f"where to file, error, {width}px")
    where.select_option(label="Phường Lê Chân")
    axe(page, f"where to file, {width}px")
    shot(page, f"apply-office-{width}")
    applicant.next()
    expect(page.locator("#kiem-tra")).to_be_visible()
    expect(page.locator("#ap-answers")).to_contain_text("Công an Phường Lê Chân")
    axe(page, f"check answers with the office, {width}px")
    receipt = applicant.submit()
    assert receipt["code"].startswith("11383.CA-") and CODE.match(receipt["code"])
    assert "Nơi nhận hồ sơ: Công an Phường Lê Chân" in receipt["text"]
    axe(page, f"receipt with the office, {width}px")
    public = lookup(server, receipt["code"], receipt["secret"])
    assert public["office"] == {"id": "cong-an-phuong-le-chan", "name": "Công an Phường Lê Chân"}


def test_server_errors_land_on_their_fields_and_a_double_click_files_once(
    page: Page, server, axe, shot
):
    applicant = Applicant(page, server, "cap-phieu-ly-lich-tu-phap", shot, axe)
    answers = answers_for(applicant.form, {"mien-giam-phi": False, "so-luong-phieu": 2})
    applicant.open()
    applicant.start()
    files = {"giay-to-tuy-than": [upload_file("cccd.jpg", "image/jpeg", FILES["jpeg"][1])]}
    applicant.complete(answers, files, name="ly-lich")

    # The server refuses (here a phone number changed on the way): its message is shown at the
    # field, on the page that asks it.
    def tamper(route):
        body = json.loads(route.request.post_data)
        body["answers"]["so-dien-thoai"] = "123"
        route.fulfill(response=route.fetch(post_data=json.dumps(body)))

    page.route("**/api/submissions", tamper)
    page.click("#ap-submit")
    summary = page.locator("#ap-errors")
    expect(summary).to_contain_text("Số điện thoại gồm 10 chữ số")
    axe(page, "server errors")
    page.unroute("**/api/submissions")
    summary.locator("a").first.click()
    expect(page.locator("#f-so-dien-thoai")).to_be_focused()
    applicant.next()
    expect(page.locator("#kiem-tra")).to_be_visible()

    before = len(dossiers(server, "3.000333"))
    page.dblclick("#ap-submit")
    expect(page.locator("#xac-nhan")).to_be_visible(timeout=20_000)
    page.wait_for_timeout(500)
    assert len(dossiers(server, "3.000333")) == before + 1


def test_coming_back_offers_to_resume_or_start_over(page: Page, server, axe, shot):
    applicant = Applicant(page, server, "dang-ky-khai-tu")
    applicant.open()
    applicant.start()
    first = applicant.form["pages"][0]["fields"][0]
    page.fill(f"#f-{first['id']}", "Trần Thị Bình")
    page.wait_for_timeout(600)
    page.goto(f"{server.url}/")
    page.goto(f"{server.url}/nop-ho-so/{applicant.code}/")
    resume = page.locator("#ap-resume")
    expect(resume).to_be_visible()
    expect(resume).to_contain_text("bản nháp chưa nộp")
    axe(page, "resume offer")
    shot(page, "apply-10-resume")
    page.click("[data-action=resume]")
    expect(page.locator(f"#f-{first['id']}")).to_have_value("Trần Thị Bình")
    page.goto(f"{server.url}/nop-ho-so/{applicant.code}/")
    page.click("[data-action=restart]")
    expect(page.locator(f"#f-{first['id']}")).to_have_value("")


def test_starting_over_deletes_the_draft_s_files_on_the_server(page: Page, server, shot):
    """A draft kept in the browser with a file uploaded and verified: "bắt đầu lại" deletes it
    on the server too, as the page says."""
    from tests.api.client import key, upload
    from tests.api.conftest import Server as Api

    applicant = Applicant(page, server, "dang-ky-khai-sinh")
    slot = next(s for p in applicant.form["pages"] for s in p.get("uploads", []))
    api, draft = Api(server.url), key()
    uploaded = upload(api, applicant.code, slot, "pdf", draft=draft)
    assert api.request("POST", "/api/uploads/verify", {"key": uploaded})[0] == 200
    stored = server.data_dir / "uploads" / "accepted" / uploaded
    assert stored.is_file()
    first = applicant.form["pages"][0]["fields"][0]["id"]
    saved = {
        "v": 1,
        "key": draft,
        "values": {first: "Trần Thị Bình"},
        "files": {slot["id"]: [{"key": uploaded, "name": "giay.pdf", "size": len(PDF)}]},
        "step": "",
        "saved": "2026-12-01T08:00:00.000Z",
    }
    applicant.open()
    page.evaluate(
        "([name, draft]) => localStorage.setItem(name, JSON.stringify(draft))",
        [f"motcua.nhap.{applicant.code}", saved],
    )
    page.reload()
    expect(page.locator("#ap-resume")).to_contain_text("kể cả các tệp đã tải lên")
    page.click("[data-action=restart]")
    expect(page.locator(f"#f-{first}")).to_have_value("")
    deadline = time.monotonic() + 10
    while stored.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not stored.exists()


def test_without_javascript_the_page_says_what_to_do_instead(make_page, server, shot):
    page = make_page(java_script_enabled=False)
    page.goto(f"{server.url}/nop-ho-so/1.001193/")
    expect(page.get_by_text("Cần bật JavaScript để nộp hồ sơ trực tuyến")).to_be_visible()
    expect(page.locator("#ap-app")).to_be_hidden()
    shot(page, "apply-11-no-javascript")
    page.get_by_role("link", name="danh sách giấy tờ cần chuẩn bị").click()
    expect(page.locator("h1")).to_contain_text("Danh sách giấy tờ")


def test_a_form_that_could_not_load_says_what_to_do_instead(page: Page, server, axe):
    """The configuration is run after the page has painted (apply-load.js): if it fails to
    load, the page says so and offers the checklist, instead of a page without a form and
    without a word."""
    page.route("**/nop-ho-so/1.001193/cau-hinh.js", lambda route: route.fulfill(status=503))
    page.goto(f"{server.url}/nop-ho-so/1.001193/")
    expect(page.get_by_role("alert")).to_contain_text("Chưa tải được biểu mẫu")
    expect(page.locator("#ap-app")).to_be_hidden()
    expect(page.locator("#ap-nojs")).to_be_hidden()
    axe(page, "application form not loaded")
    page.get_by_role("link", name="danh sách giấy tờ cần chuẩn bị").click()
    expect(page.locator("h1")).to_contain_text("Danh sách giấy tờ")


def test_the_form_runs_once_the_page_has_painted(make_page, server):
    """apply-load.js preloads the page's configuration and its script (one file: apply.js and its
    modules) and runs them after the first contentful paint: Lighthouse counts every request
    that ends before the page's largest paint in its estimate of it, but not a script run after
    it (bench/README.md). The markup preloads nothing (the script's bytes would share a slow
    connection with the stylesheets before the paint). Nothing else of the form is requested."""
    page = make_page(360, 800)
    page.add_init_script(
        """Object.defineProperty(window, "applyConfig", {
          configurable: true,
          get() { return this.__config; },
          set(value) { this.__config = value; this.__configRun = performance.now(); },
        });"""
    )
    url = f"{server.url}/nop-ho-so/1.001193/"
    assert 'rel="preload"' not in urllib.request.urlopen(url).read().decode()
    page.goto(url)
    expect(page.locator("#ap-app")).to_be_visible()
    seen = page.evaluate(
        """() => ({
          paint: performance.getEntriesByName("first-contentful-paint")[0].startTime,
          configRun: window.__configRun,
          asked: performance.getEntriesByType("resource").map((e) => e.name.split("/").pop())
            .filter((name) => /^(bieu-mau|cau-hinh|apply|upload-file).*\\.js$/.test(name)),
          preloads: [...document.querySelectorAll("link[rel=preload]")]
            .map((link) => [link.href.split("/").slice(-2).join("/"), link.getAttribute("as")]),
        })"""
    )
    assert seen["configRun"] > seen["paint"]
    assert sorted(seen["asked"]) == ["apply-load.js", "bieu-mau.js", "cau-hinh.js"]
    assert seen["preloads"] == [
        ["1.001193/cau-hinh.js", "script"],
        ["nop-ho-so/bieu-mau.js", "script"],
    ]


def test_the_drop_down_lists_are_filled_from_the_configuration(page: Page, server):
    """Provinces and offices are not written in the page once per list: the script fills them
    from the configuration beside the page."""
    url = f"{server.url}/nop-ho-so/1.001193/"
    html = urllib.request.urlopen(url).read().decode()
    assert html.count("<option") == html.count("<select"), "choices written in the page"
    text = urllib.request.urlopen(url + "cau-hinh.js").read().decode()
    config = json.loads(text.removeprefix("window.applyConfig = ").removesuffix(";\n"))
    addresses = [f["id"] for p in config["pages"] for f in p["fields"] if f["type"] == "address"]
    assert addresses and len(config["provinces"]) == 34 and len(config["offices"]) > 1
    page.goto(url)
    expect(page.locator("#ap-app")).to_be_visible()
    for field in addresses:
        expect(page.locator(f"#f-{field} option")).to_have_count(1 + 34)
    expect(page.locator(f"#f-{addresses[0]} option").nth(1)).to_have_text(config["provinces"][0][1])
    expect(page.locator("#f-ap-office option")).to_have_count(1 + len(config["offices"]))


@pytest.mark.parametrize("code", ["1.001193", "1.004194", "3.000333"])
def test_procedure_page_button_leads_to_its_application_page(page: Page, server, code):
    page.goto(f"{server.url}/thu-tuc/{code}/")
    page.locator("article").get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    expect(page.locator("#ap-app")).to_be_visible()
    assert page.url.endswith(f"/nop-ho-so/{code}/")


def test_application_steps_on_a_wide_screen(wide_page: Page, server, axe, shot):
    applicant = Applicant(wide_page, server, "dang-ky-ket-hon")
    applicant.open()
    axe(wide_page, "application start, 1280 px")
    applicant.start()
    applicant.next()
    expect(wide_page.locator("#ap-errors")).to_be_visible()
    axe(wide_page, "application errors, 1280 px")
    shot(wide_page, "apply-12-errors-1280")
    width = wide_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280


def test_the_receipt_survives_a_reload_prints_at_360_px_saves_as_an_image_and_is_forgotten(
    make_page, server, axe, shot
):
    page = make_page(360, 800, accept_downloads=True)
    applicant = Applicant(page, server, "cap-phieu-ly-lich-tu-phap", shot, axe)
    answers = answers_for(applicant.form, {"mien-giam-phi": False, "so-luong-phieu": 1})
    applicant.open()
    applicant.start()
    files = {"giay-to-tuy-than": [upload_file("cccd.jpg", "image/jpeg", FILES["jpeg"][1])]}
    applicant.complete(answers, files)
    receipt = applicant.submit()
    secret_shown = page.locator("#ap-receipt .ap-secret .ap-code")
    expect(page.locator("#ap-receipt .ap-receipt__qr img")).to_be_visible()

    # A reload, and the page opened again in another tab of this browser: the same receipt.
    page.reload()
    expect(secret_shown).to_have_text(receipt["secret"])
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("#ap-receipt .ap-secret .ap-code")).to_have_text(receipt["secret"])
    other.close()
    expect(page.locator("#ap-kept")).to_contain_text("được giữ trên trình duyệt của máy này")
    axe(page, "confirmation, kept on this device")

    # Printed on a phone: the sheet, its QR code and every line fit 360 px.
    page.emulate_media(media="print")
    fits = page.evaluate(
        """() => {
            const sheet = document.querySelector('.ap-receipt');
            const qr = sheet.querySelector('.ap-receipt__qr img').getBoundingClientRect();
            const cells = [...sheet.querySelectorAll('th, td, p, h3')];
            return {
                page: document.documentElement.scrollWidth,
                qr: [qr.left, qr.right, qr.width],
                wide: cells.filter((c) => c.getBoundingClientRect().right > 360).length,
                buttons: [...document.querySelectorAll('#ap-receipt button')]
                    .filter((b) => b.offsetParent !== null).length,
            };
        }"""
    )
    assert fits["page"] <= 360, fits
    assert fits["qr"][0] >= 0 and fits["qr"][1] <= 360 and fits["qr"][2] >= 100, fits
    assert fits["wide"] == 0 and fits["buttons"] == 0, fits
    shot(page, "apply-receipt-print-360")
    page.emulate_media(media="screen")

    # "Lưu ảnh biên nhận": a PNG of the receipt's essentials, for the phone's photos.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Lưu ảnh biên nhận").click()
    download = downloading.value
    assert download.suggested_filename == f"bien-nhan-{receipt['code']}.png"
    image = Path(download.path()).read_bytes()
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")
    assert width == 1440 and height > 1000  # two pixels per CSS pixel, the QR code included

    # "Đã lưu, xóa khỏi máy này": gone from the page and from the browser, for good.
    page.get_by_role("button", name="Đã lưu, xóa khỏi máy này").click()
    done = page.locator("#ap-receipt")
    expect(done).to_contain_text("Đã xóa biên nhận khỏi máy này")
    expect(done).to_contain_text(receipt["code"])
    expect(done).not_to_contain_text(receipt["secret"])
    axe(page, "confirmation, forgotten")
    stored = page.evaluate(
        "[localStorage.getItem('motcua.bien-nhan.3.000333'),"
        " sessionStorage.getItem('motcua.bien-nhan.3.000333')]"
    )
    assert stored == [None, None]
    page.reload()
    expect(page.locator("#bat-dau")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(receipt["secret"])
