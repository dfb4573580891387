"""A procedure's online form as the API sees it: the JSON Schema of its answers (generated from the
catalogue's form definition, the same one the site renders) and validation that reports each
problem against its field, in Vietnamese.

Answers are keyed by field id; a field whose `when` condition does not hold is not asked, so it is
neither required nor kept. Uploads are keyed by slot id, each a list of upload keys.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:  # imported by `_Compiled.full`, for invalid answers only (~0.045 s)
    from jsonschema import Draft202012Validator

PATTERNS = {
    "cccd": r"^[0-9]{12}$",
    "phone": r"^(0[0-9]{9}|\+84[0-9]{9})$",
    "email": r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}
MESSAGES = {
    "required": "Vui lòng nhập {label}.",
    "select": "Vui lòng chọn {label}.",
    "yes_no": "Vui lòng chọn Có hoặc Không.",
    "text": "{label}: quá dài (tối đa {max_length} ký tự).",
    "number": "{label} phải là một số{range}.",
    "date": "{label} phải là ngày có thật, dạng ngày/tháng/năm.",
    "future": "{label} không được sau ngày hôm nay.",
    "cccd": "Số định danh cá nhân gồm đúng 12 chữ số.",
    "phone": "Số điện thoại gồm 10 chữ số bắt đầu bằng 0 (ví dụ 0912345678).",
    "email": "Địa chỉ thư điện tử chưa đúng (ví dụ ten@example.vn).",
    "address": "Chọn tỉnh/thành phố và xã/phường của {label}, rồi nhập số nhà, đường.",
    "commune": "Xã/phường đã chọn không thuộc tỉnh/thành phố đã chọn.",
    "files_min": "Cần tải lên ít nhất {min_files} tệp cho “{label}”.",
    "files_max": "Chỉ được tải lên tối đa {max_files} tệp cho “{label}”.",
    "file_missing": "Tệp này chưa tải lên xong hoặc không hợp lệ; hãy tải lại.",
    "unknown": "Trường này không có trong biểu mẫu.",
    "control": "{label} có ký tự điều khiển hoặc ký tự đảo chiều văn bản, không được phép.",
}
# Characters no answer needs and some abuse: C0/C1 controls (a line break only in a textarea)
# and the bidirectional overrides and isolates that make text read differently from what it
# stores (a name or an address shown reversed on the officer's screen and on printed forms).
CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]")
# The same, and line breaks and tabs too: every kind of free text but a textarea.
CONTROL_IN_LINE = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]")
TEXT_LIMITS = {"text": 200, "textarea": 2000}


@dataclass(frozen=True)
class FileType:
    """A kind of file a form's upload slot may accept (`accept` in schemas/form.schema.json)."""

    content_type: str
    extension: str  # of the stored object's key
    extensions: tuple[str, ...]  # file names the page's file picker offers
    magic: bytes  # how a genuine file of this kind begins


