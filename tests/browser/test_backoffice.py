"""The back office pages (can-bo/) in a real Chromium, at 1280 px and on a tablet (800 px), with
the officer API's answers recorded (fake_office.FakeOfficeApi through `page.route`; the states
come from the real state machine): rendering, focus, keyboard use and axe in every state the
pages can show. test_backoffice_e2e.py drives the same pages against the real API."""

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import ROOT
from .fake_office import CODE, OTHER_OFFICE, FakeOfficeApi

WIDTHS = [1280, 800]
PAGES = ["can-bo/", "can-bo/hang-doi/", f"can-bo/ho-so/?ma={CODE}", f"can-bo/in/?ma={CODE}&mau=06"]


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def officer(request, make_page) -> tuple[Page, FakeOfficeApi]:
    page = make_page(request.param, 900)
    fake = FakeOfficeApi()
    fake.install(page)
    page.width = request.param
    return page, fake


def open_dossier(page, server) -> None:
    page.goto(f"{server.url}/can-bo/ho-so/?ma={CODE}")
    expect(page.locator("#bo-tieu-de")).to_have_text(f"Hồ sơ {CODE}")


def act(page, action: str, fill=None) -> None:
    page.locator(f'[data-open="{action}"]').click()
    form = page.locator(f"#tt-{action}")
    expect(form.get_by_role("heading", level=3)).to_be_focused()
    if fill:
        fill(form)
    form.locator("button[type=submit]").click()
    expect(page.locator("#bo-xong")).to_be_focused()


def test_login_shows_errors_next_to_the_fields_the_lockout_and_goes_on_to_the_queue_recorded_api(
    officer, server, axe, shot
):
    page, fake = officer
    fake.logged_in = False
    page.goto(f"{server.url}/can-bo/")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    axe(page, "can-bo: login")
    page.get_by_role("button", name="Đăng nhập").click()
    summary = page.locator("#bo-loi")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Nhập tên đăng nhập.", "Nhập mật khẩu."])
    expect(page.locator("#mat-khau-loi")).to_have_text("Lỗi: Nhập mật khẩu.")
    expect(page.get_by_label("Mật khẩu")).to_have_attribute("aria-invalid", "true")
    axe(page, "can-bo: login, empty")
    shot(page, f"can-bo-login-errors-{page.width}")

    page.get_by_label("Tên đăng nhập").fill("binh")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau-123")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#ten-dang-nhap-loi")).to_contain_text(
        "Tên đăng nhập hoặc mật khẩu không đúng."
    )
    expect(page.get_by_label("Mật khẩu")).to_have_value("")
    expect(page.get_by_label("Mật khẩu")).not_to_have_attribute("aria-invalid", "true")

    fake.locked = True
    page.get_by_label("Mật khẩu").fill("mat-khau-dung-12")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(summary).to_contain_text("Tài khoản tạm khóa 15 phút.")
    axe(page, "can-bo: login, locked")

    fake.locked = False
    page.get_by_label("Mật khẩu").fill("mat-khau-dung-12")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server.url}/can-bo/hang-doi/")
    assert ("POST", "login", {"username": "binh", "password": "mat-khau-dung-12"}) in fake.requests


def test_a_page_opened_without_a_session_logs_in_first_and_comes_back_recorded_api(officer, server):
    page, fake = officer
    fake.logged_in = False
    page.goto(f"{server.url}/can-bo/ho-so/?ma={CODE}")
    expect(page).to_have_url(re.compile(r"/can-bo/\?tiep="))
    page.get_by_label("Tên đăng nhập").fill("binh")
    page.get_by_label("Mật khẩu").fill("mat-khau-dung-12")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server.url}/can-bo/ho-so/?ma={CODE}")
    expect(page.locator("#bo-tieu-de")).to_have_text(f"Hồ sơ {CODE}")


def test_a_login_page_never_sends_the_officer_to_another_site_recorded_api(officer, server):
    page, fake = officer
    fake.logged_in = False
    page.goto(f"{server.url}/can-bo/?tiep=//example.org/can-bo/")
    page.get_by_label("Tên đăng nhập").fill("binh")
    page.get_by_label("Mật khẩu").fill("mat-khau-dung-12")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{server.url}/can-bo/hang-doi/")


