"""The status page (tra-cuu/) in each state a dossier can be in, on a phone (360 px), with the
applicant API's answers recorded (fake_office.FakeOfficeApi through `page.route`; the states come
from the real state machine): what to do now, the supplement upload, the clock, withdrawal, axe.
test_backoffice_e2e.py drives the same page against the real API."""

import dataclasses

import pytest
from playwright.sync_api import expect

from .fake_office import CODE, SECRET, FakeOfficeApi


@pytest.fixture
def applicant(page):
    fake = FakeOfficeApi()
    fake.install(page)
    return page, fake


def look_up(page, server):
    page.goto(f"{server.url}/tra-cuu/#ma={CODE}&khoa={SECRET}")
    expect(page.locator("#tra-cuu-tieu-de")).to_be_focused()


def test_a_new_dossier_offers_withdrawal_behind_a_confirmation_recorded_api(
    applicant, server, axe, shot
):
    page, fake = applicant
    look_up(page, server)
    result = page.locator("#tra-cuu-ket-qua")
    expect(result.locator('[data-field="office"]')).to_have_text("Công an Phường Lê Chân")
    expect(result.locator('[data-field="unit"]')).to_have_text("Chưa tiếp nhận")
    expect(result.locator('[data-field="due-label"]')).to_have_text(
        "Ngày hẹn trả kết quả (dự kiến)"
    )
    expect(page.locator("#tra-cuu-viec-can-lam")).to_be_hidden()
    axe(page, "tra-cuu: new, withdrawal offered")
    opener = page.get_by_role("button", name="Rút hồ sơ", exact=True)
    opener.click()
    expect(page.get_by_role("heading", name="Bạn chắc chắn muốn rút hồ sơ này?")).to_be_focused()
    expect(opener).to_have_attribute("aria-expanded", "true")
    axe(page, "tra-cuu: withdrawal confirmation")
    shot(page, "tra-cuu-withdraw-confirm-360")
    page.get_by_role("button", name="Không rút").click()
    expect(opener).to_be_focused()
    assert not any("actions/withdraw" in p for _, p, _ in fake.requests)

    opener.click()
    page.get_by_label("Lý do rút hồ sơ (không bắt buộc)").fill("Đã chuyển nơi ở khác")
    page.get_by_role("button", name="Xác nhận rút hồ sơ").click()
    expect(page.locator("#tra-cuu-tieu-de")).to_have_text("Tình trạng: Công dân yêu cầu rút hồ sơ")
    expect(page.locator('[data-field="done"]')).to_have_text("Đã rút hồ sơ.")
    expect(page.locator("#tra-cuu-rut")).to_be_hidden()
    expect(page.locator(".tthc-timeline li").last).to_contain_text("Bạn đã rút hồ sơ")
    body = {"version": 0, "data": {"reason": "Đã chuyển nơi ở khác"}}
    assert ("POST", f"dossiers/{CODE}/actions/withdraw", body) in fake.requests
    expect(page.locator('[data-field="handed-over"]')).to_be_hidden()  # processed here
    axe(page, "tra-cuu: withdrawn")


def test_a_withdrawal_of_a_handed_over_dossier_says_it_was_sent_there_recorded_api(
    applicant, server, axe
):
    page, fake = applicant
    name = "Hệ thống thông tin giải quyết TTHC thành phố"
    fake.handed_over = {"id": "he-thong-tinh", "name": name, "message": f"Chuyển sang {name}."}
    fake.state = dataclasses.replace(fake.state, handed_to="he-thong-tinh")
    look_up(page, server)
    handed = page.locator('[data-field="handed-over"]')
    expect(handed).to_be_visible()  # where it is processed, before any request
    expect(handed).to_have_text(f"Chuyển sang {name}.")
    page.get_by_role("button", name="Rút hồ sơ", exact=True).click()
    page.get_by_role("button", name="Xác nhận rút hồ sơ").click()
    expect(handed).to_have_text(f"Chuyển sang {name}.")
    done = page.locator('[data-field="done"]')
    expect(done).to_have_text(
        f"Yêu cầu “Rút hồ sơ” đã được gửi tới {name}. Trạng thái hồ sơ chỉ thay đổi khi hệ"
        " thống đó xử lý và báo lại."
    )
    expect(page.locator("#tra-cuu-tieu-de")).to_have_text("Tình trạng: Mới đăng ký")
    expect(page.locator(".tthc-timeline li").last).to_contain_text(
        "Đã gửi tới hệ thống giải quyết TTHC của tỉnh"
    )
    axe(page, "tra-cuu: withdrawal sent to the province's system")


