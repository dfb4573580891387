"""Typing less at 360 px (issue 19, deliverable 4): every form asks how to receive the result
from its procedure's published channels, "Giống người nộp hồ sơ" copies the requester into a
second person and keeps them in step, and an opt-in profile kept only on the device fills the
next application, can be seen and erased, and is sent nowhere before the applicant submits.

Screenshots go to test-artifacts/screenshots/reuse-*.png."""

import json

from playwright.sync_api import Page, expect

from chalicelib import forms
from tests.api.filling import answers_for

from .test_apply import Applicant, dossiers
from .test_apply import axe as axe  # at the top of the page: the sticky header covers nothing

PROFILE_KEY = "motcua.ho-so-ca-nhan"  # theme/assets/apply-reuse.js


def _go_to(applicant: Applicant, step: str, answers: dict) -> None:
    """Fills and continues page after page until `step` shows."""
    for _ in range(len(applicant.form["pages"]) + 1):
        if applicant.step_id() == step:
            return
        applicant.fill_page(answers)
        applicant.next()
        expect(applicant.page.locator("#ap-errors")).to_be_hidden()
    expect(applicant.page.locator(f"#{step}")).to_be_visible()


def test_the_result_is_asked_from_the_published_ways_and_stored(page: Page, server, axe, shot):
    applicant = Applicant(page, server, "dang-ky-khai-sinh", shot, axe)
    answers = answers_for(applicant.form)
    applicant.open()
    applicant.start()
    _go_to(applicant, f"trang-{forms.DELIVERY_PAGE}", answers)
    options = page.locator(f"input[name='{forms.DELIVERY_FIELD}']")
    # 1.001193 publishes in person, online and by post: three ways, in that order.
    expect(options).to_have_count(3)
    assert [options.nth(i).get_attribute("value") for i in range(3)] == [
        "tai-co-quan",
        "buu-chinh",
        "truc-tuyen",
    ]
    address = page.locator(f"#q-{forms.DELIVERY_ADDRESS}")
    expect(address).to_be_hidden()
    page.check(f"input[name='{forms.DELIVERY_FIELD}'][value='buu-chinh']")
    expect(address).to_be_visible()
    applicant.next()  # by post without an address: refused, next to the field
    expect(page.locator(f"#e-{forms.DELIVERY_ADDRESS}")).to_be_visible()
    # The address typed for the requester is one click away.
    address.locator("[data-copy]").click()
    expect(page.locator(f"#f-{forms.DELIVERY_ADDRESS}-duong")).to_have_value(
        answers["nyc-noi-cu-tru"]["street"]
    )
    axe(page, "the result question")
    shot(page, "reuse-01-result-by-post")
    before = len(dossiers(server, "1.001193"))
    applicant.next()
    applicant.complete(answers)
    expect(page.locator("#ap-answers")).to_contain_text("Gửi qua dịch vụ bưu chính")
    applicant.submit()
    stored = dossiers(server, "1.001193")
    assert len(stored) == before + 1
    kept = json.loads(stored[-1]["body"])["answers"]
    assert kept[forms.DELIVERY_FIELD] == "buu-chinh"
    assert kept[forms.DELIVERY_ADDRESS] == answers["nyc-noi-cu-tru"]

    # 1.010041 publishes one way only (online): nothing to choose, nothing asked.
    only_online = Applicant(page, server, "xac-nhan-thong-tin-cu-tru")
    only_online.open()
    expect(page.locator(f"#trang-{forms.DELIVERY_PAGE}")).to_have_count(0)


def test_same_as_requester_copies_keeps_in_step_and_lets_go_by_keyboard(
    page: Page, server, axe, shot
):
    applicant = Applicant(page, server, "dang-ky-khai-sinh", shot, axe)
    answers = answers_for(applicant.form, {"nyc-quan-he": "me", "nyc-loai-giay-to": "cccd"})
    applicant.open()
    applicant.start()
    _go_to(applicant, "trang-me", answers)
    box = page.locator("#f-same-me")
    expect(page.locator("#q-same-me")).to_be_visible()
    expect(box).not_to_be_checked()
    # By keyboard: focus the box and press Space.
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    expect(page.locator("#f-me-ho-ten")).to_have_value(answers["nyc-ho-ten"])
    expect(page.locator("#f-me-so-dinh-danh")).to_have_value(answers["nyc-so-dinh-danh"])
    expect(page.locator("input[name='me-co-thong-tin'][value='true']")).to_be_checked()
    expect(page.locator("#f-me-noi-cu-tru-xa")).to_have_value(answers["nyc-noi-cu-tru"]["commune"])
    axe(page, "same as requester")
    shot(page, "reuse-02-same-as-requester")

    # The requester's name corrected two pages back: the mother's follows.
    page.locator(".ap-step:visible [data-action=back]").click()
    page.locator(".ap-step:visible [data-action=back]").click()
    expect(page.locator("#trang-nguoi-yeu-cau")).to_be_visible()
    page.fill("#f-nyc-ho-ten", "Trần Thị Bình")
    applicant.next()
    applicant.next()
    expect(page.locator("#trang-me")).to_be_visible()
    expect(box).to_be_checked()
    expect(page.locator("#f-me-ho-ten")).to_have_value("Trần Thị Bình")

    # Typing into a copied answer: no longer the same person, the box unticks and says so.
    page.locator("#f-me-ho-ten").press("End")
    page.keyboard.type(" An")
    expect(box).not_to_be_checked()
    expect(page.locator("#ap-status")).to_contain_text("Đã bỏ chọn")
    expect(page.locator("#f-me-ho-ten")).to_have_value("Trần Thị Bình An")

    # The father's page offers no box when the requester is the mother.
    applicant.fill_page(answers)
    applicant.next()
    expect(page.locator("#trang-cha")).to_be_visible()
    expect(page.locator("#q-same-cha")).to_be_hidden()


