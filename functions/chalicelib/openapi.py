"""The OpenAPI 3.1 document of the API, served at /api/openapi.json. A test checks that every
Chalice route is here and that responses match it (schemathesis runs against the live server)."""

import re
from functools import lru_cache
from typing import Any

from . import config, handover, officers, outbox, ratings, workflow

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*statuses: int) -> dict[str, Any]:
    names = {
        400: "Yêu cầu sai",
        401: "Chưa đăng nhập, phiên hết hạn hoặc sai mật khẩu",
        403: "Thiếu hoặc sai X-CSRF-Token",
        404: "Không tìm thấy (kể cả hồ sơ của cơ quan khác)",
        409: "Xung đột: Idempotency-Key, thao tác không được phép, phiên bản cũ",
        413: "Quá lớn",
        415: "Kiểu nội dung (Content-Type) không được nhận ở địa chỉ này",
        422: "Dữ liệu chưa hợp lệ",
        429: "Quá nhiều lần thử hoặc quá nhiều yêu cầu (mỗi người dùng, toàn hệ thống)",
        503: "Lưu trữ tạm thời lỗi hoặc đang bận",
        500: "Lỗi hệ thống",
    }
    schemas = {409: {"$ref": "#/components/schemas/Conflict"}}
    return {
        str(code): {
            "description": names[code],
            "content": {"application/json": {"schema": schemas.get(code, ERROR)}},
            **({"headers": {"Retry-After": RETRY_AFTER}} if code in (429, 503) else {}),
        }
        for code in (*statuses, 500)
    }


RETRY_AFTER = {
    "description": "Số giây nên đợi trước khi thử lại",
    "schema": {"type": "integer", "minimum": 0},
}


def _ok(
    schema: dict[str, Any], status: str = "200", description: str = "Thành công"
) -> dict[str, Any]:
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
LOOKUP_SECRET = {
    "name": "X-Lookup-Secret",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
    "description": "Mã tra cứu của hồ sơ (không bao giờ đặt trong địa chỉ): 12 ký tự "
    "(11 ký tự ngẫu nhiên từ 0-9 và BCFGHJKMNPQRSTVX, rồi một ký tự kiểm tra Luhn mod 26), "
    "in thành nhóm 4 như 7KQ4-M9XC-2RB8; nhận chữ hoa hay thường, có hay không dấu cách, dấu "
    "gạch; O, I, L được đọc là 0, 1, 1. Mã cấp trước đây (24 ký tự a-z2-7) vẫn được nhận. Mã "
    "sai dạng hoặc sai ký tự kiểm tra: 422 tại /headers/X-Lookup-Secret, không tính là một lần "
    "thử sai",
}


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,100}$"},
    "description": "Tùy chọn: gửi lại đúng yêu cầu sau khi mất phản hồi thì nhận trạng thái "
    "hiện tại thay vì 409",
}
OFFICER: list[dict[str, list[str]]] = [{"officerSession": []}]
OFFICER_CHANGING: list[dict[str, list[str]]] = [{"officerSession": [], "csrfToken": []}]


