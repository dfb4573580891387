"""Answers are checked with the JSON Schema generated from the catalogue form: what the server
accepts, the published schema accepts, and messages are Vietnamese sentences per field.

The tests "every catalogue form" are about the published forms (catalogue/): each must accept
complete answers and agree with its schema. The others use the fixture catalogue's forms."""

import datetime as dt
import io
import json

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from buildlib.bundle import bundle_command
from chalicelib import forms
from chalicelib.bundle import Bundle

from .api.filling import SAMPLE, answers_for
from .conftest import CATALOGUE, ROOT, SEED_CATALOGUE

TODAY = dt.date(2026, 11, 25)


def _bundle(catalogue, folder) -> dict:
    path = folder / "bundle.json"
    assert bundle_command(catalogue, path, out=io.StringIO()) == 0
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return _bundle(CATALOGUE, tmp_path_factory.mktemp("b"))


@pytest.fixture(scope="module")
def seed_bundle(tmp_path_factory):
    return _bundle(SEED_CATALOGUE, tmp_path_factory.mktemp("seed"))


@pytest.mark.slow
def test_complete_answers_to_every_catalogue_form_are_accepted(seed_bundle):
    bundle = seed_bundle
    for form in bundle["forms"].values():
        kept, errors = forms.check_answers(form, answers_for(form), bundle["units"], TODAY)
        assert errors == {}, form["id"]
        assert kept


def test_each_problem_is_a_vietnamese_sentence_at_its_field(bundle):
    form = bundle["forms"]["dang-ky-khai-sinh"]
    answers = answers_for(form)
    phone = next(i["id"] for _, i in forms.fields(form) if i["type"] == "phone")
    address = next(i["id"] for _, i in forms.fields(form) if i["type"] == "address")
    answers[phone] = "0912"
    answers[address] = {"province": "31", "commune": "00004", "street": "Số 1"}  # Hà Nội commune
    answers["la"] = "x"
    _, errors = forms.check_answers(form, answers, bundle["units"], TODAY)
    assert errors[f"/answers/{phone}"].startswith("Số điện thoại gồm 10 chữ số")
    assert errors[f"/answers/{address}"] == forms.MESSAGES["commune"]
    assert errors["/answers/la"] == forms.MESSAGES["unknown"]


def test_jsonschema_words_the_errors_of_invalid_answers_only(bundle):
    """Valid answers are accepted by fastjsonschema alone: jsonschema's validator is made when
    answers are first found invalid (so the site build, which imports this module, need not
    import jsonschema)."""
    form = bundle["forms"]["dang-ky-khai-sinh"]
    forms._COMPILED.clear()
    kept, errors = forms.check_answers(form, answers_for(form), bundle["units"], TODAY)
    assert kept and errors == {}
    assert "full" not in vars(forms._compiled(form))
    _, errors = forms.check_answers(form, {**answers_for(form), "la": "x"}, bundle["units"], TODAY)
    assert errors["/answers/la"] == forms.MESSAGES["unknown"]
    assert isinstance(vars(forms._compiled(form))["full"], Draft202012Validator)


def test_answers_to_questions_not_asked_are_dropped_not_judged(bundle):
    form = next(f for f in bundle["forms"].values() if any("when" in i for _, i in forms.fields(f)))
    answers = answers_for(form)
    hidden = [i for p, i in forms.fields(form) if not forms.shown(i, p, answers)]
    for item in hidden:
        answers[item["id"]] = "giá trị sai kiểu"
    kept, errors = forms.check_answers(form, answers, bundle["units"], TODAY)
    assert errors == {}
    assert not {i["id"] for i in hidden} & set(kept)


def test_a_padded_choice_asks_what_it_requires(bundle):
    form = bundle["forms"]["dang-ky-khai-sinh"]
    answers = answers_for(form, {"nyc-loai-giay-to": "cccd"})
    answers["nyc-loai-giay-to"] = " cccd "
    kept, errors = forms.check_answers(form, answers, bundle["units"], TODAY)
    assert errors == {}
    assert kept["nyc-loai-giay-to"] == "cccd"
    assert kept["nyc-so-dinh-danh"] == answers["nyc-so-dinh-danh"]


