"""The priority-51 procedures of the Vĩnh Bảo commune centre reviewed from their sources (issue 17):
each is compared by `build.py verify` with every source it has, and offers its online form where a
source gives it an online channel.

About the published content: these tests read catalogue/ and reference/, never the fixtures."""

import pytest

from buildlib.catalogue.load import load
from buildlib.review import verify
from chalicelib.versions import version_in_force

from .conftest import ROOT

# Loads all of catalogue/ (about a second): the slow tier.
pytestmark = pytest.mark.slow

TODAY = "2026-12-07"
MASTER = "data/master-data-audit.csv"
# The priority-51 codes reviewed on top of the seeds: from the Vĩnh Bảo record's guidance (no
# national record in the crawl) and from the national record (vendored in reference/).
FROM_COMMUNE_RECORD = [
    "1.014027",
    "1.014028",
    "1.001731",
    "1.001776",
    "2.000286",
    "1.001699",
    "1.010833",
    "1.010803",
    "1.010824",
    "1.003622",
    "1.013702",
    "1.013703",
]
FROM_NATIONAL_RECORD = [
    "2.000942",
    "2.000992",
    "1.000593",
    "2.002189",
    "1.011609",
    "1.012812",
    "1.012796",
    "1.012818",
    "1.013949",
]


@pytest.fixture(scope="module")
def catalogue():
    return load(ROOT / "catalogue", workers=1)


@pytest.fixture(scope="module")
def in_force(catalogue):
    docs = catalogue.procedures()
    return {
        code: version_in_force([d.data for d in docs[code]], TODAY)
        for code in FROM_COMMUNE_RECORD + FROM_NATIONAL_RECORD
    }


@pytest.fixture(scope="module")
def reference():
    return verify.Reference.read(ROOT / "reference")


@pytest.mark.parametrize("code", FROM_COMMUNE_RECORD + FROM_NATIONAL_RECORD)
def test_a_reviewed_priority_procedure_is_compared_with_the_commune_master_data(
    code, in_force, reference
):
    version = in_force[code]
    assert version is not None, f"{code} has no version in force on {TODAY}"
    assert version.get("review", {}).get("status") != "imported"
    assert any(s.get("path") == MASTER for s in version["sources"])
    assert reference.master[code]["publishable"] == "True"


@pytest.mark.parametrize("code", FROM_NATIONAL_RECORD)
def test_a_national_record_it_cites_is_vendored_so_verify_reads_it(code, in_force, reference):
    cited = [s for s in in_force[code]["sources"] if s.get("repo") == verify.RECORD_REPO]
    assert cited, f"{code} cites no national record"
    assert code in reference.records
    assert cited[0]["path"].endswith(reference.records[code].relative_to(ROOT / "reference").name)


@pytest.mark.parametrize("code", FROM_COMMUNE_RECORD + FROM_NATIONAL_RECORD)
def test_an_online_channel_comes_with_its_online_form(code, in_force, catalogue):
    version = in_force[code]
    online = any(c["kind"] == "online" for c in version["channels"])
    form_id = version["online_service"].get("form")
    assert bool(form_id) == online, f"{code}: online channel {online}, form {form_id}"
    if form_id:
        form = next(d.data for d in catalogue.of_kind("form") if d.data["id"] == form_id)
        assert form["procedure"] == code
        documents = {d["id"] for case in version["cases"] for d in case["documents"]}
        slots = [u for page in form["pages"] for u in page.get("uploads", [])]
        assert slots and {u["document"] for u in slots} <= documents
