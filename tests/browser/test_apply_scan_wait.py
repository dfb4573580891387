"""Where the malware scan is a step of its own (AWS), verify answers 202 scan_pending with
Retry-After until the scanner has seen the file (chalicelib/scanstep.py): the form says the file
is being scanned, keeps it out of the submission, asks again, and takes it once verified. The
API's first answers are replaced by that 202 through Playwright's `page.route`; then the README's
run command (embedded, real clamd) verifies the file for real."""

import json

from playwright.sync_api import Page, expect

from tests.api.filling import answers_for

from .test_apply import PDF, PDF_TYPE, Applicant, upload_file

PENDING = {
    "code": "scan_pending",
    "message": "Đang quét mã độc cho tệp, vui lòng đợi trong giây lát.",
    "fields": {},
    "accepted": False,
    "retry_after": 1,
}


def test_a_file_waiting_for_its_scan_says_so_then_is_taken_when_verified(
    page: Page, server, axe, shot
):
    applicant = Applicant(page, server, "dang-ky-khai-sinh")
    answers = answers_for(applicant.form, {"tre-truong-hop": "bo-roi"})
    applicant.open()
    applicant.start()
    for _ in range(len(applicant.form["pages"])):
        if page.locator("#q-giay-chung-sinh").is_visible():
            break
        applicant.fill_page(answers)
        applicant.next()
    verifies = []

    def pending_twice(route):
        verifies.append(json.loads(route.request.post_data)["key"])
        if len(verifies) <= 2:
            headers = {"Retry-After": "1"}
            route.fulfill(status=202, json=PENDING, headers=headers)
        else:
            route.fallback()

    page.route("**/api/uploads/verify", pending_twice)
    page.set_input_files("#f-giay-chung-sinh", files=[upload_file("giay-cs.pdf", PDF_TYPE, PDF)])

    item = page.locator("#d-giay-chung-sinh .ap-file-item")
    expect(item).to_contain_text("Đang quét mã độc", timeout=20_000)
    expect(item.get_by_role("button", name="Xóa")).to_have_count(0)
    axe(page, "upload waiting for its scan")
    shot(page, "apply-scan-pending")
    expect(page.locator("#d-giay-chung-sinh .ap-file-item--done")).to_have_count(1, timeout=20_000)
    assert len(verifies) == 3 and len(set(verifies)) == 1  # the same file, asked again
