"""Valid answers for any catalogue form, as an applicant would type them (for API tests)."""

from chalicelib import forms

from .. import files

SAMPLE = {
    "text": "Nguyễn Văn An",
    "textarea": "Không có",
    "date": "2000-01-15",
    "cccd": "001203004567",
    "phone": "0912345678",
    "email": "an.nguyen@example.vn",
    "yes_no": False,
    "address": {"province": "31", "commune": "11824", "street": "Số 1, đường Trần Phú"},
}
# Genuine files: verifying an upload parses it whole (chalicelib/filecheck.py).
FILES = {
    "pdf": ("application/pdf", files.pdf()),
    "png": ("image/png", files.png()),
    "jpeg": ("image/jpeg", files.jpeg()),
}


def answers_for(form: dict, choices: dict | None = None) -> dict:
    answers: dict = {}
    for page, item in forms.fields(form):
        if not forms.shown(item, page, answers):
            continue
        if choices and item["id"] in choices:
            answers[item["id"]] = choices[item["id"]]
        elif item["type"] == "select":
            answers[item["id"]] = item["options"][0]["value"]
        elif item["type"] == "number":
            answers[item["id"]] = item.get("min", 1)
        else:
            value = SAMPLE[item["type"]]
            if item["type"] in ("text", "textarea") and "max_length" in item:
                value = value[: item["max_length"]]
            answers[item["id"]] = value
    return answers
