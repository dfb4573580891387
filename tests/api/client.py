"""What API tests do as browsers would: upload files to signed targets, file a form, follow and
act on a dossier as its applicant (the lookup secret) or as an officer (a session over HTTP)."""

import uuid

from chalicelib import forms
from chalicelib.wiring import default_officer_auth, default_service

from .filling import FILES, answers_for

PROCEDURE = "1.004873"  # xác nhận tình trạng hôn nhân: two upload slots
WITH_FILES = {"cap-lai": True}  # PROCEDURE's answer that asks for the certificate issued before
WITH_DEADLINE = "1.001612"  # đăng ký hộ kinh doanh: 3 working days online, no fee published
PASSWORD = "mật khẩu đủ dài 2026"


def key() -> str:
    return uuid.uuid4().hex


def multipart(fields: dict, content: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="f"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(
    server,
    procedure: str,
    slot: dict,
    kind: str = "pdf",
    content: bytes | None = None,
    *,
    draft: str | None = None,
):
    """A file uploaded for `slot`, bound to `draft` (the Idempotency-Key its submission will
    carry; a new one if not given): its key."""
    content_type, data = FILES[kind]
    data = content if content is not None else data
    status, target = server.request(
        "POST",
        "/api/uploads",
        {
            "procedure": procedure,
            "slot": slot["id"],
            "draft": draft or key(),
            "filename": "giay-to.pdf",
            "content_type": content_type,
            "size": len(data),
        },
    )
    assert status == 200, target
    return send(server, target, data, content_type)


def send(server, target: dict, data: bytes, content_type: str) -> str:
    """Posts a file to an upload target as the browser does; its key."""
    body, header = multipart(target["fields"], data, content_type)
    path = target["url"].split("://", 1)[1].split("/", 1)[1]
    status, reply = server.request("POST", "/" + path, raw=body, headers={"Content-Type": header})
    assert status in (200, 201, 204), reply
    return target["key"]


def submission(
    server, procedure: str = PROCEDURE, choices: dict | None = None, *, draft: str | None = None
) -> dict:
    """A valid submission with the `choices` given and the files its shown slots require,
    uploaded for `draft`: the submission's Idempotency-Key (the files are refused under another)."""
    status, form = server.request("GET", f"/api/procedures/{procedure}/form")
    assert status == 200, form
    answers = answers_for(form["form"], choices)
    uploads = {}
    for page in form["form"]["pages"]:
        for slot in page.get("uploads", []):
            if slot["min_files"] == 0 or not forms.shown(slot, page, answers):
                continue
            kind = slot["accept"][0]
            keys = [
                upload(server, procedure, slot, kind, draft=draft) for _ in range(slot["min_files"])
            ]
            for upload_key in keys:
                status, reply = server.request("POST", "/api/uploads/verify", {"key": upload_key})
                assert status == 200, reply
            uploads[slot["id"]] = keys
    office = form["offices"][0]["id"]
    return {"procedure": procedure, "answers": answers, "uploads": uploads, "office": office}


class Officer:
    """An officer signed in over HTTP: the session cookie and the CSRF token."""

    def __init__(self, server, username: str):
        self.server = server
        status, reply, headers = server.exchange(
            "POST", "/api/office/login", {"username": username, "password": PASSWORD}
        )
        assert status == 200, reply
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie
        self.cookie = cookie.split(";", 1)[0]
        self.csrf = reply["csrf"]
        self.me = reply["officer"]

    def get(self, path: str):
        return self.server.request("GET", path, headers={"Cookie": self.cookie})

    def post(self, path: str, body=None, headers=None):
        sent = {"Cookie": self.cookie, "X-CSRF-Token": self.csrf, **(headers or {})}
        return self.server.request("POST", path, body if body is not None else {}, sent)

    def act(self, code: str, action: str, version: int, data=None, headers=None):
        path = f"/api/office/dossiers/{code}/actions/{action}"
        return self.post(path, {"version": version, "data": data or {}}, headers)


def officer(server, *, roles, offices) -> Officer:
    username = f"cb-{uuid.uuid4().hex[:10]}"
    default_officer_auth().create(
        username=username, name="Nguyễn Thị Cán Bộ", password=PASSWORD, roles=roles, offices=offices
    )
    return Officer(server, username)


class Applicant:
    def __init__(self, server, filed: dict):
        self.server, self.code, self.secret = server, filed["code"], filed["secret"]
        self.office = filed["office"]["id"]

    def view(self):
        status, view = self.server.request(
            "GET", f"/api/dossiers/{self.code}", headers={"X-Lookup-Secret": self.secret}
        )
        assert status == 200, view
        return view

    def post(self, path: str, body, headers=None):
        sent = {"X-Lookup-Secret": self.secret, **(headers or {})}
        return self.server.request("POST", f"/api/dossiers/{self.code}{path}", body, sent)

    def act(self, action: str, version: int, data=None):
        return self.post(f"/actions/{action}", {"version": version, "data": data or {}})

    def supplement_file(self, kind: str = "pdf") -> str:
        content_type, data = FILES[kind]
        status, target = self.post(
            "/supplement-uploads", {"content_type": content_type, "size": len(data)}
        )
        assert status == 200, target
        uploaded = send(self.server, target, data, content_type)
        status, reply = self.server.request("POST", "/api/uploads/verify", {"key": uploaded})
        assert status == 200, reply
        return uploaded


def file(server, procedure: str = WITH_DEADLINE, choices: dict | None = None) -> Applicant:
    draft = key()
    body = submission(server, procedure, choices, draft=draft)
    status, filed = server.request("POST", "/api/submissions", body, {"Idempotency-Key": draft})
    assert status == 201, filed
    return Applicant(server, filed)


def other_office(office: str) -> str:
    """The same kind of office in another commune (another commune's centre or police)."""
    bundle = default_service().bundle
    mine = bundle.office(office)
    return next(
        other["id"]
        for other in bundle.offices
        if other["kind"] == mine["kind"] and other["unit"] != mine["unit"]
    )