def test_a_broken_address_is_a_field_error_not_a_crash(bundle):
    form = bundle["forms"]["dang-ky-khai-sinh"]
    for broken in ({"province": "31", "commune": "11824"}, {**SAMPLE["address"], "x": "1"}):
        answers = {**answers_for(form), "nyc-noi-cu-tru": broken}
        kept, errors = forms.check_answers(form, answers, bundle["units"], TODAY)
        assert errors == {"/answers/nyc-noi-cu-tru": forms._message("address", _item(form))}
        assert "nyc-noi-cu-tru" not in kept


@pytest.mark.parametrize(
    "bad",
    [
        "Nguyễn\u202eVăn A",
        "Nguyễn\x00",
        "Nguyễn\x1bA",
        "Nguyễn\u2066A\u2069",
        "Nguyễn\nVăn",
        "A\x85B",
    ],
)
def test_control_and_bidi_override_characters_are_refused_in_text(bundle, bad):
    form = bundle["forms"]["dang-ky-khai-sinh"]
    text = next(i for _, i in forms.fields(form) if i["type"] == "text")
    address = _item(form)
    for field, value in (
        (text, bad),
        (address, {**SAMPLE["address"], "street": bad}),
    ):
        answers = {**answers_for(form), field["id"]: value}
        kept, errors = forms.check_answers(form, answers, bundle["units"], TODAY)
        assert errors == {f"/answers/{field['id']}": forms._message("control", field)}, bad
        assert field["id"] not in kept


def test_a_textarea_keeps_its_line_breaks(bundle):
    form = next(
        f
        for f in bundle["forms"].values()
        if any(i["type"] == "textarea" for _, i in forms.fields(f))
    )
    area = next(i for _, i in forms.fields(form) if i["type"] == "textarea")
    answers = {**answers_for(form), area["id"]: "Dòng một\nDòng hai\tcột"}
    kept, errors = forms.check_answers(form, answers, bundle["units"], TODAY)
    assert area["id"] not in errors
    assert kept[area["id"]] == "Dòng một\nDòng hai\tcột"


def _item(form: dict) -> dict:
    return next(i for _, i in forms.fields(form) if i["id"] == "nyc-noi-cu-tru")


NOISE = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=12),
    st.integers(-5, 5),
    st.booleans(),
    st.sampled_from(list(SAMPLE.values())),
    st.dates().map(dt.date.isoformat),
    st.sampled_from(["2026-02-30", "2026-13-01", "2025-1-1", "2025-01-01T00:00", "０１２３"]),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_server_and_the_published_schema_agree(seed_bundle, data):
    bundle = seed_bundle
    form = bundle["forms"][data.draw(st.sampled_from(sorted(bundle["forms"])))]
    answers = answers_for(form)
    for _, item in forms.fields(form):
        if data.draw(st.booleans()):
            answers[item["id"]] = data.draw(NOISE)
    kept, errors = forms.check_answers(form, answers, bundle["units"], TODAY)
    schema = Draft202012Validator(forms.submission_schema(form), format_checker=FormatChecker())
    if not errors:
        assert schema.is_valid({"answers": kept, "uploads": {}})
    asked = {i["id"] for p, i in forms.fields(form) if forms.shown(i, p, answers)}
    sent = {k: v.strip() if isinstance(v, str) else v for k, v in answers.items() if k in asked}
    sent = {k: v for k, v in sent.items() if v not in (None, "")}
    if not schema.is_valid({"answers": sent, "uploads": {}}):
        assert errors


