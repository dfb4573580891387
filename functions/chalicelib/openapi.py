"""The OpenAPI 3.1 document of the API, served at /api/openapi.json. A test checks that every
Chalice route is here and that responses match it (schemathesis runs against the live server)."""

from functools import lru_cache
from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*statuses: int) -> dict[str, Any]:
    names = {
        400: "Yêu cầu sai",
        404: "Không tìm thấy",
        409: "Xung đột Idempotency-Key",
        413: "Quá lớn",
        422: "Dữ liệu chưa hợp lệ",
        429: "Quá nhiều lần thử",
        503: "Lưu trữ tạm thời lỗi",
        500: "Lỗi hệ thống",
    }
    return {
        str(code): {"description": names[code], "content": {"application/json": {"schema": ERROR}}}
        for code in (*statuses, 500)
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
    "schema": {"type": "string"},
    "description": "Mã tra cứu của hồ sơ (không bao giờ đặt trong địa chỉ)",
}


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    dossier = {"$ref": "#/components/schemas/Dossier"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MotCua API",
            "version": "1.0.0",
            "description": "Nộp hồ sơ trực tuyến, tải tệp, tra cứu hồ sơ.",
        },
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
                    "requestBody": _body({"$ref": "#/components/schemas/UploadRequest"}),
                    "responses": {
                        **_ok({"$ref": "#/components/schemas/UploadTarget"}),
                        **_errors(400, 404, 413, 422, 503),
                    },
                }
            },
            "/api/uploads/verify": {
                "post": {
                    "summary": "Kiểm tra tệp đã tải lên (kích thước, loại tệp theo nội dung)",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["key"],
                            "properties": {"key": {"type": "string"}},
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
                        **_errors(400, 404, 413, 422, 503),
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
                        **_errors(400, 404, 409, 413, 422, 503),
                    },
                }
            },
            "/api/dossiers/{code}": {
                "get": {
                    "summary": "Tra cứu hồ sơ bằng mã hồ sơ và mã tra cứu",
                    "parameters": [CODE, LOOKUP_SECRET],
                    "responses": {**_ok(dossier), **_errors(404, 429, 503)},
                }
            },
            "/api/dossiers/{code}/receipt-qr": {
                "get": {
                    "summary": "Mã QR của biên nhận: địa chỉ trang tra cứu kèm mã tra cứu",
                    "description": "Trang xác nhận và trang tra cứu lấy mã QR khi hiện biên "
                    "nhận. Cùng điều kiện như tra cứu: mã hồ sơ và mã tra cứu đúng; sai mã nào "
                    "cũng trả 404 giống nhau, thử sai nhiều lần bị chặn (429). Trình duyệt được "
                    "giữ lại (Cache-Control: private), theo mã tra cứu đã gửi (Vary).",
                    "parameters": [CODE, LOOKUP_SECRET],
                    "responses": {
                        "200": {
                            "description": "SVG tự chứa, có viewBox, có <title>",
                            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                        },
                        **_errors(404, 429, 503),
                    },
                }
            },
        },
        "components": {
            "schemas": {
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
                    "required": ["procedure", "slot", "content_type", "size"],
                    "properties": {
                        "procedure": {"type": "string"},
                        "slot": {"type": "string"},
                        "filename": {"type": "string"},
                        "content_type": {"type": "string"},
                        "size": {"type": "integer"},
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
                "Submission": {
                    "type": "object",
                    "required": ["procedure", "answers", "office"],
                    "properties": {
                        "procedure": {"type": "string"},
                        "answers": {"type": "object"},
                        "uploads": {"type": "object"},
                        "office": {
                            "description": "id của văn phòng nhận hồ sơ, một trong offices của "
                            "biểu mẫu; mã hồ sơ bắt đầu bằng mã định danh của văn phòng đó.",
                            "type": "string",
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
                "Dossier": {
                    "type": "object",
                    "required": [
                        "code",
                        "procedure",
                        "status",
                        "status_label",
                        "received_at",
                        "timeline",
                    ],
                    "properties": {
                        "code": {"type": "string"},
                        "procedure": {"type": "string"},
                        "procedure_name": {"type": "string"},
                        "version": {"type": "string"},
                        "status": {"type": "integer", "minimum": 1, "maximum": 10},
                        "status_label": {"type": "string"},
                        "received_at": {"type": "string"},
                        "due_at": {"type": ["string", "null"]},
                        "office": {
                            "type": ["object", "null"],
                            "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                        },
                        "timeline": {"type": "array", "items": {"type": "object"}},
                    },
                },
            }
        },
    }
