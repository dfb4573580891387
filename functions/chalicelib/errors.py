"""Errors the API returns: a code, an HTTP status, a Vietnamese message and per-field messages.

One base, ApiError; every subclass ends in Error. Domain and adapter code raise them and never
build a response; app.py alone turns them into JSON `{"code", "message", "fields"}` with their
status (locally, the upload endpoint serve.py mounts beside the app does the same for its own).
Provider errors (botocore, sqlite3) never reach a route: adapters wrap them in StorageError. Any
other exception is a bug: app.py logs it with its traceback and answers 500.
"""

from typing import Any


class ApiError(Exception):
    status = 400
    code = "bad_request"
    message = "Yêu cầu không hợp lệ."

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailedError(ApiError):
    status, code, message = 422, "validation_failed", "Thông tin chưa hợp lệ, xem từng trường."


class NotFoundError(ApiError):
    status, code, message = 404, "not_found", "Không tìm thấy."


class IdempotencyConflictError(ApiError):
    status, code = 409, "idempotency_conflict"
    message = "Khóa Idempotency-Key này đã dùng cho một hồ sơ khác nội dung."


class VersionConflictError(ApiError):
    """Someone acted on the dossier since this view was loaded: reload and decide again."""

    status, code = 409, "version_conflict"
    message = "Hồ sơ vừa được người khác xử lý. Trang đã tải lại trạng thái mới, vui lòng xem lại."


class ActionNotAllowedError(ApiError):
    """The action does not exist in the dossier's state, or not for this role."""

    status, code = 409, "action_not_allowed"
    message = "Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ."


class AlreadyRatedError(ApiError):
    """A dossier is rated once (chalicelib/ratings.py); the store refuses a second rating."""

    status, code = 409, "already_rated"
    message = "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ đánh giá một lần."


class RateLimitedError(ApiError):
    """429; `retry_after` (seconds), when known, is sent as the Retry-After header."""

    status, code, message = 429, "rate_limited", "Bạn thử quá nhiều lần. Vui lòng đợi rồi thử lại."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message, fields=fields)
        self.retry_after = retry_after


class UploadChangedError(ApiError):
    """The quarantined file changed after it was verified (uploaded again to the same target):
    what was verified is gone, and what replaced it is not accepted unverified."""

    status, code = 409, "upload_changed"
    message = "Tệp đã bị thay đổi trong khi đang được kiểm tra. Vui lòng tải lên lại."


class PayloadTooLargeError(ApiError):
    status, code, message = 413, "payload_too_large", "Dữ liệu gửi lên quá lớn."


class NotConfiguredError(ApiError):
    """A part this deployment has not set up (officers' sign-in on AWS needs an OIDC provider)."""

    status, code = 501, "not_configured"
    message = "Chức năng này chưa được cấu hình trên hệ thống đang chạy."


class StorageError(ApiError):
    """A storage backend failed or did not answer in time (a held lock); the request can be
    retried with the same Idempotency-Key."""

    status, code = 503, "storage_unavailable"
    message = "Hệ thống lưu trữ tạm thời không phản hồi. Vui lòng thử lại."
    retry_after = 5  # seconds, sent as the Retry-After header


class LoginFailedError(ApiError):
    """The same answer for an unknown username and a wrong password."""

    status, code = 401, "login_failed"
    message = "Tên đăng nhập hoặc mật khẩu không đúng."


class AccountLockedError(ApiError):
    status, code = 429, "account_locked"
    message = "Đăng nhập sai quá nhiều lần. Tài khoản tạm khóa, vui lòng thử lại sau ít phút."


class NotAuthenticatedError(ApiError):
    status, code = 401, "not_authenticated"
    message = "Phiên làm việc đã hết hạn hoặc chưa đăng nhập. Vui lòng đăng nhập lại."


class SecretRequiredError(ApiError):
    """A dossier route asked without its lookup secret: not a guess, so not counted as one."""

    status, code = 401, "secret_required"
    message = "Nhập mã tra cứu của hồ sơ (in trên biên nhận)."


class CsrfFailedError(ApiError):
    status, code = 403, "csrf_failed"
    message = "Yêu cầu thiếu mã xác thực phiên (CSRF). Vui lòng tải lại trang rồi thử lại."


class ForbiddenError(ApiError):
    """Authenticated, but the account's roles do not allow this."""

    status, code = 403, "forbidden"
    message = "Tài khoản không có quyền thực hiện thao tác này."