def test_the_profile_is_opt_in_fills_the_next_application_and_is_sent_nowhere_before_submit(
    page: Page, server, axe, shot
):
    applicant = Applicant(page, server, "dang-ky-khai-sinh", shot, axe)
    answers = answers_for(
        applicant.form, {"nyc-loai-giay-to": "cccd", "nyc-ho-ten": "Lê Văn Cường"}
    )
    answers["nyc-so-dinh-danh"] = "031099004321"
    answers["nyc-dien-thoai"] = "0987654321"
    applicant.open()
    expect(page.locator("#ap-profile")).to_be_hidden()
    applicant.start()
    applicant.complete(answers)
    remember = page.locator("#f-ap-remember")
    expect(remember).not_to_be_checked()  # opt-in
    remember.check()
    applicant.submit()
    kept = page.evaluate(f"JSON.parse(localStorage.getItem('{PROFILE_KEY}'))")
    assert kept["name"] == "Lê Văn Cường"
    assert kept["id"] == "031099004321" and kept["phone"] == "0987654321"
    assert kept["address"] == answers["nyc-noi-cu-tru"]

    # The next application, watched from its first request to the submit button.
    sent: list[tuple[str, str, str]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data or "")))
    page.goto(f"{server.url}/nop-ho-so/1.001193/")
    expect(page.locator("#ap-profile")).to_be_visible()
    page.click("[data-action=profile-show]")
    listing = page.locator("#ap-profile-list")
    expect(listing).to_be_visible()
    expect(listing).to_contain_text("Lê Văn Cường")
    expect(listing).to_contain_text("031099004321")
    axe(page, "the profile on the start step")
    shot(page, "reuse-03-profile")
    applicant.start()
    expect(page.locator("#ap-prefilled")).to_be_visible()
    expect(page.locator("#f-nyc-ho-ten")).to_have_value("Lê Văn Cường")
    expect(page.locator("#f-nyc-so-dinh-danh")).to_have_value("031099004321")
    expect(page.locator("#f-nyc-dien-thoai")).to_have_value("0987654321")
    expect(page.locator("#f-nyc-noi-cu-tru-xa")).to_have_value(answers["nyc-noi-cu-tru"]["commune"])
    axe(page, "a prefilled first page")
    applicant.complete(answers)
    personal = ("Lê Văn Cường", "L%C3%AA%20V%C4%83n", "031099004321", "0987654321")
    for method, url, body in sent:
        assert method == "GET", (method, url)
        assert not any(value in url or value in body for value in personal), url
    page.click("#ap-submit")
    expect(page.locator("#xac-nhan")).to_be_visible(timeout=20_000)
    assert any(m == "POST" and "031099004321" in b for m, _, b in sent)

    # Seen and erased from the start step.
    page.goto(f"{server.url}/nop-ho-so/1.001193/")
    expect(page.locator("#ap-profile")).to_be_visible()
    page.click("[data-action=profile-erase]")
    expect(page.locator("#ap-profile")).to_be_hidden()
    expect(page.locator("#ap-status")).to_contain_text("Đã xóa thông tin đã lưu")
    assert page.evaluate(f"localStorage.getItem('{PROFILE_KEY}')") is None


def test_a_form_that_takes_some_cases_says_which_and_where_the_others_go(page: Page, server, axe):
    for code, taken, elsewhere in (
        ("3.000333", "tự yêu cầu", "Mẫu số 02/2025/LLTP"),
        ("1.004222", "do thuê, mượn, ở nhờ", "cơ sở tín ngưỡng"),
        ("1.004194", "thành viên hộ gia đình", "theo danh sách"),
    ):
        page.goto(f"{server.url}/nop-ho-so/{code}/")
        covers = page.locator("#ap-covers")
        expect(covers).to_be_visible()  # before anything is typed, with or without JavaScript
        expect(covers.locator("li")).to_contain_text([taken])
        expect(covers).to_contain_text(elsewhere)
        axe(page, f"the scope of the form of {code}")