def test_the_queue_shows_counts_flags_filters_and_loads_more_recorded_api(
    officer, server, axe, shot
):
    page, fake = officer
    page.goto(f"{server.url}/can-bo/hang-doi/")
    rows = page.locator("#bo-bang tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#bo-ten")).to_have_text("Trần Thị Bình")
    expect(page.locator("#nhom-co-quan")).to_be_hidden()  # one office: no picker
    expect(rows.nth(0)).to_contain_text("Quá hạn")
    expect(rows.nth(1)).to_contain_text("Sắp đến hạn")
    expect(page.locator("#bo-dem")).to_contain_text("Được tiếp nhận: 60")
    expect(page.locator("#bo-dem")).to_contain_text("Quá hạn: 1")
    link = rows.nth(0).get_by_role("link")
    expect(link).to_have_attribute("href", re.compile(r"can-bo/ho-so/\?ma=cong-an-"))
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    axe(page, "can-bo: queue")
    shot(page, f"can-bo-queue-{page.width}")

    page.get_by_role("button", name="Xem thêm").click()
    expect(rows).to_have_count(60)
    expect(rows.nth(50).get_by_role("link")).to_be_focused()
    expect(page.get_by_role("button", name="Xem thêm")).to_be_hidden()
    assert any(p == "queue" for _, p, _ in fake.requests)

    page.get_by_label("Thời hạn", exact=True).select_option("overdue")
    page.get_by_label("Trạng thái", exact=True).select_option("2")
    page.get_by_role("button", name="Lọc hồ sơ").click()
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"status=2&due=overdue"))
    expect(page.locator("#bo-in-so")).to_have_attribute("href", re.compile(r"mau=07"))
    axe(page, "can-bo: queue, filtered")


def test_an_officer_of_several_offices_picks_one_recorded_api(make_page, server, axe):
    page = make_page(800, 900)
    fake = FakeOfficeApi(offices=[FakeOfficeApi().offices[0], OTHER_OFFICE])
    fake.install(page)
    page.goto(f"{server.url}/can-bo/hang-doi/")
    picker = page.get_by_label("Cơ quan", exact=True)
    expect(picker).to_be_visible()
    picker.select_option(OTHER_OFFICE["id"])
    page.get_by_role("button", name="Lọc hồ sơ").click()
    expect(page).to_have_url(re.compile(rf"office={OTHER_OFFICE['id']}"))
    axe(page, "can-bo: queue, two offices")


def test_the_queue_and_an_action_work_with_the_keyboard_alone_recorded_api(make_page, server, axe):
    page = make_page(1280, 900)
    fake = FakeOfficeApi()
    fake.install(page)
    page.goto(f"{server.url}/can-bo/hang-doi/")
    first = page.locator("#bo-bang tbody tr a").first
    expect(first).to_be_visible()
    for _ in range(30):  # Tab from the top of the page to the first row's link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('bo-row-link')"):
            break
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#bo-bang tbody tr a").nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first).to_be_focused()
    fake_code = first.text_content()
    assert fake_code.endswith("0001")
    page.keyboard.press("Enter")
    expect(page.locator("#bo-tieu-de")).to_have_text(f"Hồ sơ {CODE}")

    receive = page.get_by_role("button", name="Tiếp nhận hồ sơ")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('data-open') === 'receive'"):
            break
    expect(receive).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#tt-receive h3")).to_be_focused()
    expect(receive).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")  # the form's own button
    expect(page.get_by_role("button", name="Tiếp nhận và in giấy hẹn")).to_be_focused()
    page.keyboard.press("Enter")
    done = page.locator("#bo-xong")
    expect(done).to_be_focused()
    expect(done).to_contain_text("Đã thực hiện: Tiếp nhận hồ sơ.")
    expect(page.locator('[data-f="status"]')).to_have_text("Được tiếp nhận")
    assert ("POST", f"dossiers/{CODE}/actions/receive", {"version": 0, "data": {}}) in fake.requests
    axe(page, "can-bo: dossier after receive (keyboard)")


