"""The applicant's rating on the status page (tra-cuu/), on a phone (360 px), against the real
API of conftest's `server`: a dossier filed over HTTP, received, done and returned by an officer
of its office (made with `motcua create-officer`), then rated once from the page; the API's
Vietnamese message next to each question it is missing; axe finds nothing in any state.

Screenshots: test-artifacts/screenshots/tra-cuu-rating-*.png."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from chalicelib.ratings import QUESTIONS

from .officers import OfficerClient, create_officer
from .test_backoffice_e2e import NO_UPLOAD, api_call, file_without_upload

OFFICER = {
    "username": "can-bo-danh-gia",
    "name": "Đỗ Minh Khoa",
    "password": "mat-khau-danh-gia-2026",
}
GIVEN = "Bạn đã đánh giá hồ sơ này. Cảm ơn bạn đã góp ý để cơ quan phục vụ tốt hơn."


@pytest.fixture
def returned(server) -> dict:
    """A dossier whose result was returned at the desk: its receipt."""
    form = api_call(server, "GET", f"/api/procedures/{NO_UPLOAD}/form")
    receipt = file_without_upload(server, form)
    office = form["offices"][0]["id"]
    create_officer(server, **OFFICER, office=office, roles=["mot_cua", "chuyen_vien"])
    officer = OfficerClient(server, OFFICER["username"], OFFICER["password"])
    officer.act(receipt["code"], "receive")
    officer.act(receipt["code"], "done")
    officer.act(receipt["code"], "return_result", {"method": "truc_tiep"})
    return receipt


def rate_again(server, receipt: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{server.url}/api/dossiers/{receipt['code']}/rating",
        data=json.dumps({"answers": dict.fromkeys(QUESTIONS, "hai_long")}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Lookup-Secret": receipt["secret"]},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_applicant_rates_a_returned_dossier_once_from_the_status_page(
    page, server, returned, axe, shot
):
    page.goto(f"{server.url}/tra-cuu/#ma={returned['code']}&khoa={returned['secret']}")
    expect(page.locator("#tra-cuu-tieu-de")).to_have_text("Tình trạng: Đã trả kết quả")
    section = page.locator("#tra-cuu-danh-gia")
    expect(section.get_by_role("heading", name="Đánh giá mức độ hài lòng")).to_be_visible()
    expect(section.get_by_role("group")).to_have_count(len(QUESTIONS))
    axe(page, "tra-cuu: rating asked")

    # Sent with one question answered: the others say what is missing, next to them.
    overall = section.get_by_role("group", name=QUESTIONS["tong_the"])
    overall.get_by_label("Rất hài lòng", exact=True).check()
    section.get_by_role("button", name="Gửi đánh giá").click()
    summary = page.locator("#tra-cuu-danh-gia-loi")
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_count(len(QUESTIONS) - 1)
    expect(page.locator("#danh-gia-can_bo-loi")).to_have_text("Chọn một mức đánh giá.")
    expect(page.locator("#danh-gia-tong_the-loi")).to_be_hidden()
    axe(page, "tra-cuu: rating with missing answers")
    shot(page, "tra-cuu-rating-errors-360")
    summary.get_by_role("link").first.click()
    expect(page.locator("#danh-gia-thoi_gian-0")).to_be_focused()

    for question, label in QUESTIONS.items():
        if question != "tong_the":
            section.get_by_role("group", name=label).get_by_label("Hài lòng", exact=True).check()
    section.get_by_label("Ý kiến khác (không bắt buộc)").fill("Cán bộ hướng dẫn rõ ràng.")
    section.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("#tra-cuu-danh-gia-tieu-de")).to_be_focused()
    expect(page.locator("#tra-cuu-danh-gia-da-gui")).to_have_text(GIVEN)
    expect(page.locator("#tra-cuu-danh-gia-mau")).to_be_hidden()
    axe(page, "tra-cuu: rating given")
    shot(page, "tra-cuu-rating-given-360")

    # Once: the page no longer asks, and the API refuses a second rating.
    page.goto("about:blank")  # the page takes the secret out of its address once read
    page.goto(f"{server.url}/tra-cuu/#ma={returned['code']}&khoa={returned['secret']}")
    expect(page.locator("#tra-cuu-tieu-de")).to_have_text("Tình trạng: Đã trả kết quả")
    expect(page.locator("#tra-cuu-danh-gia-da-gui")).to_have_text(GIVEN)
    expect(page.locator("#tra-cuu-danh-gia-mau")).to_be_hidden()
    status, body = rate_again(server, returned)
    assert (status, body["code"]) == (409, "already_rated")
