"""Given a date, the version in force is computable."""

import pytest

from buildlib.catalogue.load import load
from chalicelib.versions import version_in_force

from .conftest import ROOT

VERSIONS = [
    {"effective_from": "2016-01-01", "effective_to": "2025-07-01", "levels": ["huyen"]},
    {"effective_from": "2025-07-01", "effective_to": "2027-01-01", "levels": ["xa"]},
    {"effective_from": "2027-01-01", "levels": ["xa"], "future": True},
]


def test_the_version_in_force_is_the_one_whose_interval_contains_the_date():
    assert version_in_force(VERSIONS, "2020-05-05")["levels"] == ["huyen"]
    assert version_in_force(VERSIONS, "2025-06-30")["levels"] == ["huyen"]
    assert version_in_force(VERSIONS, "2025-07-01")["levels"] == ["xa"]
    assert version_in_force(VERSIONS, "2026-11-25")["effective_from"] == "2025-07-01"
    assert version_in_force(VERSIONS, "2027-01-01").get("future")


def test_no_version_is_in_force_before_the_first_or_after_an_end():
    assert version_in_force(VERSIONS, "2015-12-31") is None
    ended = [{"effective_from": "2020-01-01", "effective_to": "2025-07-01"}]
    assert version_in_force(ended, "2025-07-01") is None


@pytest.mark.slow
def test_every_seed_procedure_with_history_has_one_version_per_date():
    """About the published content: catalogue/'s version dates leave no gap and no overlap."""
    catalogue = load(ROOT / "catalogue", workers=1)
    for code, docs in catalogue.procedures().items():
        versions = [d.data for d in docs]
        starts = [v["effective_from"] for v in versions]
        for start in starts:
            assert version_in_force(versions, start)["effective_from"] == start, code