def test_every_state_and_action_form_of_a_dossier_renders_and_is_axe_clean_recorded_api(
    officer, server, axe, shot
):
    page, fake = officer
    open_dossier(page, server)
    expect(page.locator('[data-f="due"]')).to_have_text("Chưa có (tính khi tiếp nhận)")
    files = page.locator("#bo-tep tbody tr")
    expect(files).to_have_count(1)
    expect(files.first).to_contain_text("240,0 KB")
    expect(files.first).to_contain_text("9f86d081884c7d659a2feaa0c55ad015")
    expect(page.locator("#bo-tra-loi")).to_contain_text("Số 12 Lạch Tray")

    def check_every_form(state: str) -> None:
        axe(page, f"can-bo: dossier, {state}")
        for button in page.locator("[data-open]").all():
            button.click()
            name = button.get_attribute("data-open")
            expect(page.locator(f"#tt-{name}")).to_be_visible()
            axe(page, f"can-bo: dossier, {state}, form {name}")
        shot(page, f"can-bo-dossier-{state}-{page.width}")

    check_every_form("moi-dang-ky")
    act(page, "receive")
    expect(page.locator('[data-f="status"]')).to_have_text("Được tiếp nhận")
    expect(page.locator('[data-f="unit"]')).to_have_text("Bộ phận Một cửa")
    expect(page.locator("#bo-xong").get_by_role("link")).to_have_attribute(
        "href", re.compile(r"can-bo/in/\?ma=.*&mau=01")
    )
    check_every_form("duoc-tiep-nhan")

    def two_lines(form):
        form.locator("#request_supplement-items-1").fill("Bản sao hợp đồng thuê nhà")
        form.get_by_role("button", name="Thêm dòng").click()
        expect(form.locator("#request_supplement-items-2")).to_be_focused()
        form.locator("#request_supplement-items-2").fill("Ảnh CCCD mặt sau")
        form.get_by_label("Lý do (không bắt buộc)").fill("Thiếu giấy tờ chứng minh chỗ ở")

    act(page, "request_supplement", two_lines)
    expect(page.locator('[data-f="due"]')).to_contain_text("thời hạn đang tạm dừng")
    expect(page.locator("#bo-qua-trinh")).to_contain_text(
        "Cần bổ sung: Bản sao hợp đồng thuê nhà; Ảnh CCCD mặt sau"
    )
    check_every_form("yeu-cau-bo-sung")

    fake.act("supplement", {"uploads": ["1.004194/bo-sung/a.pdf"]}, actor="applicant")
    page.reload()
    expect(page.locator('[data-f="status"]')).to_have_text("Được tiếp nhận")
    act(
        page, "transfer", lambda f: f.get_by_label("Chuyển đến bộ phận").select_option("chuyen-mon")
    )
    expect(page.locator('[data-f="unit"]')).to_have_text("Bộ phận chuyên môn")
    check_every_form("dang-xu-ly")
    act(page, "request_payment", lambda f: f.get_by_label("Số tiền (đồng)").fill("15.000"))
    expect(page.locator("#bo-qua-trinh")).to_contain_text("Số tiền: 15.000 đồng")
    check_every_form("cho-nop-phi")
    act(page, "confirm_payment")
    act(page, "done")
    expect(page.locator('[data-f="status"]')).to_contain_text("Đã xử lý xong")
    check_every_form("da-xu-ly-xong")

    def by_post(form):
        form.get_by_label("Gửi qua dịch vụ bưu chính").check()
        address = form.get_by_label("Địa chỉ nhận kết quả")
        expect(address).to_have_value("Số 12 Lạch Tray, Phường Lê Chân, Thành phố Hải Phòng")

    act(page, "return_result", by_post)
    expect(page.locator('[data-f="status"]')).to_have_text("Đã trả kết quả — Trước hạn")
    expect(page.locator("#bo-khong-thao-tac")).to_be_visible()
    check_every_form("da-tra-ket-qua")


def test_errors_of_an_action_sit_next_to_their_fields_recorded_api(officer, server, axe):
    page, fake = officer
    fake.act("receive", {})
    open_dossier(page, server)
    page.locator('[data-open="stop"]').click()
    page.locator("#tt-stop button[type=submit]").click()
    expect(page.locator("#bo-loi")).to_be_focused()
    expect(page.locator("#stop-reason-loi")).to_have_text("Lỗi: Nhập lý do.")
    axe(page, "can-bo: dossier, stop without a reason")
    assert not any("actions/stop" in p for _, p, _ in fake.requests)

    # The API's own answer: a new date before the due date (422, /new_due_at).
    page.locator('[data-open="extend"]').click()
    form = page.locator("#tt-extend")
    form.get_by_label("Ngày hẹn trả kết quả mới").fill("2026-12-08")
    form.get_by_label("Lý do chậm trễ").fill("Chờ xác minh của cơ quan khác")
    form.locator("button[type=submit]").click()
    expect(page.locator("#extend-new_due_at-loi")).to_contain_text("sau hạn hiện tại")
    expect(form.get_by_label("Ngày hẹn trả kết quả mới")).to_have_attribute("aria-invalid", "true")
    axe(page, "can-bo: dossier, extend refused by the API")

    form.get_by_label("Ngày hẹn trả kết quả mới").fill("2026-12-18")
    form.locator("button[type=submit]").click()
    expect(page.locator("#bo-xong")).to_contain_text("Xin lỗi và gia hạn")
    expect(page.locator('[data-f="due"]')).to_contain_text("18/12/2026 17:00")