def test_a_supplement_request_shows_the_list_stops_the_clock_and_takes_the_files_recorded_api(
    applicant, server, axe, shot
):
    page, fake = applicant
    fake.act("receive", {})
    due_before = fake.state.due_at
    fake.act(
        "request_supplement",
        {"items": ["Bản sao hợp đồng thuê nhà", "Ảnh CCCD mặt sau"], "reason": "Thiếu giấy tờ"},
    )
    look_up(page, server)
    todo = page.locator("#tra-cuu-viec-can-lam")
    expect(todo).to_be_visible()
    expect(todo.locator(".tthc-todo-items li")).to_have_text(
        ["Bản sao hợp đồng thuê nhà", "Ảnh CCCD mặt sau"]
    )
    expect(todo).to_contain_text("Lý do: Thiếu giấy tờ")
    expect(page.locator('[data-field="clock"]')).to_contain_text(
        "Từ 07/12/2026 10:30, thời hạn giải quyết tạm dừng trong khi chờ bạn bổ sung hồ sơ"
    )
    expect(page.locator('[data-field="unit"]')).to_have_text("Bộ phận Một cửa")
    expect(page.locator(".tthc-timeline li").nth(2)).to_contain_text(
        "Cơ quan yêu cầu bạn bổ sung, hoàn thiện hồ sơ"
    )
    expect(page.locator(".tthc-timeline li").nth(2)).to_contain_text("— Bộ phận Một cửa")
    axe(page, "tra-cuu: supplement requested")
    shot(page, "tra-cuu-supplement-360")

    page.get_by_role("button", name="Gửi bổ sung").click()  # nothing chosen yet
    expect(page.locator("#tra-cuu-bo-sung-loi")).to_be_focused()
    expect(page.locator("#tep-bo-sung-loi")).to_contain_text("Chọn ít nhất một tệp")
    axe(page, "tra-cuu: supplement without a file")

    page.get_by_label("Tệp giấy tờ bổ sung").set_input_files(
        [
            {"name": "hop-dong.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 a"},
            {"name": "cccd.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff b"},
        ]
    )
    expect(page.locator("#tra-cuu-tep-da-tai li")).to_have_text(
        ["hop-dong.pdf: đã tải lên", "cccd.jpg: đã tải lên"]
    )
    page.get_by_label("Ghi chú cho cán bộ (không bắt buộc)").fill("Gửi bản chụp rõ nét")
    page.get_by_role("button", name="Gửi bổ sung").click()
    heading = page.locator("#tra-cuu-tieu-de")
    expect(heading).to_have_text("Tình trạng: Được tiếp nhận")
    expect(heading).to_be_focused()
    expect(page.locator('[data-field="done"]')).to_contain_text("Đã gửi bổ sung")
    expect(page.locator('[data-field="clock"]')).to_be_hidden()
    expect(page.locator("#tra-cuu-viec-can-lam")).to_be_hidden()
    assert fake.state.due_at >= due_before  # the clock stood still: the date moved, or not back
    supplement = [b for m, p, b in fake.requests if p.endswith("actions/supplement")]
    assert supplement == [
        {
            "version": 2,
            "data": {
                "uploads": ["1.004194/bo-sung/1.pdf", "1.004194/bo-sung/2.pdf"],
                "note": "Gửi bản chụp rõ nét",
            },
        }
    ]
    # The two files upload side by side: their verify requests may come in either order (the
    # supplement above lists them in the order they were chosen).
    verified = sorted(b["key"] for m, p, b in fake.requests if p == "uploads/verify")
    assert verified == ["1.004194/bo-sung/1.pdf", "1.004194/bo-sung/2.pdf"]
    axe(page, "tra-cuu: supplement sent")


def test_a_payment_request_shows_the_amount_and_the_stopped_clock_recorded_api(
    applicant, server, axe, shot
):
    page, fake = applicant
    fake.act("receive", {})
    fake.act("request_payment", {"amount": 15000})
    look_up(page, server)
    expect(page.locator(".tthc-todo-amount")).to_have_text("15.000 đồng")
    expect(page.locator('[data-field="clock"]')).to_contain_text("chờ bạn nộp phí")
    expect(page.locator(".tthc-lookup-explain")).to_contain_text("Việc bạn cần làm")
    axe(page, "tra-cuu: payment requested")
    shot(page, "tra-cuu-payment-360")


@pytest.mark.parametrize("method", ["buu_chinh", "truc_tiep"])
def test_a_finished_dossier_says_how_the_result_comes_back_recorded_api(
    applicant, server, axe, shot, method
):
    page, fake = applicant
    fake.act("receive", {})
    fake.act("transfer", {"to_unit": "chuyen-mon"})
    fake.act("done", {})
    look_up(page, server)
    expect(page.locator("#tra-cuu-tieu-de")).to_have_text("Tình trạng: Đã xử lý xong")
    expect(page.locator('[data-field="unit"]')).to_have_text("Bộ phận chuyên môn")
    expect(page.locator("#tra-cuu-rut")).to_be_hidden()
    expect(page.locator(".tthc-todo-collect")).to_contain_text("Kết quả đã có")
    axe(page, "tra-cuu: done")
    data = {"method": method}
    if method == "buu_chinh":
        data["address"] = "Số 12 Lạch Tray, Phường Lê Chân, Hải Phòng"
    fake.act("return_result", data)
    look_up(page, server)
    collect = page.locator(".tthc-todo-collect")
    if method == "buu_chinh":
        expect(collect).to_contain_text("Gửi qua dịch vụ bưu chính")
        expect(page.locator(".tthc-timeline li").last).to_contain_text(
            "Cách trả: gửi qua bưu chính, đến Số 12 Lạch Tray"
        )
    else:
        expect(collect).to_have_text(
            "Nhận trực tiếp tại Bộ phận Một cửa. Mang theo giấy tờ tùy thân và mã hồ sơ đến"
            " Bộ phận Một cửa của cơ quan giải quyết."
        )
    expect(page.locator(".tthc-timeline li").nth(2)).to_contain_text(
        "Hồ sơ được chuyển đến bộ phận giải quyết"
    )
    axe(page, f"tra-cuu: result returned ({method})")
    shot(page, f"tra-cuu-returned-{method}-360")


def test_a_stale_version_shows_the_fresh_status_and_says_so_recorded_api(applicant, server):
    page, fake = applicant
    look_up(page, server)
    fake.act("receive", {})  # an officer acts while the page is open
    page.get_by_role("button", name="Rút hồ sơ", exact=True).click()
    page.get_by_role("button", name="Xác nhận rút hồ sơ").click()
    expect(page.locator("#tra-cuu-tieu-de")).to_have_text("Tình trạng: Được tiếp nhận")
    expect(page.locator('[data-field="done"]')).to_contain_text("vừa được cơ quan cập nhật")
    assert fake.state.status == 2
