"""Search quality: each realistic query finds the procedure a citizen means in the top 3.

Queries and expected codes are in tests/fixtures/search-queries.yaml, written from the
catalogue's names and synonyms. When one misses, improve the ranking; do not weaken the query.
About the published content: the queries run on catalogue/ and on the imported national corpus.
"""

import os
from pathlib import Path

import pytest
import yaml

from buildlib.catalogue.load import load
from buildlib.site import search

ROOT = Path(__file__).resolve().parent.parent
QUERIES = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "search-queries.yaml").read_text(encoding="utf-8")
)
ARCHIVE = ROOT.parent / "shared" / "reference" / "procedures" / "chatbot_tthc-raw-all.tar.gz"
CORPUS = ROOT / "build" / "corpus" / "catalogue"
TODAY = "2026-07-01"


def _index(catalogue_dir: Path, site: Path) -> search.Index:
    search.write_index(load(catalogue_dir), site, TODAY)
    return search.Index(site / "search")


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> search.Index:
    return _index(ROOT / "catalogue", tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> search.Index:
    """The imported national corpus; imported into a temporary folder when not built yet."""
    corpus = CORPUS
    if not (corpus / "procedures").is_dir():
        if not ARCHIVE.exists():
            message = f"corpus archive missing: {ARCHIVE}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        import build

        corpus = tmp_path_factory.mktemp("corpus") / "catalogue"
        assert build.main(["import", str(ARCHIVE), "--out", str(corpus)]) == 0
    return _index(corpus, tmp_path_factory.mktemp("corpus-site"))


def _misses(index: search.Index, items: list[dict]) -> list[str]:
    misses = []
    for item in items:
        top = [r["code"] for r in search.query(index, item["q"])[:3]]
        if item["code"] not in top:
            misses.append(f"{item['q']!r}: want {item['code']}, got {top}")
    return misses


def test_fixture_has_at_least_forty_queries_per_catalogue() -> None:
    assert len(QUERIES["seed"]) >= 40
    assert len(QUERIES["corpus"]) >= 40


@pytest.mark.slow
def test_seed_queries_find_the_meant_procedure_in_the_top_three(
    seed_index: search.Index,
) -> None:
    assert _misses(seed_index, QUERIES["seed"]) == []


@pytest.mark.slow
def test_corpus_queries_find_the_meant_procedure_in_the_top_three(
    corpus_index: search.Index,
) -> None:
    assert _misses(corpus_index, QUERIES["corpus"]) == []


@pytest.mark.slow
def test_the_list_stops_where_the_procedures_asked_for_end(seed_index: search.Index) -> None:
    """ "lý lịch tư pháp": its 2 procedures, not 2 and 8 others under "Có 10 thủ tục"."""
    results = search.query(seed_index, "lý lịch tư pháp")
    assert sorted(r["code"] for r in results) == ["3.000330", "3.000333"]


@pytest.mark.slow
def test_a_name_about_the_query_ranks_above_one_that_only_mentions_it(
    seed_index: search.Index,
) -> None:
    """ "Đăng ký thành lập hộ kinh doanh" above "Tạm ngừng kinh doanh, ... của hộ kinh doanh"."""
    codes = [r["code"] for r in search.query(seed_index, "ho kinh doanh")]
    assert codes[0] == "1.001612"
    assert codes.index("1.001612") < codes.index("1.001570")
