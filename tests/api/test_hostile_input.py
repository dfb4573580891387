"""Requests that answered 500 (issue 15's last finding) now get a 4xx JSON error from the real
server: JSON the parser chokes on, numbers and strings Python takes but JSON or UTF-8 do not,
and a NUL in a page's path."""

import json

import pytest

from chalicelib import jsonbody

from .client import key

pytestmark = pytest.mark.slow  # a server on loopback

HOSTILE_BODIES = {
    "nested 1,000 deep": b"[" * 1000 + b"]" * 1000,
    "nested past the limit": b"[" * (jsonbody.MAX_DEPTH + 1) + b"]" * (jsonbody.MAX_DEPTH + 1),
    "an integer of 5,000 digits": b'{"procedure": ' + b"9" * 5000 + b"}",
    "NaN": b'{"procedure": NaN}',
    "Infinity": b'{"procedure": -Infinity}',
    "a float too large": b'{"procedure": 1e999}',
    "a lone surrogate in a value": b'{"procedure": "1.004194", "answers": {"a": "\\ud800"}}',
    "a lone surrogate in a key": b'{"procedure": "1.004194", "answers": {"\\udc00": "x"}}',
}


@pytest.mark.parametrize("route", ["/api/submissions", "/api/uploads", "/api/uploads/verify"])
@pytest.mark.parametrize("raw", HOSTILE_BODIES.values(), ids=list(HOSTILE_BODIES))
def test_json_python_accepts_but_json_does_not_is_a_400(server, route, raw):
    status, reply = server.request("POST", route, raw=raw, headers={"Idempotency-Key": key()})

    assert status == 400, reply
    assert reply["code"] == "bad_request"
    assert reply["message"].startswith(jsonbody.NOT_JSON)


def test_a_document_as_deep_as_the_limit_is_read(server):
    depth = jsonbody.MAX_DEPTH
    raw = json.dumps({"procedure": "1.004194", "answers": {}}).encode()
    assert jsonbody.parse(b"[" * depth + b"]" * depth, 100) == _nested(depth)

    status, reply = server.request("POST", "/api/uploads", raw=raw)

    assert status == 422, reply  # read, then refused on its fields (no slot), not as bad JSON


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_an_upload_key_with_a_trailing_newline_is_refused_on_its_field(server):
    status, reply = server.request("POST", "/api/uploads/verify", body={"key": "a/b.pdf\n"})

    assert status == 422, reply
    assert "/key" in reply["fields"]


@pytest.mark.parametrize("path", ["/%00", "/a%00b/", "/thu-tuc/%00/"])
def test_a_nul_in_a_page_path_is_not_found(server, path):
    status, reply = server.request("GET", path)

    assert status == 404
    assert b"Internal Server Error" not in reply
