"""The hand-over's rules without I/O (chalicelib/handover.py, handover_events.py): both
directions' signatures as the example client (examples/handover_client.py) computes them, the
registration targets, and the consumer guide (docs/ban-giao.md) against the code it describes."""

import json
import re

import pytest

from chalicelib import handover, workflow
from chalicelib.config import ConfigurationError
from chalicelib.handover_events import (
    ApiKeyInvalidError,
    SignatureInvalidError,
    TimestampRefusedError,
    authenticate,
)
from examples import handover_client

from .conftest import ROOT

NOW = 1_796_614_200.0
GUIDE = (ROOT / "docs" / "ban-giao.md").read_text(encoding="utf-8")


def client(
    secret: str = "whsec_c2VjcmV0LW9mLXR3ZW50eS1mb3VyLWJ5dGVz", **overrides
) -> handover.Client:
    values = {
        "id": "he-thong-tinh",
        "name": "Hệ thống của tỉnh",
        "url": "https://igate.tinh.gov.vn/webhook",
        "offices": frozenset({"trung-tam-pvhcc-phuong-le-chan"}),
        "procedures": frozenset(),
        "secret": handover.signing_key(secret),
        "api_key": "khoa-api-0001",
    }
    return handover.Client(**(values | overrides))


@pytest.mark.parametrize("secret", ["whsec_c2VjcmV0LW9mLXR3ZW50eS1mb3VyLWJ5dGVz", "mật khẩu dài"])
def test_the_example_client_verifies_our_webhooks_and_nothing_changed(secret):
    body = json.dumps({"type": "dossier.filed", "id": "X-261207-0001:0:webhook"}).encode()
    headers = handover.webhook_headers(
        handover.signing_key(secret), "X-261207-0001:0:webhook", body, NOW
    )

    assert handover_client.verify_webhook(secret, headers, body, now=NOW + 60)
    assert not handover_client.verify_webhook(secret, headers, body + b" ", now=NOW)
    assert not handover_client.verify_webhook(
        "whsec_QUFBQUFBQUFBQUFBQUFBQQ==", headers, body, now=NOW
    )
    other_id = {**headers, "webhook-id": "X-261207-0002:0:webhook"}
    assert not handover_client.verify_webhook(secret, other_id, body, now=NOW)
    assert not handover_client.verify_webhook(secret, headers, body, now=NOW + 301)  # a replay
    rotating = {**headers, "webhook-signature": "v1,b2xk " + headers["webhook-signature"]}
    assert handover_client.verify_webhook(secret, rotating, body, now=NOW)
    assert headers["Idempotency-Key"] == headers["webhook-id"]


def test_we_authenticate_the_example_clients_events_by_key_signature_and_time():
    registrations = handover.Registrations([client()])
    secret = "whsec_c2VjcmV0LW9mLXR3ZW50eS1mb3VyLWJ5dGVz"
    body = b'{"id": "su-kien-0001"}'

    def sent(key: str = "khoa-api-0001", secret: str = secret, at: float = NOW) -> dict:
        headers = handover_client.event_headers(key, secret, body, now=at)
        return {name.lower(): value for name, value in headers.items()}

    assert authenticate(registrations, sent(), body, NOW + 299).id == "he-thong-tinh"
    with pytest.raises(ApiKeyInvalidError):
        authenticate(registrations, sent(key="khoa-api-0002"), body, NOW)
    with pytest.raises(ApiKeyInvalidError):
        authenticate(registrations, {}, body, NOW)
    with pytest.raises(SignatureInvalidError):
        authenticate(registrations, sent(secret="whsec_QUFBQUFBQUFBQUFBQUFBQQ=="), body, NOW)
    with pytest.raises(SignatureInvalidError):
        authenticate(registrations, sent(), body.replace(b"0001", b"0002"), NOW)
    with pytest.raises(TimestampRefusedError):
        authenticate(registrations, sent(at=NOW - 301), body, NOW)
    with pytest.raises(TimestampRefusedError):
        authenticate(registrations, {**sent(), "x-motcua-timestamp": "hôm qua"}, body, NOW)


def test_a_dossier_goes_to_the_client_of_its_office_and_procedure_else_to_our_back_office():
    by_office = client()
    by_procedure = client(
        id="he-thong-dat-dai",
        offices=frozenset({"trung-tam-pvhcc-phuong-le-chan", "so-xay-dung-hai-phong"}),
        procedures=frozenset({"1.001612"}),
        api_key="khoa-api-0002",
    )
    with pytest.raises(ConfigurationError, match="both take"):
        handover.Registrations([by_office, by_procedure])
    registrations = handover.Registrations([by_procedure])
    assert registrations.target("so-xay-dung-hai-phong", "1.001612") is by_procedure
    assert registrations.target("so-xay-dung-hai-phong", "1.000894") is None
    assert registrations.target("cong-an-phuong-le-chan", "1.001612") is None
    with pytest.raises(ConfigurationError, match="no office 'khong-co'"):
        handover.Registrations([client(offices=frozenset({"khong-co"}))]).check_offices(
            {"trung-tam-pvhcc-phuong-le-chan"}
        )


def test_the_example_configuration_loads_with_its_secrets_from_the_environment():
    env = {
        "MOTCUA_SECRET_IGATE_HAI_PHONG_KY": "whsec_c2VjcmV0LW9mLXR3ZW50eS1mb3VyLWJ5dGVz",
        "MOTCUA_SECRET_IGATE_HAI_PHONG_KHOA": "khoa-api-0001",
    }
    registrations = handover.load_registrations(ROOT / "examples" / "handover.json", None, env)

    (loaded,) = registrations.clients.values()
    assert registrations.target("cong-an-phuong-le-chan", "1.001612") is loaded
    assert loaded.api_key == "khoa-api-0001"
    example = (ROOT / "examples" / "handover.json").read_text(encoding="utf-8")
    assert example.strip() in GUIDE  # the guide shows the tested file


def test_the_guide_shows_the_table_of_reported_statuses_the_code_applies():
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([\d, ]+) \|$", GUIDE, re.MULTILINE)
    table = {int(status): {int(n) for n in sources.split(",")} for status, _, sources in rows}
    names = {int(status): name.strip() for status, name, _ in rows}

    assert table == {status: set(sources) for status, sources in workflow.MIRRORED.items()}
    assert names == {status: workflow.STATUSES[status] for status in workflow.MIRRORED}


def test_the_guide_shows_the_example_clients_own_verification_code():
    source = (ROOT / "examples" / "handover_client.py").read_text(encoding="utf-8")
    source = re.sub(r'\n    """.*?"""', "", source, flags=re.DOTALL)  # without docstrings
    shown = GUIDE.split("```python\n", 1)[1].split("```", 1)[0]
    assert shown in source