def test_an_electronic_result_is_uploaded_then_returned_recorded_api(officer, server, axe):
    page, fake = officer
    for action, data in [("receive", {}), ("done", {})]:
        fake.act(action, data)
    open_dossier(page, server)
    page.locator('[data-open="return_result"]').click()
    form = page.locator("#tt-return_result")
    form.locator("button[type=submit]").click()
    expect(page.locator("#return_result-method-loi")).to_contain_text("Chọn cách trả kết quả.")
    form.get_by_label("Nhận bản điện tử trực tuyến").check()
    expect(form.get_by_label("Tệp kết quả điện tử (PDF)")).to_be_visible()
    expect(form.get_by_label("Địa chỉ nhận kết quả")).to_be_hidden()
    form.locator("button[type=submit]").click()
    expect(page.locator("#return_result-result_file-loi")).to_contain_text("Tải lên tệp kết quả")
    axe(page, "can-bo: return online without a file")
    form.get_by_label("Tệp kết quả điện tử (PDF)").set_input_files(
        [{"name": "ket-qua.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 r"}]
    )
    expect(page.locator("#return_result-result_file-trang-thai")).to_have_text(
        "Đã tải lên ket-qua.pdf."
    )
    form.locator("button[type=submit]").click()
    expect(page.locator("#bo-xong")).to_contain_text("Đã thực hiện: Trả kết quả.")
    sent = [b for m, p, b in fake.requests if p.endswith("actions/return_result")]
    assert sent[-1]["data"] == {"method": "truc_tuyen", "result_file": "1.004194/ket-qua/1.pdf"}
    target = [b for m, p, b in fake.requests if p.endswith("result-upload")]
    assert target == [{"content_type": "application/pdf", "size": 10}]


def test_a_conflict_shows_the_fresh_dossier_and_says_someone_acted_first_recorded_api(
    officer, server, axe, shot
):
    page, fake = officer
    open_dossier(page, server)
    fake.conflict_next = True  # another officer receives it first
    page.locator('[data-open="receive"]').click()
    page.locator("#tt-receive button[type=submit]").click()
    problem = page.locator("#bo-su-co")
    expect(problem).to_contain_text("Hồ sơ vừa được người khác xử lý")
    expect(problem).to_be_focused()
    expect(page.locator('[data-f="status"]')).to_have_text("Được tiếp nhận")
    expect(page.locator("#bo-qua-trinh")).to_contain_text("Lê Văn Cường")
    expect(page.locator('[data-open="receive"]')).to_have_count(0)
    axe(page, "can-bo: dossier after a conflict")
    shot(page, f"can-bo-conflict-{page.width}")


HANDED_OVER = {
    "id": "he-thong-tinh",
    "name": "Hệ thống thông tin giải quyết TTHC thành phố",
    "message": "Hồ sơ được chuyển sang Hệ thống thông tin giải quyết TTHC thành phố và được giải"
    " quyết ở đó. Trạng thái trên MotCua là trạng thái hệ thống đó báo về.",
}


def test_a_handed_over_dossier_is_read_only_and_says_where_it_went_recorded_api(
    officer, server, axe
):
    page, fake = officer
    fake.handed_over = HANDED_OVER
    open_dossier(page, server)
    expect(page.locator("#bo-ban-giao")).to_have_text(HANDED_OVER["message"])
    expect(page.locator('[data-f="handled"]')).to_have_text(HANDED_OVER["name"])
    expect(page.locator("[data-open]")).to_have_count(0)
    expect(page.locator("#bo-khong-thao-tac")).to_be_visible()
    axe(page, "can-bo: a handed-over dossier")


