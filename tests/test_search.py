"""The search index and its two implementations (Python for tests, JavaScript for the site).

The JavaScript runs in node with a fetch that reads the index files from a temporary folder,
so these tests check the very file the site serves, not a copy of its logic.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from buildlib.catalogue.load import load
from buildlib.site import search

from .conftest import CATALOGUE, ROOT

SCRIPT = ROOT / "theme" / "assets" / "search.js"
TODAY = "2026-07-01"

# node -e: argv = [index folder, search.js, JSON list of queries] -> JSON list of result codes.
NODE_RUNNER = """
const fs = require("fs"), path = require("path");
const [dir, script, input] = process.argv.slice(1);
globalThis.fetch = async (rel) => {
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) return { ok: false, status: 404 };
  const text = fs.readFileSync(file, "utf8");
  return { ok: true, status: 200, json: async () => JSON.parse(text) };
};
require(script);
tthcSearch.configure({ index: "", site: "/" });
(async () => {
  const { mode, items } = JSON.parse(input);
  const out = [];
  for (const q of items) {
    out.push(mode === "fold" ? tthcSearch.fold(q) : (await tthcSearch(q)).map((r) => r.code));
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def run_node(index_dir: Path, mode: str, items: list[str]) -> list:
    payload = json.dumps({"mode": mode, "items": items})
    args = ["node", "-e", NODE_RUNNER, str(index_dir), str(SCRIPT), payload]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    search.write_index(load(CATALOGUE), site, TODAY)
    return site / "search"


FOLD_CASES = [
    "Đăng ký khai sinh",
    "ĐĂNG KÝ KẾT HÔN",
    "dang ki ket hon",
    "Lý lịch tư pháp",
    "lí lịch",
    "Sổ đỏ, sổ hồng",
    "Thủ tục 1.001193",
    "Giấy phép lái xe hạng A1/B2",
    "Ủy ban nhân dân cấp xã (UBND)",
    "quy định; quý khách",
    "Nghị định 123/2015/NĐ-CP",
    "Thẻ căn cước — CCCD",
    "Cấp\u00a0lại\tthẻ",
    "tiếng Việt có dấu: ầ ẩ ẫ ấ ậ ờ ở ỡ ớ ợ ừ ử ữ ứ ự ỳ ỷ ỹ ý ỵ",
    "Decomposed: Đa\u0300ng ky\u0301",
    "Ñandú café naïve",
    "",
    "   ",
    "x-y_z",
]


@pytest.mark.node
def test_python_and_javascript_fold_text_the_same_way(fixture_index: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    assert run_node(fixture_index, "fold", FOLD_CASES) == [search.fold(s) for s in FOLD_CASES]


def test_folding_drops_diacritics_and_turns_d_with_stroke_into_d() -> None:
    assert search.fold("Đăng ký khai sinh") == ["dang", "ki", "khai", "sinh"]
    assert search.fold("dang ky khai sinh") == search.fold("đăng kí khai sinh")
    assert search.fold("1.001193") == ["1", "001193"]


def test_one_edit_covers_insertion_deletion_substitution_and_transposition() -> None:
    assert search._one_edit("dungg", "dung")
    assert search._one_edit("tuphap", "tuphapp")
    assert search._one_edit("ketohn", "kethon")
    assert search._one_edit("khaisinh", "khaisanh")
    assert not search._one_edit("khai", "khai")
    assert not search._one_edit("khai", "sinh")


def test_index_has_a_small_meta_file_and_shards_by_two_letter_prefix(fixture_index: Path) -> None:
    meta = json.loads((fixture_index / "meta.json").read_text(encoding="utf-8"))
    assert "1.001193" in meta["codes"]
    assert meta["scoring"] == search.SCORING
    for prefix in meta["shards"]:
        shard = json.loads((fixture_index / "t" / f"{prefix}.json").read_text(encoding="utf-8"))
        assert all(search.shard_of(token) == prefix for token in shard)
    assert (fixture_index / "t" / "kh.json").exists()
    assert (fixture_index / "b").is_dir()


def test_ended_procedures_stay_findable_marked_and_below_those_in_force(
    catalogue_copy: Path, tmp_path: Path
) -> None:
    version = next((catalogue_copy / "procedures" / "1.001193").glob("*.yaml"))
    text = version.read_text(encoding="utf-8")
    ending = "effective_to: 2026-06-30\nended:\n  kind: abolished\n"
    version.write_text(text.replace("change:\n", ending + "change:\n", 1), encoding="utf-8")
    search.write_index(load(catalogue_copy), tmp_path, TODAY)
    index = search.Index(tmp_path / "search")
    assert search.query(index, "1.001193")[0]["ended"]
    results = search.query(index, "dang ky khai sinh")
    assert results[0]["code"] != "1.001193"
    assert any(r["code"] == "1.001193" and r["ended"] for r in results)


def test_a_code_query_needs_only_the_meta_file(fixture_index: Path) -> None:
    index = search.Index(fixture_index)
    assert search.query(index, "1.001193")[0]["code"] == "1.001193"
    assert search.query(index, "001193")[0]["code"] == "1.001193"
    assert index.fetched == ["meta.json"]


def test_a_word_query_fetches_only_the_shards_of_its_words(fixture_index: Path) -> None:
    index = search.Index(fixture_index)
    assert len(search.query(index, "dang ky")) >= search.SCORING["deep_below"]
    assert index.fetched == ["meta.json", "t/da.json", "t/ki.json"]


def test_general_name_comes_before_specialised_ones(fixture_index: Path) -> None:
    codes = [r["code"] for r in search.query(search.Index(fixture_index), "khai sinh")]
    assert codes[0] == "1.001193"
    assert codes.index("1.001193") < codes.index("2.000528")


def test_steps_are_searched_only_when_names_find_little(fixture_index: Path) -> None:
    index = search.Index(fixture_index)
    results = search.query(index, "buu chinh")  # in 1.001612's steps, in no name
    assert results[0]["code"] == "1.001612"
    assert any(rel.startswith("b/") for rel in index.fetched)


def test_the_last_word_may_be_the_start_of_a_head_word() -> None:
    assert search._in_head(["ho", "kinh", "doa"], ["dang", "ky", "ho", "kinh", "doanh"])
    assert not search._in_head(["ho", "kinh", "doanh"], ["tam", "ngung", "kinh", "doanh"])


AGREEMENT_QUERIES = [
    "khai sinh",
    "dang ky khai sin",
    "đăng ký kết hôn",
    "dang ki ket hon",
    "xac nhan tinh trang hon nhan",
    "so do bi mat",
    "sổ đỏ",
    "lam giay phep lai xe",
    "ly lich tu phap",
    "lý lịch tư pháp",
    "ho kinh doan",
    "kha",
    "1.001193",
    "001193",
    "tam tru",
    "khaisinh",
    "giay phep xay dungg",
    "can cuoc",
    "chung thuc",
    "ho kinh doanh",
    "CT07",
    "khuon mau",
    "lam di chuc",
    "nhap ho khau",
    "xyzzy khong co",
]


@pytest.mark.node
@needs_node
def test_javascript_ranks_like_python_on_the_fixture_catalogue(fixture_index: Path) -> None:
    js = run_node(fixture_index, "search", AGREEMENT_QUERIES)
    index = search.Index(fixture_index)
    for query, js_codes in zip(AGREEMENT_QUERIES, js, strict=True):
        python_codes = [r["code"] for r in search.query(index, query)]
        assert js_codes == python_codes, query  # the same results, where the list stops too


def test_search_script_stays_small_and_makes_no_external_request() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert len(text.encode()) < 15_000 * 1.6  # < 15 KB once minified (comments, indentation)
    assert "tthc-search-results" in text and "aria-live" in text


def _renamed(r: dict) -> dict:
    name = "Tên mới dài hơn, sửa đổi " + r["name"]
    again = search.record(
        {
            "code": r["code"],
            "name": name,
            "field": r["field"],
            "levels": r["levels"],
            "agencies": {"implementing": []},
            "cases": [],
        },
        r["ended"],
        {r["field"]: r["field_name"]},
        {},
    )
    return {**r, "name": name, "length": again["length"], "main": again["main"]}


def _in_a_new_field(r: dict) -> dict:  # a field no other procedure is in: every number moves
    return {**r, "field": "zz-moi", "field_name": "Lĩnh vực mới"}


def _ended(r: dict) -> dict:
    return {**r, "ended": not r["ended"]}


def _on_a_new_level(r: dict) -> dict:
    return {**r, "levels": ["aaa-moi"]}


def _out_of_its_field(r: dict) -> dict:  # ho-kinh-doanh's only procedure: the field goes
    return (
        {**r, "field": "ho-tich", "field_name": "Hộ tịch"} if r["field"] == "ho-kinh-doanh" else r
    )


def _off_level_tinh(r: dict) -> dict:  # both procedures on it leave it: the level goes
    return {**r, "levels": [lvl for lvl in r["levels"] if lvl != "tinh"]}


@pytest.mark.parametrize(
    "many", [[_out_of_its_field], [_off_level_tinh], [_out_of_its_field, _renamed]]
)
def test_an_index_updated_in_place_drops_a_field_or_level_left_empty(tmp_path: Path, many) -> None:
    records = sorted(search.records(load(CATALOGUE), TODAY), key=lambda r: r["code"])
    after = list(records)
    for change in many:
        after = [change(r) if change is not _renamed or i == 0 else r for i, r in enumerate(after)]
    changed = {r["code"]: r for r in after if r not in records}
    assert changed
    search.write_files(search.assemble(records), tmp_path / "a", measure=False)
    before = {r["code"]: r for r in records if r["code"] in changed}
    codes = [r["code"] for r in records]
    assert search.update_files(tmp_path / "a", codes, before, changed)
    search.write_files(search.assemble(after), tmp_path / "b", measure=False)
    meta = (tmp_path / "a" / "search" / "meta.json").read_bytes()
    assert meta == (tmp_path / "b" / "search" / "meta.json").read_bytes()


@pytest.mark.parametrize(
    "changes",
    [[_renamed], [_ended, _renamed], [_in_a_new_field], [_on_a_new_level, _ended]],
)
def test_an_index_updated_in_place_is_the_one_written_whole(tmp_path: Path, changes) -> None:
    """update_files (a rebuild with the same procedures) patches the shards and meta.json's
    entries of the changed procedures, or numbers the fields and levels again when they change:
    the files are byte for byte those write_files writes from the same records."""
    records = sorted(search.records(load(CATALOGUE), TODAY), key=lambda r: r["code"])
    search.write_files(search.assemble(records), tmp_path / "a", measure=False)
    after = list(records)
    for i, change in enumerate(changes):  # the first, then the last procedures
        at = -i if i else 0
        after[at] = change(after[at])
    changed = {r["code"]: r for r in after if r not in records}
    assert len(changed) == len(changes)
    codes = [r["code"] for r in records]
    before = {r["code"]: r for r in records if r["code"] in changed}
    assert search.update_files(tmp_path / "a", codes, before, changed)
    search.write_files(search.assemble(after), tmp_path / "b", measure=False)
    a, b = tmp_path / "a" / "search", tmp_path / "b" / "search"
    names = sorted(str(p.relative_to(b)) for p in b.rglob("*.json"))
    assert names == sorted(str(p.relative_to(a)) for p in a.rglob("*.json"))
    assert [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()] == []


def test_an_index_of_other_procedures_is_not_updated_in_place(tmp_path: Path) -> None:
    records = sorted(search.records(load(CATALOGUE), TODAY), key=lambda r: r["code"])
    search.write_files(search.assemble(records), tmp_path, measure=False)
    first = {records[0]["code"]: records[0]}
    codes = [r["code"] for r in records]
    assert not search.update_files(tmp_path, codes[1:], first, first)
    assert not search.update_files(tmp_path / "nothing", codes, first, first)
