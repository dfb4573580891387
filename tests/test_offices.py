"""The office register (buildlib/catalogue/offices.py) and what the API reads from it
(chalicelib.bundle: rules, offices, offices_for)."""

import datetime as dt
import json

import pytest
from jsonschema import Draft202012Validator

from buildlib.bundle import make_bundle
from buildlib.catalogue import offices
from buildlib.catalogue.load import load
from buildlib.catalogue.schemas import BASE_URI, SchemaSet
from chalicelib import dossiers
from chalicelib.bundle import Bundle
from chalicelib.errors import NotFoundError
from chalicelib.workflow import Rules

from .conftest import CATALOGUE, ROOT
from .factories import make_procedure

ON = dt.date(2026, 12, 7)


@pytest.fixture(scope="module")
def published() -> list[dict]:
    """The register of the published catalogue (catalogue/): the offices of Hải Phòng."""
    catalogue = load(ROOT / "catalogue", workers=1)
    return offices.of_catalogue([(d.kind, d.data) for d in catalogue.documents if d.data])


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    catalogue = load(CATALOGUE, workers=1)
    return Bundle(json.loads(json.dumps(make_bundle(catalogue, revision="t", built="t"))))


def by_id(register: list[dict]) -> dict[str, dict]:
    return {office["id"]: office for office in register}


def test_every_commune_of_hai_phong_has_its_centre_and_its_police(published):
    communes = [o for o in published if o["level"] == "xa"]
    assert len({o["unit"] for o in communes}) == 114
    assert {o["kind"] for o in communes} == {"trung-tam-pvhcc", "cong-an"}
    assert len(communes) == 228
    assert offices.duplicates(published) == []
    assert all(o["province"] == "31" for o in published)


def test_le_chan_has_a_centre_and_a_police_office_with_derived_identifiers(published):
    office = by_id(published)
    assert office["trung-tam-pvhcc-phuong-le-chan"] == {
        "id": "trung-tam-pvhcc-phuong-le-chan",
        "identifier": "11383.HCC",
        "identifier_source": "derived",
        "name": "Trung tâm Phục vụ hành chính công Phường Lê Chân",
        "kind": "trung-tam-pvhcc",
        "level": "xa",
        "agency": "trung-tam-pvhcc-cap-xa",
        "unit": "11383",
        "province": "31",
    }
    police = office["cong-an-phuong-le-chan"]
    assert (police["name"], police["identifier"], police["agency"]) == (
        "Công an Phường Lê Chân",
        "11383.CA",
        "cong-an-cap-xa",
    )


def test_vinh_bao_s_own_agency_file_is_its_centre(published):
    centres = [o for o in published if o["unit"] == "11824" and o["kind"] == "trung-tam-pvhcc"]
    assert len(centres) == 1
    assert centres[0]["id"] == "trung-tam-pvhcc-xa-vinh-bao"  # the file's id and name win
    assert centres[0]["name"] == "Trung tâm Phục vụ hành chính công xã Vĩnh Bảo"
    assert centres[0]["agency"] == "trung-tam-pvhcc-cap-xa"
    assert centres[0]["identifier"] == "11824.HCC"  # unpublished: the generic's office_code


def test_province_offices_and_communes_whose_names_fold_alike(published):
    office = by_id(published)
    assert office["cong-an-thanh-pho-hai-phong"]["identifier"] == "31.CA"
    assert office["van-phong-dang-ky-dat-dai-thanh-pho-hai-phong"]["level"] == "tinh"
    assert "chi-nhanh-van-phong-dang-ky-dat-dai" not in {o["agency"] for o in published}
    # Xã Cẩm Giang and Xã Cẩm Giàng: the same ASCII name, so each id carries its code.
    assert {"cong-an-xa-cam-giang-10888", "cong-an-xa-cam-giang-10903"} <= set(office)


def test_every_office_matches_the_office_schema_and_the_dossier_code_pattern(published):
    schemas = SchemaSet()
    validator = Draft202012Validator(
        schemas.documents[BASE_URI + "office.schema.json"], registry=schemas.registry
    )
    for office in published:
        assert list(validator.iter_errors(office)) == [], office
        assert dossiers.is_dossier_code(f"{office['identifier']}-261207-0001")