# The one table of file types: upload targets, verification, stored keys and the page's picker.
FILE_TYPES = {
    "pdf": FileType("application/pdf", "pdf", (".pdf",), b"%PDF-"),
    "jpeg": FileType("image/jpeg", "jpg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    "png": FileType("image/png", "png", (".png",), b"\x89PNG\r\n\x1a\n"),
}
CONTENT_TYPES = {kind: file_type.content_type for kind, file_type in FILE_TYPES.items()}


# How the result comes back, one way per channel the procedure publishes ("Cách thức thực hiện"
# of the national record: the ways to file and to receive the result, NĐ 118/2025). Every form
# gets the question from its procedure's channels (with_delivery), so no form declares it and
# a channel the procedure does not publish is never offered.
DELIVERY_FIELD = "nhan-ket-qua"
DELIVERY_ADDRESS = "dia-chi-nhan-ket-qua"
DELIVERY_PAGE = "nhan-ket-qua"
DELIVERY = {  # channel kind -> (answer, label)
    "in_person": ("tai-co-quan", "Nhận trực tiếp tại nơi nộp hồ sơ"),
    "post": ("buu-chinh", "Gửi qua dịch vụ bưu chính đến địa chỉ bạn cho"),
    "online": ("truc-tuyen", "Nhận trực tuyến (bản điện tử)"),
}
RESERVED = (DELIVERY_FIELD, DELIVERY_ADDRESS)  # field ids no form may declare


def delivery_page(version: dict[str, Any]) -> dict[str, Any] | None:
    """The "how to receive the result" page for a version: one option per published channel, in
    the order office, post, online; None when the procedure publishes fewer than two ways (there
    is nothing to choose)."""
    kinds = {channel["kind"] for channel in version.get("channels", [])}
    options = [
        {"value": value, "label": label}
        for kind, (value, label) in DELIVERY.items()
        if kind in kinds
    ]
    if len(options) < 2:
        return None
    page_fields: list[dict[str, Any]] = [
        {
            "id": DELIVERY_FIELD,
            "type": "select",
            "label": "Bạn muốn nhận kết quả bằng cách nào?",
            "hint": "Chỉ có các cách mà thủ tục này công bố.",
            "options": options,
        }
    ]
    if "post" in kinds:
        page_fields.append(
            {
                "id": DELIVERY_ADDRESS,
                "type": "address",
                "label": "Địa chỉ nhận kết quả qua bưu chính",
                "hint": "Cước dịch vụ bưu chính (nếu có) theo giá của đơn vị bưu chính.",
                "when": {"field": DELIVERY_FIELD, "in": [DELIVERY["post"][0]]},
            }
        )
    return {"id": DELIVERY_PAGE, "title": "Nhận kết quả", "fields": page_fields}


def with_delivery(form: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """The form as the applicant fills it: the catalogue's pages, then the version's delivery
    page (delivery_page). A new dict: callers that validate often keep it (Bundle.form), as
    the compiled validators are cached per form object."""
    page = delivery_page(version)
    if page is None:
        return form
    return {**form, "pages": [*form["pages"], page]}


def fields(form: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(page, field) pairs in form order."""
    for page in form["pages"]:
        for item in page.get("fields", []):
            yield page, item


def office_from(form: dict[str, Any]) -> str | None:
    """The address question whose commune suggests the receiving office (the form's first: the
    applicant's own in every form of the catalogue); None when the form asks no address."""
    return next((f["id"] for _, f in fields(form) if f["type"] == "address"), None)


def slots(form: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for page in form["pages"]:
        for slot in page.get("uploads", []):
            yield page, slot


def shown(item: dict[str, Any], page: dict[str, Any], answers: dict[str, Any]) -> bool:
    """A field (or slot) is asked when its page's and its own conditions hold."""
    return all(
        cond is None or answers.get(cond["field"]) in cond["in"]
        for cond in (page.get("when"), item.get("when"))
    )


def _field_schema(item: dict[str, Any]) -> dict[str, Any]:
    kind = item["type"]
    if kind in ("text", "textarea"):
        return {
            "type": "string",
            "minLength": 1,
            "maxLength": item.get("max_length", TEXT_LIMITS[kind]),
        }
    if kind == "number":
        schema: dict[str, Any] = {"type": "number"}
        schema.update({k: item[k] for k in ("min", "max") if k in item})
        return {
            ("minimum" if k == "min" else "maximum" if k == "max" else k): v
            for k, v in schema.items()
        }
    if kind == "select":
        return {"enum": [o["value"] for o in item["options"]]}
    if kind == "yes_no":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date", "pattern": PATTERNS["date"]}
    if kind == "address":
        return {
            "type": "object",
            "additionalProperties": False,
            "required": ["province", "commune", "street"],
            "properties": {
                "province": {"type": "string", "pattern": "^[0-9]{2}$"},
                "commune": {"type": "string", "pattern": "^[0-9]{5}$"},
                "street": {"type": "string", "minLength": 1, "maxLength": 200},
            },
        }
    return {"type": "string", "pattern": PATTERNS[kind], "maxLength": 320}


def submission_schema(form: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema (2020-12) of `{"answers": {...}, "uploads": {...}}` for this form. Conditional
    fields become if/then rules, so a client can validate exactly as the server does."""
    properties = {
        item["id"]: {**_field_schema(item), "title": item["label"]} for _, item in fields(form)
    }
    required, rules = [], []
    for page, item in fields(form):
        if item.get("required", True) is False:
            continue
        conditions = [c for c in (page.get("when"), item.get("when")) if c]
        if not conditions:
            required.append(item["id"])
        else:
            rules.append(
                {
                    "if": {
                        "properties": {c["field"]: {"enum": c["in"]} for c in conditions},
                        "required": [c["field"] for c in conditions],
                    },
                    "then": {"required": [item["id"]]},
                }
            )
    upload_properties = {
        slot["id"]: {
            "type": "array",
            "maxItems": slot["max_files"],
            "title": slot["label"],
            "items": {"type": "string", "maxLength": 300},
        }
        for _, slot in slots(form)
    }
    answers: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": required,
    }
    if rules:
        answers["allOf"] = rules
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": form["title"],
        "type": "object",
        "additionalProperties": False,
        "required": ["answers", "uploads"],
        "properties": {
            "procedure": {"type": "string"},
            "answers": answers,
            "uploads": {
                "type": "object",
                "additionalProperties": False,
                "properties": upload_properties,
            },
        },
    }


def check_answers(
    form: dict[str, Any], answers: Any, units: dict[str, Any], today: dt.date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validates answers with the JSON Schema generated from the form (submission_schema), then
    the checks a schema cannot state (commune within province, dates not in the future).

    Only what the applicant was asked is validated and kept: answers to fields whose condition
    does not hold are dropped, and blank text counts as no answer. Returns (kept, errors by JSON
    pointer), each error a Vietnamese sentence about that field.
    """
    if not isinstance(answers, dict):
        return {}, {"/answers": "Câu trả lời phải là một bảng trường: giá trị."}
    compiled = _compiled(form)
    items = compiled.items
    # Trimmed before anything else, so " cccd " asks the same questions that it requires.
    trimmed = {
        key: value.strip() if isinstance(value, str) else value for key, value in answers.items()
    }
    asked = {
        name
        for name, conditions in compiled.conditions
        if all(trimmed.get(cond["field"]) in cond["in"] for cond in conditions)
    }
    given = {
        key: value
        for key, value in trimmed.items()
        if (key in asked or key not in items) and value not in (None, "")
    }
    errors: dict[str, str] = {}
    try:
        compiled.fast(given)
    except fastjsonschema.JsonSchemaException:  # invalid: jsonschema lists every error
        for error in compiled.full.iter_errors(given):
            for key, message in _explain(error, items, given):
                errors.setdefault(f"/answers/{_escape(key)}", message)
    for key, value in given.items():
        item = items.get(key)
        if item is None or item["type"] not in SEMANTIC:
            continue
        pointer = f"/answers/{key}"  # a field id needs no escaping (schemas/form.schema.json)
        if pointer not in errors:
            problem = _semantic_problem(item, value, units, today)
            if problem:
                errors[pointer] = problem
    kept = {k: v for k, v in given.items() if k in items and f"/answers/{k}" not in errors}
    return kept, errors


Validator = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    """What checking a form's answers needs, made once per form (_compiled)."""

    form: dict[str, Any]
    schema: dict[str, Any]  # the `answers` part of submission_schema(form)
    fast: Validator
    items: dict[str, dict[str, Any]]  # field id -> field
    conditions: tuple[tuple[str, tuple[dict[str, Any], ...]], ...]  # field id, its page's and own

    @cached_property
    def full(self) -> "Draft202012Validator":
        """jsonschema's validator, which lists every error: made (and jsonschema imported) when
        answers are first found invalid, so that a process that only accepts valid answers, or
        builds the site, does not import it."""
        from jsonschema import Draft202012Validator, FormatChecker

        return Draft202012Validator(self.schema, format_checker=FormatChecker())


_COMPILED: dict[int, _Compiled] = {}


def _compiled(form: dict[str, Any]) -> _Compiled:
    """The `answers` part of submission_schema(form) and the form's fields and conditions,
    compiled once per form for the life of the process (the bundle's form dicts live as long as
    it does; the identity check guards against a reused id): fastjsonschema's compiled code
    decides whether answers are valid (several times faster than jsonschema, most of a
    submission's CPU otherwise), and jsonschema lists every error of invalid ones, as
    `build.py check` does. tests/test_forms.py requires the two to agree on generated answers."""
    cached = _COMPILED.get(id(form))
    if cached is None or cached.form is not form:
        schema = submission_schema(form)["properties"]["answers"]
        cached = _Compiled(
            form=form,
            schema=schema,
            fast=fastjsonschema.compile(schema, use_default=False, use_formats=True),
            items={item["id"]: item for _, item in fields(form)},
            conditions=tuple(
                (item["id"], tuple(c for c in (page.get("when"), item.get("when")) if c))
                for page, item in fields(form)
            ),
        )
        _COMPILED[id(form)] = cached
    return cached


def _explain(error: Any, items: dict[str, Any], given: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Field ids and messages for one jsonschema error on the answers object."""
    if error.absolute_path:
        # Inside one answer (an address's parts): its own `required` and `additionalProperties`
        # are about the parts, not the fields, so they make that field's message.
        name = error.absolute_path[0]
        if name in items:
            yield name, _type_problem(items[name], given.get(name))
        return
    if error.validator == "required":
        for name in error.validator_value:
            if name not in given and name in items:
                item = items[name]
                key = item["type"] if item["type"] in ("select", "yes_no") else "required"
                yield name, _message(key, item)
        return
    if error.validator == "additionalProperties":
        for name in given:
            if name not in items:
                yield name, MESSAGES["unknown"]


def _type_problem(item: dict[str, Any], value: Any) -> str:
    kind = item["type"]
    if kind in ("text", "textarea"):
        if not isinstance(value, str):
            return _message("required", item)
        return _message("text", item, max_length=item.get("max_length", TEXT_LIMITS[kind]))
    if kind == "number":
        return _message("number", item, range=_range(item))
    return _message(kind, item)


def _semantic_problem(
    item: dict[str, Any], value: Any, units: dict[str, Any], today: dt.date
) -> str | None:
    """What the schema cannot say: a real date not in the future, a commune of that province,
    text without control characters."""
    if _has_control(item["type"], value):
        return _message("control", item)
    future = item["type"] == "date" and dt.date.fromisoformat(value) > today
    if future and item.get("not_after_today"):
        return _message("future", item)
    if item["type"] == "address":
        province = units.get(value["province"])
        if province is None:
            return _message("address", item)
        if value["commune"] not in province["communes"]:
            return MESSAGES["commune"]
        if not value["street"].strip():
            return _message("address", item)
    return None


CONTROLLED = ("text", "textarea", "address")  # the kinds whose free text is checked
SEMANTIC = frozenset((*CONTROLLED, "date"))  # the kinds _semantic_problem can refuse


def _has_control(kind: str, value: Any) -> bool:
    """theme/assets/apply-rules.js has the same rule (tests/test_apply_rules.py)."""
    if kind not in CONTROLLED:
        return False
    pattern = CONTROL if kind == "textarea" else CONTROL_IN_LINE
    if isinstance(value, str):
        return pattern.search(value) is not None
    if kind == "address" and isinstance(value, dict):
        return any(isinstance(part, str) and pattern.search(part) for part in value.values())
    return False


def check_uploads(
    form: dict[str, Any],
    answers: dict[str, Any],
    uploads: Any,
    is_accepted: Callable[[str], bool],
    procedure: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every asked slot holds between min and max accepted uploads made for it."""
    if not isinstance(uploads, dict):
        return {}, {"/uploads": "Danh sách tệp phải là một bảng khe tải lên: [mã tệp]."}
    errors: dict[str, str] = {}
    known = {slot["id"] for _, slot in slots(form)}
    for key in uploads:
        if key not in known:
            errors[f"/uploads/{_escape(key)}"] = MESSAGES["unknown"]
    kept: dict[str, list[str]] = {}
    for page, slot in slots(form):
        if not shown(slot, page, answers):
            continue
        pointer = f"/uploads/{slot['id']}"
        keys = uploads.get(slot["id"]) or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            errors[pointer] = MESSAGES["file_missing"]
            continue
        keys = list(dict.fromkeys(keys))
        if len(keys) < slot["min_files"]:
            errors[pointer] = MESSAGES["files_min"].format(**slot)
            continue
        if len(keys) > slot["max_files"]:
            errors[pointer] = MESSAGES["files_max"].format(**slot)
            continue
        prefix = f"{procedure}/{slot['id']}/"
        for index, key in enumerate(keys):
            if not key.startswith(prefix) or not is_accepted(key):
                errors[f"{pointer}/{index}"] = MESSAGES["file_missing"]
        kept[slot["id"]] = keys
    return kept, errors


def slot_limits(slot: dict[str, Any]) -> dict[str, str]:
    """What a slot accepts, as the refusals say it (the API's and the application page's)."""
    names = ", ".join(kind.upper() for kind in slot["accept"])
    size = f"{slot['max_bytes'] / 1048576:g} MB".replace(".", ",")
    return {
        "type": f"Chỉ nhận tệp {names}.",
        "size": f"Tệp quá lớn: tối đa {size}.",
        "names": names,
        "max_size": size,
    }


def _message(key: str, item: dict[str, Any], **extra: Any) -> str:
    label = item["label"][:1].lower() + item["label"][1:]
    text = MESSAGES[key].format(label=label, **extra)
    return text[:1].upper() + text[1:]


def _range(item: dict[str, Any]) -> str:
    if "min" in item and "max" in item:
        return f" từ {item['min']:g} đến {item['max']:g}"
    if "min" in item:
        return f" không nhỏ hơn {item['min']:g}"
    if "max" in item:
        return f" không lớn hơn {item['max']:g}"
    return ""


# The build shows the browser the same messages (buildlib/site/application.py): public names.
message = _message
range_text = _range


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")[:100]
