"""The application form's optional "Nhận thông báo" (the review step), at 360 and 1280 px against
the real server: an address the server refuses is shown at its field with the error summary; a
good one is filed with the dossier (sealed in its body) and the receipt's notifications wait in
the outbox (no channel is configured for the test server: nothing is lost)."""

import json

import pytest
from playwright.sync_api import expect

from chalicelib.config import Settings
from chalicelib.storage.outbox_sqlite import SqliteOutbox
from chalicelib.wiring import data_sealer
from tests.api.filling import FILES, answers_for

from .test_apply import Applicant, dossiers, upload_file
from .test_apply import axe as axe  # at the top of the page: the sticky header covers nothing


@pytest.mark.parametrize("width", [360, 1280])
def test_the_applicant_asks_for_notifications_and_they_wait_in_the_outbox(
    make_page, server, axe, shot, width
):
    page = make_page(width=width)
    applicant = Applicant(page, server, "cap-phieu-ly-lich-tu-phap", shot, axe)
    answers = answers_for(applicant.form, {"mien-giam-phi": False, "so-luong-phieu": 1})
    applicant.open()
    applicant.start()
    files = {"giay-to-tuy-than": [upload_file("cccd.jpg", "image/jpeg", FILES["jpeg"][1])]}
    applicant.complete(answers, files, name=f"thong-bao-{width}")
    notify = page.get_by_role("group", name="Nhận thông báo về hồ sơ (không bắt buộc)")
    expect(notify).to_be_visible()
    expect(notify).to_contain_text("không bao giờ chứa mã tra cứu")
    axe(page, f"review with notifications, {width}px")

    notify.get_by_label("Thư điện tử").fill("an.nguyen@")
    notify.get_by_label("Số điện thoại di động (nhận tin nhắn)").fill("0912 345 678")
    page.click("#ap-submit")
    summary = page.locator("#ap-errors")
    expect(summary).to_contain_text("Nhập địa chỉ thư điện tử, ví dụ ten@vidu.vn.")
    expect(page.locator("#e-ap-notify-email")).to_contain_text("Nhập địa chỉ thư điện tử")
    expect(notify.get_by_label("Thư điện tử")).to_have_attribute("aria-invalid", "true")
    axe(page, f"notifications refused, {width}px")
    shot(page, f"apply-notify-error-{width}")
    summary.locator("a").first.click()
    expect(notify.get_by_label("Thư điện tử")).to_be_focused()

    notify.get_by_label("Thư điện tử").fill("an.nguyen@vidu.vn")
    sent = []
    page.on(
        "request",
        lambda r: sent.append(json.loads(r.post_data)) if r.url.endswith("/api/submissions") else 0,
    )
    receipt = applicant.submit()
    assert sent[-1]["notify"] == {"email": "an.nguyen@vidu.vn", "phone": "0912 345 678"}
    (row,) = [d for d in dossiers(server, "3.000333") if d["code"] == receipt["code"]]
    assert json.loads(row["body"])["contact"] == {
        "email": "an.nguyen@vidu.vn",
        "phone": "0912345678",
    }
    settings = Settings.from_env(secret_key=b"unused")
    outbox = SqliteOutbox(server.data_dir / "motcua.sqlite3", sealer=data_sealer(settings))
    try:
        queued = outbox.get(f"{receipt['code']}:0:email")
        assert queued is not None and queued.state == "pending" and queued.to == "an.nguyen@vidu.vn"
        assert receipt["secret"] not in json.dumps(queued.data)
    finally:
        outbox.close()