def test_a_published_identifier_wins_and_a_missing_office_code_falls_back_to_initials():
    province = {
        "code": "31",
        "name": "Thành phố Hải Phòng",
        "communes": [
            {"code": "11383", "name": "Phường Lê Chân", "kind": "phuong"},
        ],
    }
    generic = {
        "id": "trung-tam-pvhcc-cap-xa",
        "identifier": "unpublished",
        "level": "xa",
        "kind": "trung-tam-pvhcc",
        "generic": True,
        "name": "Trung tâm",
    }
    own = {
        "id": "trung-tam-pvhcc-phuong-le-chan",
        "identifier": "000.00.21.H26",
        "level": "xa",
        "kind": "trung-tam-pvhcc",
        "unit": "11383",
        "name": "Trung tâm PVHCC Lê Chân",
    }
    assert offices.register([generic], province)[0]["identifier"] == "11383.TTP"
    [office] = offices.register([generic, own], province)
    assert (office["identifier"], office["identifier_source"]) == ("000.00.21.H26", "published")
    assert office["name"] == "Trung tâm PVHCC Lê Chân"


def test_rules_read_the_online_channel_and_the_processing_block_with_defaults(bundle):
    version = make_procedure(
        channels=[
            {
                "kind": "online",
                "deadline": {"amount": 3, "unit": "working_days"},
                "fees": {
                    "status": "charged",
                    "items": [{"kind": "charge", "name": "Lệ phí", "amount": 7000}],
                },
            }
        ]
    )
    assert bundle.rules(version) == Rules(deadline_amount=3, deadline_unit="working_days", fee=7000)
    version["processing"] = {"supplement_limit": 2, "payment_stops_clock": False}
    rules = bundle.rules(version)
    assert (rules.supplement_limit, rules.payment_stops_clock) == (2, False)
    version["channels"][0]["fees"]["items"].append(
        {"kind": "charge", "name": "Theo danh sách", "amount": 10000}
    )
    assert bundle.rules(version).fee is None  # two amounts: the officer says which
    version["channels"] = [{"kind": "in_person", "deadline": {"amount": 5, "unit": "days"}}]
    assert bundle.rules(version) == Rules(supplement_limit=2, payment_stops_clock=False)


def test_offices_for_a_commune_procedure_narrow_to_the_applicant_s_commune(bundle):
    version = bundle.version("1.004873", ON)  # implementing ubnd-cap-xa: the commune's centre
    accepted = bundle.offices_for(version)
    assert len(accepted) == 114 and {o["kind"] for o in accepted} == {"trung-tam-pvhcc"}
    [own] = bundle.offices_for(version, commune="11383")
    assert own["id"] == "trung-tam-pvhcc-phuong-le-chan"


def test_a_cross_boundary_procedure_accepts_every_commune_whatever_the_address(bundle):
    version = bundle.version("1.000894", ON)
    assert version["cross_boundary"]["allowed"] is True
    assert len(bundle.offices_for(version, commune="11383")) == 114


def test_cu_tru_goes_to_the_commune_police_and_province_procedures_to_their_agency(bundle):
    version = bundle.version("1.004873", ON)
    police = {**version, "agencies": {"implementing": ["cong-an-cap-xa"]}}
    [office] = bundle.offices_for(police, commune="11383")
    assert office["id"] == "cong-an-phuong-le-chan"
    province = {**version, "agencies": {"implementing": ["cong-an-thanh-pho-hai-phong"]}}
    assert [o["id"] for o in bundle.offices_for(province)] == ["cong-an-thanh-pho-hai-phong"]
    central = {**version, "agencies": {"implementing": ["cuc-ho-so-nghiep-vu"]}}
    assert [o["id"] for o in bundle.offices_for(central)] == ["trung-tam-pvhcc-hai-phong"]


def test_an_unknown_office_is_not_found(bundle):
    assert bundle.office("cong-an-phuong-le-chan")["identifier"] == "11383.CA"
    with pytest.raises(NotFoundError):
        bundle.office("cong-an-phuong-khong-co")


def test_the_applicant_s_name_is_the_first_name_question_answered():
    form = {
        "pages": [
            {
                "id": "p",
                "fields": [
                    {"id": "so", "type": "cccd", "label": "Số định danh"},
                    {"id": "ten-cha", "type": "text", "label": "Họ, chữ đệm và tên của cha"},
                    {"id": "ten", "type": "text", "label": "Họ, chữ đệm và tên của người yêu cầu"},
                ],
            }
        ]
    }
    assert dossiers.applicant_name(form, {"ten": "Nguyễn Văn An"}) == "Nguyễn Văn An"
    assert dossiers.applicant_name(form, {}) == ""


def test_the_receipt_finds_the_applicant_s_name_with_the_same_rule():
    script = (ROOT / "theme" / "assets" / "apply-submit.js").read_text(encoding="utf-8")
    assert f'item.type === "text" && /{dossiers.NAME_LABEL.pattern}/i.test(item.label)' in script