def test_an_action_the_api_refuses_as_handed_over_shows_its_message_recorded_api(officer, server):
    page, fake = officer
    open_dossier(page, server)
    expect(page.locator("#bo-ban-giao")).to_be_hidden()
    fake.handed_over = HANDED_OVER  # whatever a page offers, the API refuses it (409)
    page.locator('[data-open="receive"]').click()
    page.locator("#tt-receive button[type=submit]").click()
    summary = page.locator("#bo-loi")
    expect(summary).to_contain_text("Hồ sơ này đã được chuyển sang hệ thống")
    expect(summary).to_be_focused()
    expect(page.locator("#bo-app")).not_to_contain_text("sự cố")


def test_a_file_is_downloaded_through_the_short_lived_link_recorded_api(officer, server):
    page, fake = officer
    open_dossier(page, server)
    with page.expect_request(re.compile(r"/api/office/files/signed$")):
        page.get_by_role("button", name=re.compile("^Tải về")).click()
    assert ("GET", f"dossiers/{CODE}/files/0", None) in fake.requests


@pytest.mark.parametrize("form", ["01", "02", "03", "04", "05", "06", "07"])
def test_each_printable_form_renders_its_content_recorded_api(make_page, server, axe, shot, form):
    page = make_page(1280, 900)
    fake = FakeOfficeApi()
    fake.install(page)
    fake.act("receive", {})
    if form == "03":
        fake.state = fake.state.__class__(office=fake.state.office)
        fake.events.clear()
        fake.act("refuse", {"reason": "Hồ sơ không thuộc thẩm quyền"})
    else:
        fake.act("request_supplement", {"items": ["Bản sao hợp đồng thuê nhà"]})
        fake.act("supplement", {"uploads": ["k"]}, actor="applicant")
        fake.act("transfer", {"to_unit": "chuyen-mon"})
        fake.act("extend", {"reason": "Chờ xác minh", "new_due_at": "2026-12-20T17:00:00+07:00"})
        if form == "05":
            fake.act("stop", {"reason": "Người nộp đề nghị dừng"})
    query = "mau=07&office=cong-an-phuong-le-chan" if form == "07" else f"ma={CODE}&mau={form}"
    page.goto(f"{server.url}/can-bo/in/?{query}")
    sheet = page.locator("#bo-to")
    expect(sheet).to_be_visible()
    expect(page.locator("#bo-tieu-de")).to_have_text(re.compile(r"^[A-ZÀ-Ỹ ,]+$"))
    expect(sheet).to_contain_text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    expect(sheet).to_contain_text("CÔNG AN PHƯỜNG LÊ CHÂN")
    expect(sheet).to_contain_text(f"Mẫu số {form}")
    expect(page.locator(".bo-layout-note")).to_contain_text(
        "chưa được đối chiếu với mẫu chính thức"
    )
    expect(page.get_by_role("button", name="In biểu mẫu")).to_be_visible()
    expected = {
        "01": "Thời gian hẹn trả kết quả",
        "02": "Bản sao hợp đồng thuê nhà",
        "03": "Hồ sơ không thuộc thẩm quyền",
        "04": "20/12/2026 17:00",
        "05": "Người nộp đề nghị dừng",
        "06": "Bộ phận chuyên môn",
        "07": "cong-an-phuong-le-chan-261207-0060",
    }[form]
    expect(sheet.locator(f'section[data-mau="{form}"]')).to_contain_text(expected)
    axe(page, f"can-bo: form {form}")
    page.emulate_media(media="print")
    expect(page.locator(".bo-layout-note")).to_be_hidden()
    expect(sheet).to_be_visible()
    shot(page, f"can-bo-mau-{form}")


def test_logging_out_ends_the_session_and_says_so_recorded_api(officer, server, axe):
    page, fake = officer
    page.goto(f"{server.url}/can-bo/hang-doi/")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.locator("#bo-thong-bao")).to_have_text("Bạn đã đăng xuất.")
    assert not fake.logged_in
    axe(page, "can-bo: logged out")


def test_officer_pages_are_noindex_and_in_neither_the_sitemap_nor_the_search_index(page, server):
    for path in PAGES:
        html = page.request.get(f"{server.url}/{path}").text()
        assert '<meta name="robots" content="noindex">' in html, path
    sitemap = page.request.get(f"{server.url}/sitemap.xml")
    assert sitemap.ok and "can-bo" not in sitemap.text()
    shards = [p for p in (ROOT / "site" / "search").rglob("*") if p.is_file()]
    assert shards, "the search index the server serves"
    assert not [p for p in shards if b"can-bo" in p.read_bytes()]