def test_a_slot_may_accept_exactly_the_file_types_of_the_one_table() -> None:
    schema = json.loads((ROOT / "schemas" / "form.schema.json").read_text(encoding="utf-8"))
    kinds = set()

    def find(node: object) -> None:
        if isinstance(node, dict):
            if "accept" in node.get("properties", {}):
                kinds.update(node["properties"]["accept"]["items"]["enum"])
            for value in node.values():
                find(value)
        elif isinstance(node, list):
            for value in node:
                find(value)

    find(schema)
    assert kinds == set(forms.FILE_TYPES)
    assert {k: t.content_type for k, t in forms.FILE_TYPES.items()} == forms.CONTENT_TYPES
    extensions = [t.extension for t in forms.FILE_TYPES.values()]
    assert len(set(extensions)) == len(extensions)  # a stored key's extension names its kind
    assert all(f".{t.extension}" in t.extensions for t in forms.FILE_TYPES.values())


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_fast_and_the_full_validator_agree_on_every_answer_set(seed_bundle, data):
    """check_answers trusts fastjsonschema's "valid" and asks jsonschema only for the errors of
    invalid answers: the two must never disagree."""
    form = seed_bundle["forms"][data.draw(st.sampled_from(sorted(seed_bundle["forms"])))]
    answers = answers_for(form)
    for _, item in forms.fields(form):
        if data.draw(st.booleans()):
            answers[item["id"]] = data.draw(NOISE)
    fast, full = forms._compiled(form).fast, forms._compiled(form).full
    try:
        fast(answers)
        fast_valid = True
    except fastjsonschema.JsonSchemaException:
        fast_valid = False
    assert fast_valid == full.is_valid(answers), answers


def _channels(*kinds: str) -> dict:
    return {
        "code": "1.000001",
        "effective_from": "2026-01-01",
        "channels": [{"kind": k} for k in kinds],
    }


def test_the_result_question_offers_only_the_ways_the_procedure_publishes():
    page = forms.delivery_page(_channels("in_person", "online"))
    (question,) = page["fields"]
    assert question["id"] == forms.DELIVERY_FIELD
    assert [o["value"] for o in question["options"]] == ["tai-co-quan", "truc-tuyen"]
    by_post = forms.delivery_page(_channels("online", "post", "in_person"))
    assert [o["value"] for o in by_post["fields"][0]["options"]] == [
        "tai-co-quan",
        "buu-chinh",
        "truc-tuyen",
    ]
    address = by_post["fields"][1]
    assert address["type"] == "address"
    assert address["when"] == {"field": forms.DELIVERY_FIELD, "in": ["buu-chinh"]}
    # One published way (online only): nothing to choose, so nothing asked.
    form = {"id": "f", "pages": [{"id": "p", "title": "P", "fields": []}]}
    assert forms.delivery_page(_channels("online")) is None
    assert forms.with_delivery(form, _channels("online")) is form


def test_the_api_requires_a_published_way_to_receive_the_result_and_an_address_for_the_post(
    bundle,
):
    data = Bundle(bundle)
    version = data.version("1.001193", TODAY)
    form = data.form(version)
    assert form is data.form(version)  # kept: its validators are compiled once
    assert form["pages"][-1]["id"] == forms.DELIVERY_PAGE
    offered = [o["value"] for o in form["pages"][-1]["fields"][0]["options"]]
    base = answers_for(form)
    base.pop(forms.DELIVERY_FIELD)
    _, errors = forms.check_answers(form, base, bundle["units"], TODAY)
    assert list(errors) == [f"/answers/{forms.DELIVERY_FIELD}"]
    assert errors[f"/answers/{forms.DELIVERY_FIELD}"].startswith("Vui lòng chọn")
    _, errors = forms.check_answers(
        form, {**base, forms.DELIVERY_FIELD: "qua-zalo"}, bundle["units"], TODAY
    )
    assert list(errors) == [f"/answers/{forms.DELIVERY_FIELD}"]
    assert "buu-chinh" in offered
    _, errors = forms.check_answers(
        form, {**base, forms.DELIVERY_FIELD: "buu-chinh"}, bundle["units"], TODAY
    )
    assert list(errors) == [f"/answers/{forms.DELIVERY_ADDRESS}"]
    kept, errors = forms.check_answers(
        form,
        {**base, forms.DELIVERY_FIELD: "tai-co-quan", forms.DELIVERY_ADDRESS: SAMPLE["address"]},
        bundle["units"],
        TODAY,
    )
    assert errors == {}
    assert kept[forms.DELIVERY_FIELD] == "tai-co-quan"
    assert forms.DELIVERY_ADDRESS not in kept  # not asked, so not kept