def _action(names: list[str]) -> dict[str, Any]:
    return {"name": "action", "in": "path", "required": True, "schema": {"enum": names}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


STRING, INTEGER, NULLABLE = {"type": "string"}, {"type": "integer"}, {"type": ["string", "null"]}
TEXT = {"type": "string", "minLength": 1}  # a required text the server refuses when empty
OFFICE = _object(["id", "name"], {"id": STRING, "name": STRING})
HANDED_OVER = {
    **_object(["id", "name", "message"], {"id": STRING, "name": STRING, "message": STRING}),
    "type": ["object", "null"],
    "description": "Hệ thống giải quyết TTHC của tỉnh nhận hồ sơ khi nộp (docs/ban-giao.md);"
    " null: giải quyết tại cơ quan trên MotCua. Hồ sơ đã bàn giao chỉ xem được ở đây: thao tác"
    " của cán bộ bị từ chối (409 handed_over).",
}


def _officer_paths() -> dict[str, Any]:
    officer_dossier = _ref("OfficerDossier")
    query = [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
        for name, schema, text in (
            ("office", STRING, "Mã cơ quan (mặc định: cơ quan đầu tiên của tài khoản)"),
            (
                "status",
                {"type": "string", "pattern": "^(([1-9]|10)(,([1-9]|10))*)?$"},
                "1..10, cách nhau bởi dấu phẩy (trống: mọi trạng thái)",
            ),
            ("procedure", STRING, "Mã thủ tục"),
            ("channel", {"enum": ["truc_tiep", "truc_tuyen", "buu_chinh"]}, "Kênh nộp"),
            ("due", {"enum": ["soon", "overdue"]}, "Trong 1 ngày làm việc, hoặc quá hạn"),
            ("after", STRING, "Con trỏ `next` của trang trước"),
            (
                "limit",
                {"type": "string", "pattern": "^(([1-9][0-9]?|1[0-9][0-9]|200))?$"},
                "1..200 (trống: 50)",
            ),
        )
    ]
    return {
        "/api/office/login": {
            "post": {
                "summary": "Cán bộ đăng nhập: đặt cookie phiên (HttpOnly, SameSite=Strict)",
                "requestBody": _body(
                    _object(["username", "password"], {"username": TEXT, "password": TEXT})
                ),
                "responses": {
                    **_ok(_object(["officer", "csrf"], {"officer": _ref("Me"), "csrf": STRING})),
                    **_errors(400, 401, 413, 422, 429, 503),
                },
            }
        },
        "/api/office/logout": {
            "post": {
                "summary": "Đăng xuất: kết thúc phiên, xóa cookie",
                "security": OFFICER_CHANGING,
                "responses": {
                    **_ok(_object(["ok"], {"ok": {"type": "boolean"}})),
                    **_errors(401, 403, 503),
                },
            }
        },
        "/api/office/me": {
            "get": {
                "summary": "Cán bộ đang đăng nhập, cơ quan và mã CSRF của phiên",
                "security": OFFICER,
                "responses": {**_ok(_ref("Me")), **_errors(401, 503)},
            }
        },
        "/api/office/queue": {
            "get": {
                "summary": "Hàng đợi hồ sơ của một cơ quan, sắp theo hạn giải quyết",
                "security": OFFICER,
                "parameters": query,
                "responses": {**_ok(_ref("Queue")), **_errors(401, 404, 422, 503)},
            }
        },
        "/api/office/dossiers/{code}": {
            "get": {
                "summary": "Hồ sơ (chỉ hồ sơ của cơ quan mình; hồ sơ khác trả 404)",
                "security": OFFICER,
                "parameters": [CODE],
                "responses": {**_ok(officer_dossier), **_errors(401, 404, 503)},
            }
        },
        "/api/office/dossiers/{code}/actions/{action}": {
            "post": {
                "summary": "Thực hiện một thao tác trên hồ sơ (khóa lạc quan theo version)",
                "security": OFFICER_CHANGING,
                "parameters": [
                    CODE,
                    _action(
                        [
                            n
                            for n in workflow.ACTIONS
                            if n not in ("supplement", "withdraw", "forward")
                        ]
                    ),
                    IDEMPOTENCY_KEY,
                ],
                "requestBody": _body(_ref("ActionRequest")),
                "responses": {
                    **_ok(officer_dossier),
                    **_errors(400, 401, 403, 404, 409, 413, 422, 503),
                },
            }
        },
        "/api/office/dossiers/{code}/files/{n}": {
            "get": {
                "summary": "Đường dẫn tải tệp ngắn hạn (tải về dạng tệp đính kèm)",
                "security": OFFICER,
                "parameters": [
                    CODE,
                    {"name": "n", "in": "path", "required": True, "schema": STRING},
                ],
                "responses": {
                    **_ok(_object(["url", "expires_at"], {"url": STRING, "expires_at": STRING})),
                    **_errors(401, 404, 503),
                },
            }
        },
        "/api/office/outbox": {
            "get": {
                "summary": "Thông báo gửi không được hoặc chờ quá lâu của một cơ quan"
                " (docs/notifications.md)",
                "security": OFFICER,
                "parameters": [query[0]],
                "responses": {**_ok(_ref("Deliveries")), **_errors(401, 404, 503)},
            }
        },
        "/api/office/outbox/retry": {
            "post": {
                "summary": "Gửi lại một thông báo (số lần thử tính lại từ 0)",
                "security": OFFICER_CHANGING,
                "requestBody": _body(_object(["id"], {"id": TEXT}, additionalProperties=False)),
                "responses": {
                    **_ok(
                        _object(
                            ["ok", "item"],
                            {"ok": {"type": "boolean"}, "item": _ref("Delivery")},
                        )
                    ),
                    **_errors(400, 401, 403, 404, 409, 413, 422, 503),
                },
            }
        },
        "/api/office/dossiers/{code}/result-upload": {
            "post": {
                "summary": "Địa chỉ tải lên tệp kết quả điện tử (hồ sơ đã xử lý xong)",
                "security": OFFICER_CHANGING,
                "parameters": [CODE],
                "requestBody": _body(_ref("FileRequest")),
                "responses": {
                    **_ok(_ref("UploadTarget")),
                    **_errors(400, 401, 403, 404, 409, 413, 422, 503),
                },
            }
        },
    }


def _applicant_paths() -> dict[str, Any]:
    return {
        "/api/dossiers/{code}/supplement-uploads": {
            "post": {
                "summary": "Địa chỉ tải lên một tệp bổ sung (khi hồ sơ chờ bổ sung)",
                "description": "Rồi gọi POST /api/uploads/verify như với tệp của biểu mẫu.",
                "parameters": [CODE, LOOKUP_SECRET],
                "requestBody": _body(_ref("FileRequest")),
                "responses": {
                    **_ok(_ref("UploadTarget")),
                    **_errors(400, 401, 404, 409, 413, 422, 429, 503),
                },
            }
        },
        "/api/dossiers/{code}/actions/{action}": {
            "post": {
                "summary": "Người nộp bổ sung hồ sơ hoặc rút hồ sơ",
                "parameters": [
                    CODE,
                    _action(["supplement", "withdraw"]),
                    LOOKUP_SECRET,
                    IDEMPOTENCY_KEY,
                ],
                "requestBody": _body(_ref("ActionRequest")),
                "responses": {
                    **_ok({"$ref": "#/components/schemas/Dossier"}),
                    **_errors(400, 401, 404, 409, 413, 422, 429, 503),
                },
            }
        },
    }


def _rating_paths() -> dict[str, Any]:
    return {
        "/api/dossiers/{code}/rating": {
            "post": {
                "summary": "Người nộp đánh giá mức độ hài lòng (một lần, sau khi trả kết quả)",
                "description": "Chỉ khi hồ sơ đã trả kết quả (trạng thái 10), một lần cho mỗi "
                "hồ sơ: lần thứ hai 409 already_rated; trước khi trả kết quả 409 "
                "action_not_allowed. Câu hỏi và mức đánh giá lấy từ `rating` của tra cứu "
                "(docs/statistics.md).",
                "parameters": [CODE, LOOKUP_SECRET],
                "requestBody": _body(_ref("RatingRequest")),
                "responses": {
                    **_ok(
                        _object(["rating"], {"rating": _ref("RatingState")}),
                        "201",
                        "Đã ghi nhận đánh giá",
                    ),
                    **_errors(400, 401, 404, 409, 413, 422, 429, 503),
                },
            }
        },
    }


def _rating_schemas() -> dict[str, Any]:
    level_ids = list(ratings.LEVELS)
    question = _object(
        ["id", "label", "levels"],
        {
            "id": STRING,
            "label": STRING,
            "levels": {
                "type": "array",
                "items": _object(["id", "label"], {"id": {"enum": level_ids}, "label": STRING}),
            },
        },
    )
    return {
        "RatingState": {
            "description": "null trước khi trả kết quả; sau đó `given` (đã đánh giá chưa) và, "
            "khi chưa, các câu hỏi cần hỏi",
            "oneOf": [
                {"type": "null"},
                _object(
                    ["given"],
                    {
                        "given": {"type": "boolean"},
                        "questions": {"type": "array", "items": question},
                        "comment_max": INTEGER,
                    },
                ),
            ],
        },
        "RatingRequest": _object(
            ["answers"],
            {
                "answers": _object(
                    list(ratings.QUESTIONS),
                    {q: {"enum": level_ids} for q in ratings.QUESTIONS},
                    additionalProperties=False,
                ),
                "comment": {"type": "string", "maxLength": ratings.COMMENT_MAX},
            },
            additionalProperties=False,
        ),
    }


def _dossier(
    description: str,
    actions: dict[str, Any],
    required: list[str] | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A dossier's view: the applicant's (actions are names) or the officer's (actions with
    their fields, and more properties)."""
    return _object(
        [
            "code",
            "procedure",
            "status",
            "status_label",
            "office",
            "unit_label",
            "received_at",
            "due_at",
            "outcome",
            "version",
            "timeline",
            "todo",
            "actions",
            *(required or []),
        ],
        {
            "code": STRING,
            "procedure": STRING,
            "procedure_name": STRING,
            "procedure_version": STRING,
            "channel": STRING,
            "office": {**OFFICE, "type": ["object", "null"]},
            "received_at": STRING,
            "status": {"type": "integer", "minimum": 1, "maximum": 10},
            "status_label": STRING,
            "stage": STRING,
            "unit": STRING,
            "unit_label": STRING,
            "due_at": NULLABLE,
            "accepted_at": NULLABLE,
            "clock_stopped_at": NULLABLE,
            "finished_at": NULLABLE,
            "outcome": NULLABLE,
            "outcome_label": NULLABLE,
            "version": {"type": "integer", "minimum": 0},
            "timeline": {"type": "array", "items": _ref("TimelineEntry")},
            "todo": _ref("Todo"),
            "actions": actions,
            **(properties or {}),
        },
        description=description,
    )


def _lifecycle_schemas() -> dict[str, Any]:
    timeline_entry = _object(
        ["seq", "action", "label", "status", "status_label", "at", "unit_label", "data"],
        {
            "seq": INTEGER,
            "action": STRING,
            "label": STRING,
            "status": INTEGER,
            "status_label": STRING,
            "at": STRING,
            "unit_label": STRING,
            "due_at": NULLABLE,
            "data": {"type": "object"},
            "actor": {"type": "object"},
        },
    )
    return {
        "TimelineEntry": timeline_entry,
        "Todo": {
            "oneOf": [
                {"type": "null"},
                _object(["kind"], {"kind": {"enum": ["supplement", "payment", "collect"]}}),
            ]
        },
        "ActionRequest": _object(
            ["version"],
            {
                "version": {"type": "integer", "minimum": 0},
                "data": {"type": "object", "description": "Trường của thao tác (lifecycle.md)"},
            },
            additionalProperties=False,
        ),
        "FileRequest": _object(
            ["content_type", "size"],
            {"content_type": STRING, "size": INTEGER, "filename": STRING},
        ),
        "Conflict": {
            "allOf": [
                ERROR,
                {
                    "type": "object",
                    "properties": {
                        "dossier": {
                            "type": "object",
                            "description": "Trạng thái mới nhất (với version_conflict)",
                        }
                    },
                },
            ]
        },
        "Me": _object(
            ["id", "name", "roles", "offices", "csrf"],
            {
                "id": STRING,
                "name": STRING,
                "roles": {"type": "array", "items": STRING},
                "role_labels": {"type": "array", "items": STRING},
                "offices": {"type": "array", "items": OFFICE},
                "csrf": STRING,
            },
        ),
        "Queue": _object(
            ["office", "items", "next", "counts"],
            {
                "office": OFFICE,
                "items": {"type": "array", "items": _ref("QueueItem")},
                "next": NULLABLE,
                "counts": {"type": "object", "additionalProperties": INTEGER},
            },
        ),
        "QueueItem": _object(
            ["code", "procedure", "status", "status_label", "due_at", "due_flag", "version"],
            {
                "code": STRING,
                "procedure": STRING,
                "procedure_name": STRING,
                "applicant": STRING,
                "channel": STRING,
                "status": INTEGER,
                "status_label": STRING,
                "unit": STRING,
                "unit_label": STRING,
                "received_at": STRING,
                "due_at": NULLABLE,
                "due_flag": {"enum": ["soon", "overdue", None]},
                "version": INTEGER,
            },
        ),
        "OfficerDossier": _dossier(
            "Hồ sơ cho cán bộ: trạng thái, câu trả lời, tệp, thao tác được phép",
            {
                "type": "array",
                "items": _object(
                    ["name", "label", "fields", "form"],
                    {
                        "name": STRING,
                        "label": STRING,
                        "form": NULLABLE,
                        "fields": {"type": "array", "items": {"type": "object"}},
                    },
                ),
            },
            ["answers", "files", "rules", "printable"],
            {
                "due_flag": {"enum": ["soon", "overdue", None]},
                "applicant": STRING,
                "answers": {"type": "array", "items": {"type": "object"}},
                "files": {
                    "type": "array",
                    "items": _object(
                        ["n", "slot", "label", "key", "size", "sha256", "download"],
                        {
                            "n": INTEGER,
                            "slot": STRING,
                            "label": STRING,
                            "key": STRING,
                            "size": INTEGER,
                            "sha256": STRING,
                            "download": STRING,
                        },
                    ),
                },
                "rules": {"type": "object"},
                "printable": {"type": "array", "items": {"type": "object"}},
                "handed_over": HANDED_OVER,
            },
        ),
    }


def _local_upload_paths() -> dict[str, Any]:
    """`/api/uploads/local`: the embedded server's stand-in for S3's presigned POST and GET
    (chalicelib/local/upload.py; on AWS and with an S3-compatible store, UploadTarget.url is the
    store's own address instead)."""
    signed = ["key", "content_type", "max_bytes", "expires", "signature"]
    form = _object(
        [*signed, "file"],
        {
            **dict.fromkeys(signed, TEXT),
            "file": {
                "type": "string",
                "minLength": 1,
                "contentMediaType": "application/octet-stream",
            },
        },
        description="Các trường `fields` của UploadTarget, đúng như đã nhận, rồi `file` ở cuối "
        "(thiếu trường, tệp rỗng, hay `file` không ở cuối: 400).",
    )
    received = {"204": {"description": "Đã nhận tệp (chờ POST /api/uploads/verify)"}}
    refused = _errors(400, 403, 413, 503)
    refused["403"]["description"] = "Chữ ký sai hoặc biểu mẫu tải tệp đã hết hạn"
    download = [
        {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
        for name in ("key", "filename", "expires", "signature")
    ]
    forbidden = _errors(403, 404, 503)
    forbidden["403"]["description"] = "Liên kết sai chữ ký hoặc đã hết hạn"
    return {
        "/api/uploads/local": {
            "post": {
                "summary": "Tải tệp lên máy chủ này (máy chủ nhúng, thay cho S3)",
                "description": "Địa chỉ `url` của UploadTarget khi lưu trữ là tệp trên máy chủ. "
                "Tệp vào khu cách ly; chỉ được dùng sau khi /api/uploads/verify chấp nhận.",
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": form}},
                },
                "responses": {**received, **refused},
            },
            "get": {
                "summary": "Tải về một tệp đã chấp nhận, qua liên kết có chữ ký (cán bộ)",
                "description": "Liên kết do /api/office/dossiers/{code}/files/{n} cấp; tệp "
                "được gửi dưới dạng tệp đính kèm (Content-Disposition: attachment).",
                "parameters": download,
                "responses": {
                    "200": {
                        "description": "Nội dung tệp, với kiểu đã khai khi tải lên",
                        "content": {"*/*": {"schema": {"type": "string"}}},
                    },
                    **forbidden,
                },
            },
        }
    }


def _complete(paths: dict[str, Any]) -> None:
    """What every operation states the same way: an operationId (from its method and path),
    its security (none for public ones; the lookup secret where the applicant's X-Lookup-Secret
    is a parameter) and 415, which Chalice answers on any of its routes to a Content-Type the
    route does not take (the local upload endpoint is not Chalice's)."""
    for path, item in paths.items():
        for method, operation in item.items():
            words = re.split(r"[^A-Za-z0-9]+", path.removeprefix("/api/"))
            operation.setdefault(
                "operationId", method + "".join(w[:1].upper() + w[1:] for w in words if w)
            )
            if LOOKUP_SECRET in operation.get("parameters", []):
                operation.setdefault("security", [{"lookupSecret": []}])
            operation.setdefault("security", [])
            if path != "/api/uploads/local":
                responses = operation["responses"]
                server_error = responses.pop("500", _errors()["500"])  # kept last
                responses.setdefault("415", _errors(415)["415"])
                responses["500"] = server_error


# --- the hand-over to a province's system (handover.py, handover_events.py) -------------------

SIGNATURE = "`v1,` + base64(HMAC-SHA256(khóa bí mật, chuỗi được ký)); docs/ban-giao.md"


def _handed_file(slot: dict[str, Any]) -> dict[str, Any]:
    """A file as a webhook to a province's system carries it: a short-lived signed link."""
    return _object(
        ["slot", "name", "size", "sha256", "url", "expires_at"],
        {
            "slot": slot,
            "name": STRING,
            "size": INTEGER,
            "sha256": STRING,
            "url": {
                "type": "string",
                "format": "uri",
                "description": f"Đường dẫn có chữ ký, chỉ dùng được {handover.LINK_TTL // 60}"
                " phút: tải ngay khi nhận",
            },
            "expires_at": {"description": "Giây Unix", **INTEGER},
        },
    )


def _header(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _handover_paths() -> dict[str, Any]:
    event = _object(
        ["id", "code", "status", "at"],
        {
            "id": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_.:-]{8,100}$",
                "description": "Mã sự kiện, duy nhất: gửi lại cùng mã thì chỉ ghi một lần"
                " (trả duplicate: true)",
            },
            "code": {"type": "string", "description": "Mã hồ sơ đã nhận qua webhook"},
            "status": {
                "type": "integer",
                "minimum": 2,
                "maximum": 10,
                "description": "Trạng thái theo bộ mã DVCQG (docs/ban-giao.md: trạng thái nào"
                " theo được trạng thái nào)",
            },
            "at": {
                "type": "string",
                "format": "date-time",
                "description": "Thời điểm xảy ra trên hệ thống của tỉnh (ISO 8601, có múi giờ);"
                " sự kiện cũ hơn sự kiện đã ghi gần nhất bị từ chối (409 stale_event)",
            },
            "note": {"type": "string", "maxLength": 2000},
            "items": {
                "type": "array",
                "items": {"type": "string", "maxLength": 500},
                "maxItems": 50,
                "description": "Trạng thái 5: danh sách giấy tờ cần bổ sung",
            },
            "amount": {
                "type": "integer",
                "minimum": 1,
                "description": "Trạng thái 6: số tiền (đồng)",
            },
        },
        additionalProperties=False,
    )
    answer = _object(
        ["id", "code", "duplicate", "seq", "status", "status_label"],
        {
            "id": STRING,
            "code": STRING,
            "duplicate": {
                "type": "boolean",
                "description": "true: sự kiện này đã được ghi trước đó, không ghi lại",
            },
            "seq": INTEGER,
            "status": INTEGER,
            "status_label": STRING,
        },
    )
    return {
        "/api/handover/events": {
            "post": {
                "summary": "Hệ thống giải quyết TTHC của tỉnh báo trạng thái của hồ sơ đã nhận"
                " bàn giao",
                "description": "Xác thực: X-Api-Key của hệ thống, và chữ ký X-MotCua-Signature"
                " trên `<X-MotCua-Timestamp>.<nội dung>`; thời điểm ký lệch quá 5 phút bị từ"
                " chối (chống gửi lại). Chỉ hồ sơ đã bàn giao cho chính hệ thống đó (403"
                " out_of_scope). 401: api_key_invalid, signature_invalid,"
                " timestamp_out_of_window; 409: action_not_allowed (trạng thái không theo được"
                " trạng thái hiện tại), stale_event; 422: nội dung sai.",
                "security": [{"handoverApiKey": []}],
                "parameters": [
                    _header(
                        "X-MotCua-Timestamp",
                        {"type": "string", "pattern": "^[0-9]{1,12}$"},
                        "Thời điểm ký, giây Unix",
                    ),
                    _header(
                        "X-MotCua-Signature",
                        {"type": "string", "minLength": 1},
                        f"{SIGNATURE}; chuỗi được ký: `<X-MotCua-Timestamp>.<nội dung>`",
                    ),
                ],
                "requestBody": _body(event),
                "responses": {**_ok(answer), **_errors(401, 403, 404, 409, 413, 422, 503)},
            }
        }
    }


def _handover_webhooks() -> dict[str, Any]:
    """What we post to a province's system when a dossier handed to it is filed."""
    dossier = _object(
        ["code", "procedure", "office", "received_at", "answers", "files"],
        {
            "code": STRING,
            "procedure": _object(
                ["code", "version", "name"],
                {
                    "code": STRING,
                    "version": {"description": "Ngày hiệu lực của phiên bản thủ tục", **STRING},
                    "name": STRING,
                },
            ),
            "office": _object(
                ["id", "identifier", "name"],
                {"id": STRING, "identifier": STRING, "name": STRING},
            ),
            "channel": STRING,
            "received_at": STRING,
            "due_at": NULLABLE,
            "applicant": STRING,
            "answers": {"type": "object", "description": "Câu trả lời theo biểu mẫu của thủ tục"},
            "files": {
                "type": "array",
                "items": _handed_file(STRING),
            },
        },
    )
    return {
        "dossierFiled": {
            "post": {
                "operationId": "webhookDossierFiled",
                "summary": "Hồ sơ bàn giao cho hệ thống của tỉnh (webhook có chữ ký)",
                "description": "Gửi tới url của hệ thống khi hồ sơ được nộp; lỗi (không phải"
                " 2xx, hoặc quá 15 giây) thì gửi lại với cùng webhook-id (thời gian chờ tăng"
                " dần). Bỏ qua webhook-id đã nhận. Chữ ký theo Standard Webhooks.",
                "security": [],
                "parameters": [
                    _header("webhook-id", STRING, "Mã lần gửi, cũng là khóa chống trùng"),
                    _header("webhook-timestamp", STRING, "Thời điểm ký, giây Unix"),
                    _header(
                        "webhook-signature",
                        STRING,
                        f"{SIGNATURE}; chuỗi được ký: `<webhook-id>.<webhook-timestamp>.<nội"
                        " dung>`",
                    ),
                    _header("Idempotency-Key", STRING, "Bằng webhook-id"),
                ],
                "requestBody": _body(
                    _object(
                        ["type", "id", "dossier"],
                        {"type": {"const": "dossier.filed"}, "id": STRING, "dossier": dossier},
                    )
                ),
                "responses": WEBHOOK_ANSWERS,
            }
        },
        **_forwarded_webhooks(),
    }


WEBHOOK_ANSWERS = {
    "200": {"description": "Đã nhận (mọi mã 2xx)"},
    "500": {"description": "Chưa nhận: sẽ được gửi lại"},
}


def _forwarded_webhooks() -> dict[str, Any]:
    """The applicant's requests on a handed-over dossier, sent to the same system (handover.py,
    `forwarded`): our status does not change until that system pushes the one that follows."""
    signed = [
        _header("webhook-id", STRING, "Mã lần gửi `<mã hồ sơ>:<số sự kiện>:webhook`, chống trùng"),
        _header("webhook-timestamp", STRING, "Thời điểm ký, giây Unix"),
        _header(
            "webhook-signature",
            STRING,
            f"{SIGNATURE}; chuỗi được ký: `<webhook-id>.<webhook-timestamp>.<nội dung>`",
        ),
        _header("Idempotency-Key", STRING, "Bằng webhook-id"),
    ]
    common = {
        "id": STRING,
        "code": {"description": "Mã hồ sơ đã bàn giao", **STRING},
        "at": {"description": "Thời điểm người nộp gửi yêu cầu (ISO 8601)", **STRING},
    }
    file = _handed_file({"const": "bo-sung"})
    requests: dict[str, tuple[str, str, str, dict[str, Any]]] = {
        "dossierWithdrawalRequested": (
            "withdraw",
            "Người nộp yêu cầu rút hồ sơ đã bàn giao",
            "Hệ thống của tỉnh quyết định rồi báo trạng thái 7 (Công dân yêu cầu rút hồ sơ)"
            " qua POST /api/handover/events; trạng thái trên MotCua không đổi trước đó.",
            {"reason": {"description": "Lý do người nộp ghi (có thể rỗng)", **STRING}},
        ),
        "dossierSupplemented": (
            "supplement",
            "Người nộp bổ sung hồ sơ đã bàn giao (kèm tệp)",
            "Gửi khi hồ sơ ở trạng thái 5; hệ thống của tỉnh nhận bổ sung rồi báo trạng thái 4"
            " (hoặc 3) qua POST /api/handover/events.",
            {
                "note": {"description": "Ghi chú của người nộp (có thể rỗng)", **STRING},
                "files": {"type": "array", "items": file},
            },
        ),
    }
    return {
        name: {
            "post": {
                "operationId": f"webhook{name[0].upper()}{name[1:]}",
                "summary": summary,
                "description": f"{description} Gửi lại như webhook dossierFiled khi lỗi, cùng"
                " webhook-id.",
                "security": [],
                "parameters": signed,
                "requestBody": _body(
                    _object(
                        ["type", "id", "code", "at", *extra],
                        {
                            "type": {"const": handover.FORWARDED_TYPES[request]},
                            **common,
                            **extra,
                        },
                    )
                ),
                "responses": WEBHOOK_ANSWERS,
            }
        }
        for name, (request, summary, description, extra) in requests.items()
    }


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    described = _document()
    _complete(described["paths"])
    return described


def _document() -> dict[str, Any]:
    dossier = {"$ref": "#/components/schemas/Dossier"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MotCua API",
            "version": "1.0.0",
            "description": "Nộp hồ sơ trực tuyến, tải tệp, tra cứu hồ sơ; người nộp bổ sung "
            "hoặc rút hồ sơ; cán bộ tiếp nhận và giải quyết hồ sơ của cơ quan mình.\n\n"
            "Ở mọi địa chỉ, một phương thức không khai báo ở đây nhận 405 (method_not_allowed) "
            "kèm tiêu đề Allow liệt kê các phương thức được nhận. 429 và 503 kèm Retry-After "
            "(số giây nên đợi).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [
            {
                "url": config.public_url(),
                "description": "Địa chỉ công khai của trang và API (MOTCUA_PUBLIC_URL)",
            }
        ],
        "paths": {
            "/api/openapi.json": {
                "get": {"summary": "Tài liệu OpenAPI này", "responses": {**_ok({"type": "object"})}}
            },
            "/api/procedures/{code}/form": {
                "get": {
                    "summary": "Biểu mẫu trực tuyến và lược đồ JSON của thủ tục",
                    "parameters": [CODE],
                    "responses": {**_ok({"$ref": "#/components/schemas/Form"}), **_errors(404)},
                }
            },
            "/api/uploads": {
                "post": {
                    "summary": "Xin địa chỉ tải lên có chữ ký cho một tệp",
                    "description": (
                        "Tệp gắn với bản nháp `draft` (khóa Idempotency-Key mà hồ sơ sẽ được nộp"
                        " kèm): chỉ hồ sơ nộp với khóa đó dùng được tệp. 429 rate_limited kèm"
                        " Retry-After khi một người dùng hoặc cả hệ thống xin quá nhiều."
                    ),
                    "requestBody": _body({"$ref": "#/components/schemas/UploadRequest"}),
                    "responses": {
                        **_ok({"$ref": "#/components/schemas/UploadTarget"}),
                        **_errors(400, 404, 413, 422, 429, 503),
                    },
                }
            },
            "/api/uploads/delete": {
                "post": {
                    "summary": "Xóa một tệp của bản nháp (nút “Xóa”, “bắt đầu lại”)",
                    "description": (
                        "Xóa tệp trên máy chủ, dù đã kiểm tra hay chưa; 409 nếu bản nháp đã"
                        " nộp thành hồ sơ (tệp thuộc hồ sơ). Xóa tệp không còn là không lỗi."
                    ),
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["key", "draft"],
                            "properties": {
                                "key": {"type": "string"},
                                "draft": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,100}$"},
                            },
                        }
                    ),
                    "responses": {
                        **_ok(
                            {
                                "type": "object",
                                "required": ["key", "deleted"],
                                "properties": {
                                    "key": {"type": "string"},
                                    "deleted": {"type": "boolean"},
                                },
                            }
                        ),
                        **_errors(400, 404, 409, 413, 422, 503),
                    },
                }
            },
            "/api/uploads/verify": {
                "post": {
                    "summary": "Kiểm tra tệp đã tải lên (cỡ, loại, mã độc, cấu trúc)",
                    "description": (
                        "422: tệp bị từ chối và đã xóa (có mã độc, hỏng, chứa JavaScript...)."
                        " 503 scanner_unavailable: chưa quét được, tệp vẫn chờ; gọi lại sau."
                        " 202 scan_pending (AWS, nơi quét là một bước riêng): chưa quét xong,"
                        " tệp vẫn chờ; gọi lại sau số giây ở Retry-After."
                        " 409 upload_changed: tệp bị tải lên lại trong khi kiểm tra; tải lên lại."
                    ),
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["key"],
                            "properties": {"key": TEXT},
                        }
                    ),
                    "responses": {
                        **_ok(
                            {
                                "type": "object",
                                "required": ["key", "accepted"],
                                "properties": {
                                    "key": {"type": "string"},
                                    "accepted": {"type": "boolean"},
                                    "size": {"type": "integer"},
                                },
                            }
                        ),
                        **_ok(
                            {
                                "type": "object",
                                "required": ["code", "message", "accepted", "retry_after"],
                                "properties": {
                                    "code": {"const": "scan_pending"},
                                    "message": {"type": "string"},
                                    "fields": {"type": "object"},
                                    "accepted": {"const": False},
                                    "retry_after": {"type": "integer"},
                                },
                            },
                            status="202",
                            description="Đang quét mã độc: tệp vẫn chờ, gọi lại sau Retry-After",
                        ),
                        **_errors(400, 404, 409, 413, 422, 503),
                    },
                }
            },
            "/api/submissions": {
                "post": {
                    "summary": "Nộp hồ sơ (bắt buộc Idempotency-Key)",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,100}$"},
                        }
                    ],
                    "requestBody": _body({"$ref": "#/components/schemas/Submission"}),
                    "responses": {
                        **_ok(
                            {
                                "allOf": [
                                    dossier,
                                    {
                                        "type": "object",
                                        "required": ["secret", "receipt"],
                                        "properties": {
                                            "secret": {"type": "string"},
                                            "receipt": {"$ref": "#/components/schemas/Receipt"},
                                        },
                                    },
                                ]
                            },
                            "201",
                            "Đã nhận hồ sơ",
                        ),
                        **_errors(400, 404, 409, 413, 422, 429, 503),
                    },
                }
            },
            "/api/dossiers/resend": {
                "post": {
                    "summary": "Gửi lại mã tra cứu (một mã mới) tới địa chỉ nhận thông báo đã cho"
                    " khi nộp hồ sơ",
                    "description": "Cấp một mã tra cứu mới và gửi tới thư điện tử hoặc số điện"
                    " thoại người nộp đã cho khi nộp (docs/notifications.md); mã trên giấy biên"
                    " nhận vẫn dùng được. Câu trả lời như nhau dù mã hồ sơ có hay không, có địa"
                    " chỉ nhận hay không. Giới hạn số lần theo máy, toàn hệ thống và theo mã hồ"
                    " sơ (429).",
                    "requestBody": _body(
                        _object(["code"], {"code": TEXT}, additionalProperties=False)
                    ),
                    "responses": {
                        **_ok(
                            _object(
                                ["ok", "message"], {"ok": {"type": "boolean"}, "message": STRING}
                            )
                        ),
                        **_errors(400, 413, 422, 429, 503),
                    },
                }
            },
            "/api/dossiers/{code}": {
                "get": {
                    "summary": "Tra cứu hồ sơ bằng mã hồ sơ và mã tra cứu",
                    "parameters": [CODE, LOOKUP_SECRET],
                    "responses": {**_ok(dossier), **_errors(401, 404, 422, 429, 503)},
                }
            },
            "/api/dossiers/{code}/receipt-qr": {
                "get": {
                    "summary": "Mã QR của biên nhận: địa chỉ trang tra cứu kèm mã tra cứu",
                    "description": "Trang xác nhận và trang tra cứu lấy mã QR khi hiện biên "
                    "nhận. Cùng điều kiện như tra cứu: mã hồ sơ và mã tra cứu đúng; sai mã nào "
                    "cũng trả 404 giống nhau, thử sai nhiều lần (theo máy, theo mã hồ sơ, toàn "
                    "hệ thống) bị chặn (429). Trình duyệt được "
                    "giữ lại (Cache-Control: private), theo mã tra cứu đã gửi (Vary).",
                    "parameters": [CODE, LOOKUP_SECRET],
                    "responses": {
                        "200": {
                            "description": "SVG tự chứa, có viewBox, có <title>",
                            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                        },
                        **_errors(401, 404, 422, 429, 503),
                    },
                }
            },
            **_applicant_paths(),
            **_rating_paths(),
            **_officer_paths(),
            **_local_upload_paths(),
            **_handover_paths(),
        },
        "webhooks": _handover_webhooks(),
        "components": {
            "securitySchemes": {
                "officerSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": officers.SESSION_COOKIE,
                    "description": "Phiên của cán bộ, đặt khi đăng nhập (HttpOnly, "
                    "SameSite=Strict, Secure khi địa chỉ công khai là https)",
                },
                "csrfToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "Mã CSRF của phiên (trả về khi đăng nhập và ở /api/office/me),"
                    " bắt buộc với mọi yêu cầu thay đổi dữ liệu của cán bộ",
                },
                "handoverApiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Api-Key",
                    "description": "Khóa API của hệ thống giải quyết TTHC của tỉnh nhận hồ sơ "
                    "bàn giao (docs/ban-giao.md); mỗi yêu cầu còn phải ký (X-MotCua-Signature).",
                },
                "lookupSecret": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Lookup-Secret",
                    "description": "Mã tra cứu của hồ sơ, cấp khi nộp: quyền của người nộp với "
                    "hồ sơ đó (tra cứu, bổ sung, rút). Các thao tác dùng nó khai báo tham số "
                    "tiêu đề X-Lookup-Secret.",
                },
            },
            "schemas": {
                **_lifecycle_schemas(),
                "Error": {
                    "type": "object",
                    "required": ["code", "message", "fields"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                "Form": {
                    "type": "object",
                    "required": ["procedure", "version", "form", "schema", "offices"],
                    "properties": {
                        "procedure": {"type": "string"},
                        "version": {"type": "string"},
                        "form": {"type": "object"},
                        "schema": {"type": "object"},
                        "offices": {
                            "description": "Các văn phòng nhận hồ sơ của thủ tục này "
                            "(docs/lifecycle.md, mục Offices); gửi id đã chọn ở trường office.",
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Office"},
                        },
                        "cross_boundary": {
                            "description": "Phi địa giới: nộp ở xã nào trong tỉnh cũng được.",
                            "type": "boolean",
                        },
                        "office_from": {
                            "description": "Câu hỏi địa chỉ mà xã của nó là gợi ý nơi nộp.",
                            "type": ["string", "null"],
                        },
                    },
                },
                "Office": {
                    "type": "object",
                    "required": ["id", "name", "identifier", "unit", "level"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "identifier": {"type": "string"},
                        "unit": {"type": "string"},
                        "level": {"type": "string", "enum": ["xa", "tinh"]},
                    },
                },
                "UploadRequest": {
                    "type": "object",
                    "required": ["procedure", "slot", "draft", "content_type", "size"],
                    "properties": {
                        "procedure": TEXT,
                        "slot": TEXT,
                        "draft": {
                            "description": "khóa Idempotency-Key mà hồ sơ của bản nháp sẽ nộp kèm",
                            "type": "string",
                            "pattern": "^[A-Za-z0-9_-]{8,100}$",
                        },
                        "filename": {"type": "string"},
                        "content_type": TEXT,
                        "size": {"type": "integer", "minimum": 1},
                    },
                },
                "UploadTarget": {
                    "type": "object",
                    "required": ["url", "fields", "key", "expires_at", "max_bytes"],
                    "properties": {
                        "url": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                        "key": {"type": "string"},
                        "expires_at": {"type": "string"},
                        "max_bytes": {"type": "integer"},
                    },
                },
                "Delivery": _object(
                    [
                        "id",
                        "code",
                        "kind",
                        "kind_label",
                        "channel",
                        "channel_label",
                        "to",
                        "state",
                        "state_label",
                        "attempts",
                        "last_error",
                        "created_at",
                        "next_at",
                    ],
                    {
                        "id": {
                            "description": "<mã hồ sơ>:<số sự kiện>:<kênh>, khóa chống gửi trùng",
                            **STRING,
                        },
                        "code": STRING,
                        "kind": {"enum": [*outbox.KINDS, handover.KIND]},
                        "kind_label": STRING,
                        "channel": {"enum": [*outbox.CHANNELS, handover.CHANNEL]},
                        "channel_label": STRING,
                        "to": {"description": "Người nhận, đã che bớt", **STRING},
                        "state": {"enum": list(outbox.STATES)},
                        "state_label": STRING,
                        "attempts": INTEGER,
                        "last_error": STRING,
                        "created_at": STRING,
                        "next_at": NULLABLE,
                    },
                ),
                "Deliveries": _object(
                    ["office", "items", "pending_after_minutes"],
                    {
                        "office": OFFICE,
                        "items": {"type": "array", "items": _ref("Delivery")},
                        "pending_after_minutes": INTEGER,
                    },
                ),
                "Submission": {
                    "type": "object",
                    "required": ["procedure", "answers", "office"],
                    "properties": {
                        "procedure": TEXT,
                        "answers": {"type": "object"},
                        "uploads": {"type": "object"},
                        "office": {
                            "description": "id của văn phòng nhận hồ sơ, một trong offices của "
                            "biểu mẫu; mã hồ sơ bắt đầu bằng mã định danh của văn phòng đó.",
                            **TEXT,
                        },
                        "notify": {
                            "type": "object",
                            "description": "Tùy chọn: nhận thông báo về hồ sơ (khi tiếp nhận, yêu"
                            " cầu bổ sung, đề nghị nộp phí, có kết quả, gia hạn) qua thư điện tử"
                            " và/hoặc tin nhắn; docs/notifications.md. Sai định dạng: 422 tại"
                            " /notify/email, /notify/phone.",
                            "additionalProperties": False,
                            "properties": {
                                "email": {"type": "string", "maxLength": 254},
                                "phone": {
                                    "type": "string",
                                    "description": "Số di động Việt Nam: 0xxxxxxxxx hoặc +84...",
                                },
                            },
                        },
                    },
                },
                "Receipt": {
                    "type": "object",
                    "description": "Biên nhận: địa chỉ trang tra cứu (mã tra cứu nằm sau dấu #, "
                    "không gửi tới máy chủ). Mã QR của địa chỉ đó: "
                    "GET /api/dossiers/{code}/receipt-qr.",
                    "required": ["status_url"],
                    "properties": {"status_url": {"type": "string", "format": "uri"}},
                },
                "Dossier": _dossier(
                    "Trạng thái hồ sơ cho người nộp (docs/lifecycle.md, API)",
                    {"type": "array", "items": STRING},
                    properties={
                        "rating": _ref("RatingState"),
                        "handed_over": HANDED_OVER,
                        "message": {
                            "type": "string",
                            "description": "Sau khi rút hoặc bổ sung hồ sơ đã bàn giao: yêu"
                            " cầu đã được gửi tới hệ thống của tỉnh",
                        },
                    },
                ),
                **_rating_schemas(),
            },
        },
    }
