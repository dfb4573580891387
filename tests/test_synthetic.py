"""buildlib/synthetic/: a generated catalogue passes check, is the same for the same seed, and
has every kind of history the benchmark should exercise."""

import contextlib
import io
import re
from pathlib import Path

import pytest
import yaml

import build
from bench import check_bench
from buildlib import paths
from buildlib.site import built
from buildlib.synthetic.generator import generate, seed_files

COUNT, SEED = 150, 7


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "catalogue"
    generate(out, COUNT, seed=SEED)
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _last_versions(root: Path) -> dict[str, dict]:
    out = {}
    for folder in sorted((root / "procedures").iterdir()):
        last = sorted(folder.glob("*.yaml"))[-1]
        out[folder.name] = yaml.safe_load(last.read_text(encoding="utf-8"))
    return out


@pytest.mark.slow
def test_a_generated_catalogue_passes_check_with_no_errors(generated: Path):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = build.main(["check", "--catalogue", str(generated)])
    assert code == 0, out.getvalue()
    assert "Danh mục hợp lệ" in out.getvalue()


@pytest.mark.slow
def test_a_generated_catalogue_builds_into_a_site(generated: Path, tmp_path: Path):
    """The site build needs more of the seed catalogue than check does (the application pages'
    privacy notice): the benchmark builds this catalogue."""
    out = io.StringIO()
    site, cache = tmp_path / "site", tmp_path / "cache"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = build.main(
            [
                "build",
                "--catalogue",
                str(generated),
                "--site-dir",
                str(site),
                "--cache-dir",
                str(cache),
            ]
        )
    assert code == 0, out.getvalue()
    assert built.exists(site / "index.html")


def test_it_copies_every_seed_file_unchanged_and_of_fields_yaml_the_fields_only(generated: Path):
    copied = seed_files()
    assert paths.CATALOGUE / "du-lieu-ca-nhan.md" in copied
    for path in copied:
        if path.name == "fields.yaml":
            seed = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert "reviewers" in seed  # what the copy leaves out
            copy = yaml.safe_load((generated / "fields.yaml").read_text(encoding="utf-8"))
            assert copy == {"fields": seed["fields"]}
            continue
        assert (generated / path.relative_to(paths.CATALOGUE)).read_bytes() == path.read_bytes()


def test_the_benchmarks_cached_catalogue_is_stale_when_a_seed_file_changes():
    assert set(seed_files()) <= set(check_bench.key_inputs())


def test_it_writes_the_requested_number_of_procedures(generated: Path):
    assert len(list((generated / "procedures").iterdir())) == COUNT


@pytest.mark.slow
def test_the_same_seed_writes_the_same_bytes(generated: Path, tmp_path: Path):
    again = tmp_path / "again"
    generate(again, COUNT, seed=SEED)
    assert _files(again) == _files(generated)


@pytest.mark.slow
def test_another_seed_writes_other_procedures(generated: Path, tmp_path: Path):
    other = tmp_path / "other"
    generate(other, COUNT, seed=SEED + 1)
    assert sorted(p.name for p in (other / "procedures").iterdir()) != sorted(
        p.name for p in (generated / "procedures").iterdir()
    )


@pytest.mark.slow
def test_some_procedures_have_older_district_versions_ending_on_the_reform_day(generated: Path):
    multi = [f for f in (generated / "procedures").iterdir() if len(list(f.glob("*.yaml"))) > 1]
    assert len(multi) >= COUNT // 10
    for folder in multi:
        *older, _ = (
            yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))
        )
        assert all(v["levels"] == ["huyen"] for v in older)
        assert str(older[-1]["effective_to"]) == "2025-07-01"


@pytest.mark.slow
def test_replaced_procedures_name_a_successor_that_says_it_replaces_them(generated: Path):
    last = _last_versions(generated)
    replaced = {c: v for c, v in last.items() if v.get("ended", {}).get("kind") == "replaced"}
    assert replaced
    for code, version in replaced.items():
        (successor,) = version["ended"]["replaced_by"]
        assert last[successor]["change"]["replaces"] == [code]


@pytest.mark.slow
def test_some_procedures_are_abolished(generated: Path):
    ended = [v.get("ended", {}).get("kind") for v in _last_versions(generated).values()]
    assert "abolished" in ended


def test_forms_have_uploads_and_a_condition_on_an_earlier_select_field(generated: Path):
    forms = sorted((generated / "forms").glob("*.yaml"))
    assert forms
    for path in forms:
        form = yaml.safe_load(path.read_text(encoding="utf-8"))
        fields = form["pages"][0]["fields"]
        selects = [i for i, f in enumerate(fields) if f["type"] == "select"]
        conditions = [i for i, f in enumerate(fields) if "when" in f]
        assert selects and conditions and selects[0] < conditions[0]
        assert form["pages"][1]["uploads"]


def test_generate_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "old.yaml").write_text("x: 1\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate(tmp_path, 5)


def test_the_check_benchmark_reads_what_the_check_prints(generated: Path, capsys):
    """bench/check_bench.py's table gives the errors and warnings the check reported, read from
    its last line: the line's wording changed once and the column said "?"."""
    build.main(["check", "--catalogue", str(generated)])
    printed = capsys.readouterr()
    assert re.fullmatch(r"\d+ \(\d+ warnings\)", check_bench.reported(printed.out + printed.err))
