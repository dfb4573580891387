"""The back office's "Thông báo chưa gửi được" page (can-bo/thong-bao/) in a real Chromium at
360 px and 1280 px: officers see their office's failed and long-waiting notifications with the
last error, and "Gửi lại" (by keyboard) puts one back in the queue. The officer API's answers
are recorded (fake_office.FakeOfficeApi plus the two outbox routes), their items made by the
real backoffice.delivery_view from real deliveries; tests/api/test_notifications.py runs the
routes' service on real SQLite, and the worker that sends again."""

import dataclasses

import pytest
from playwright.sync_api import expect

from chalicelib.backoffice import delivery_view
from chalicelib.storage.ports import Delivery

from .fake_office import CODE, FILED_AT, OFFICE, FakeOfficeApi

FAILED = Delivery(
    id=f"{CODE}:2:sms",
    code=CODE,
    office=OFFICE["id"],
    kind="supplement",
    channel="sms",
    to="0912345678",
    data={},
    created_at=FILED_AT.timestamp(),
    next_at=FILED_AT.timestamp() + 7200,
    state="failed",
    attempts=8,
    last_error="SMS gateway: HTTP 503",
)
WAITING = dataclasses.replace(
    FAILED,
    id=f"{CODE}:0:email",
    kind="receipt",
    channel="email",
    to="an.nguyen@vidu.vn",
    state="pending",
    attempts=3,
    last_error="SMTP 10.0.0.5:587: [Errno 111] Connection refused",
)


@dataclasses.dataclass
class FakeOutboxApi(FakeOfficeApi):
    deliveries: dict = dataclasses.field(
        default_factory=lambda: {FAILED.id: FAILED, WAITING.id: WAITING}
    )
    refuse_retry: bool = False

    def _answer(self, method, path, query, body, request):
        if not path.startswith("outbox") or not self.logged_in:
            return super()._answer(method, path, query, body, request)
        if method == "POST" and request.headers.get("x-csrf-token") != "csrf-token":
            return 403, {"code": "csrf_failed", "message": "CSRF.", "fields": {}}
        if path == "outbox":
            items = [delivery_view(d) for d in self.deliveries.values()]
            return 200, {"office": OFFICE, "items": items, "pending_after_minutes": 15}
        if self.refuse_retry:
            return 404, {
                "code": "not_found",
                "message": "Không tìm thấy thông báo này ở cơ quan của bạn.",
                "fields": {},
            }
        again = dataclasses.replace(
            self.deliveries[body["id"]], state="pending", attempts=0, next_at=FILED_AT.timestamp()
        )
        self.deliveries[again.id] = again
        return 200, {"ok": True, "item": delivery_view(again)}


@pytest.fixture(params=[360, 1280], ids=lambda w: f"{w}px")
def officer(request, make_page):
    page = make_page(request.param, 800)
    fake = FakeOutboxApi()
    fake.install(page)
    page.width = request.param
    return page, fake


def test_officers_see_the_failures_with_their_last_error_and_send_one_again(
    officer, server, axe, shot
):
    page, fake = officer
    page.goto(f"{server.url}/can-bo/thong-bao/")
    rows = page.locator("#bo-bang tbody tr")
    expect(rows).to_have_count(2)
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    failed = rows.filter(has_text="Yêu cầu bổ sung")
    expect(failed).to_contain_text("Gửi không được")
    expect(failed).to_contain_text("SMS gateway: HTTP 503")
    expect(failed).to_contain_text("0912***678")
    expect(rows.filter(has_text="Đã tiếp nhận hồ sơ")).to_contain_text("Connection refused")
    expect(page.get_by_role("link", name="Thông báo chưa gửi được")).to_be_visible()
    axe(page, "can-bo: thong-bao")
    shot(page, f"can-bo-thong-bao-{page.width}")

    button = failed.get_by_role(
        "button", name=f"Gửi lại thông báo “Yêu cầu bổ sung” của hồ sơ {CODE} qua Tin nhắn SMS"
    )
    button.focus()
    page.keyboard.press("Enter")
    done = page.locator("#bo-xong")
    expect(done).to_be_focused()
    expect(done).to_contain_text("vào hàng đợi gửi lại")
    expect(failed).to_contain_text("Đang chờ gửi")
    expect(failed.get_by_role("button")).to_have_count(0)  # queued again: nothing to retry now
    assert ("POST", "outbox/retry", {"id": FAILED.id}) in fake.requests
    axe(page, "can-bo: thong-bao, sent again")
    shot(page, f"can-bo-thong-bao-gui-lai-{page.width}")

    fake.refuse_retry = True
    rows.filter(has_text="Đã tiếp nhận hồ sơ").get_by_role("button").click()
    alert = page.locator("#bo-su-co")
    expect(alert).to_be_focused()
    expect(alert).to_contain_text("Không tìm thấy thông báo này ở cơ quan của bạn.")
    axe(page, "can-bo: thong-bao, refused")
