"""Vietnamese wording for catalogue values, shared by the reviewer report and the site."""

LEVELS = {
    "trung-uong": "trung ương",
    "tinh": "cấp tỉnh",
    "xa": "cấp xã",
    "huyen": "cấp huyện",
    "khac": "cơ quan khác",
}
CHANNELS = {"in_person": "trực tiếp", "online": "trực tuyến", "post": "bưu chính"}
UNITS = {
    "working_days": "ngày làm việc",
    "days": "ngày",
    "hours": "giờ làm việc",
    "same_day": "trong ngày",
    "unpublished": "(đơn vị chưa được công bố)",
}
AUDIENCES = {"citizen": "công dân", "business": "doanh nghiệp", "organisation": "tổ chức"}
ONLINE = {
    "toan-trinh": "toàn trình",
    "mot-phan": "một phần",
    "none": "không có",
    "unpublished": "chưa được công bố",
}
# Browse URLs in Vietnamese (the catalogue's values are English identifiers).
SLUGS = {
    "audiences": {"citizen": "cong-dan", "business": "doanh-nghiep", "organisation": "to-chuc"},
    "online": {
        "toan-trinh": "toan-trinh",
        "mot-phan": "mot-phan",
        "none": "khong-co",
        "unpublished": "chua-cong-bo",
    },
}
FEE_KINDS = {"fee": "Phí", "charge": "Lệ phí"}
FEE_STATUS = {"none": "không thu", "charged": "có thu", "unpublished": "chưa được công bố"}
UNPUBLISHED = "chưa được công bố"


def money(amount: object) -> str:
    """8000 -> '8.000 đ' (Vietnamese thousands separator)."""
    if not isinstance(amount, int):
        return UNPUBLISHED
    return f"{amount:,}".replace(",", ".") + " đ"


def deadline(value: dict | None) -> str:
    if not value:
        return UNPUBLISHED
    unit = value.get("unit", "unpublished")
    if unit == "same_day":
        return "trong ngày"
    amount = value.get("amount", "unpublished")
    amount_text = UNPUBLISHED if amount == "unpublished" else str(amount)
    if unit == "unpublished":
        return f"{amount_text} {UNITS[unit]}" if amount != "unpublished" else UNPUBLISHED
    return f"{amount_text} {UNITS[unit]}"


def date(value: object) -> str:
    """'2026-06-10' -> '10/06/2026'."""
    if not isinstance(value, str) or len(value) != 10:
        return UNPUBLISHED
    year, month, day = value.split("-")
    return f"{day}/{month}/{year}"


def decision(value: dict | None) -> str:
    if not value:
        return UNPUBLISHED
    when = value.get("date")
    suffix = f" ngày {date(when)}" if when and when != "unpublished" else ""
    number = value.get("number")
    number = UNPUBLISHED if number in (None, "unpublished") else number
    return f"{number}{suffix}"
