"""The open statistics, done when (issue 16, deliverable 5): dossiers run through the real
lifecycle on a real store (SQLite; filed online through the service, in person and by post
written to the store as an officer's intake would, then every action through
Service.transition), rated through the rating desk, exported anonymised
(`chalicelib.stats`), built into the site (`build.py build --stats`), and every published
figure recomputed from the open data alone by scripts/recompute_stats.py."""

import dataclasses
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from buildlib.site import built
from buildlib.site import stats as site_stats
from buildlib.site.build import build_command
from chalicelib.admin.cli import main as motcua
from chalicelib.calendar import VIETNAM
from chalicelib.stats import export_events, write_events
from chalicelib.storage.ports import NewDossier, Rating
from chalicelib.workflow import Rules

from .conftest import CATALOGUE, ROOT
from .test_ratings import APPLICANT, make_bundle, make_office

pytestmark = pytest.mark.slow  # a site build
TODAY = "2026-12-07"
RECOMPUTE = ROOT / "scripts" / "recompute_stats.py"
COMMENT = "Cán bộ Lê Văn Cường hướng dẫn rất kỹ."


def at(day: str, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}:00").replace(tzinfo=VIETNAM)


def rate(office, code: str, secret: str, overall: str, comment: str = "") -> None:
    answers = {"tong_the": overall, "thoi_gian": "hai_long", "can_bo": "hai_long"}
    answers["truc_tuyen"] = "rat_hai_long"
    office.desk.rate(code, secret, "c", {"answers": answers, "comment": comment})


def at_the_counter(office, *, channel: str, procedure: str, version: str, when: dt.datetime):
    """A dossier received at the desk (in person) or by post: written to the store as the
    intake does (no intake route exists yet); then it follows the same lifecycle."""
    bundle = office.service.bundle
    office_id = bundle.offices_for(bundle.version(procedure, when.date()))[0]["id"]
    if procedure == "1.001612" and when.month == 12:
        office_id = bundle.offices_for(bundle.version(procedure, when.date()))[1]["id"]
    identifier = bundle.office(office_id)["identifier"]
    dossier = NewDossier(
        agency=identifier,
        day=when.strftime("%y%m%d"),
        procedure=procedure,
        version=version,
        catalogue="test",
        answers={"ho_ten": "Trần Thị Bình"},
        uploads={},
        secret_hash="sha256:00",
        received_at=when.isoformat(timespec="seconds"),
        due_at=None,
        office=office_id,
        applicant="Trần Thị Bình",
        channel=channel,
    )
    return office.dossiers.create(dossier, idempotency_key=f"sha256:{channel}", request_hash="h")


@dataclasses.dataclass
class Run:
    codes: list[str]
    names: list[str]
    offices: tuple[str, str]
    outcomes: dict[str, str | None]
    export: Path
    site: Path


def run_the_dossiers(office) -> tuple[list[str], dict[str, str | None], tuple[str, str]]:
    """Seven dossiers over November and December 2026, on the fixture catalogue's working
    calendar. Returns their codes, outcomes and the two offices."""
    bundle = office.service.bundle
    november = bundle.offices_for(bundle.version("1.001612", at("2026-11-02").date()))
    a, b = november[0]["id"], november[1]["id"]
    move = office.at

    move(at("2026-11-02"))  # D1 online: early (1 working day), returned, rated very satisfied
    d1, s1 = office.file(a)
    move(at("2026-11-02", "09:30"))
    office.act(d1, "receive")
    move(at("2026-11-02", "10:00"))  # D2 online: a supplement stops the clock two days
    d2, _s2 = office.file(a)
    move(at("2026-11-02", "10:30"))
    office.act(d2, "receive")
    move(at("2026-11-03", "10:00"))
    office.act(d1, "done")
    office.act(d2, "request_supplement", {"items": ["Bản sao giấy tờ tùy thân"]})
    move(at("2026-11-04"))
    office.act(d1, "return_result", {"method": "truc_tiep"})
    rate(office, d1, s1, "rat_hai_long", COMMENT)
    move(at("2026-11-05"))
    office.act(d2, "supplement", {"uploads": ["bo-sung/x.pdf"]}, actor=APPLICANT)
    move(at("2026-11-09", "10:00"))
    office.act(d2, "done")  # due moved from 5 to 9 November: on time
    # D3 in person, a procedure without a published deadline unit: no due date
    d3 = at_the_counter(
        office,
        channel="truc_tiep",
        procedure="1.004873",
        version="2026-06-10",
        when=at("2026-11-02"),
    ).code
    move(at("2026-11-02", "11:00"))
    office.act(d3, "receive")
    move(at("2026-11-20"))
    office.act(d3, "done")
    move(at("2026-11-03"))  # D4 online: late, returned, rated not satisfied
    d4, s4 = office.file(a)
    office.act(d4, "receive")
    move(at("2026-11-25"))
    office.act(d4, "done")
    move(at("2026-11-26"))
    office.act(d4, "return_result", {"method": "truc_tiep"})
    rate(office, d4, s4, "khong_hai_long")
    # D5 by post to the second office in December: early, returned, rated satisfied
    d5 = at_the_counter(
        office,
        channel="buu_chinh",
        procedure="1.001612",
        version="2026-08-08",
        when=at("2026-12-01"),
    ).code
    move(at("2026-12-01", "09:30"))
    office.act(d5, "receive")
    move(at("2026-12-01", "10:00"))  # D6 online to the second office: withdrawn
    d6, _s6 = office.file(b)
    move(at("2026-12-02"))
    office.act(d5, "done")
    office.act(d6, "withdraw", {"reason": "Nộp nhầm"}, actor=APPLICANT)
    move(at("2026-12-02", "14:00"))  # D7 online: a supplement asked at reception, then refused
    d7, _s7 = office.file(a)
    office.act(d7, "request_supplement", {"items": ["Tờ khai có chữ ký"]})
    office.act(d7, "refuse", {"reason": "Không bổ sung"})
    move(at("2026-12-03"))
    office.act(d5, "return_result", {"method": "buu_chinh", "address": "Số 1 Lê Chân"})
    codes = [d1, d2, d3, d4, d5, d6, d7]
    outcomes = {c: office.dossiers.get(c).state.outcome for c in codes}
    return codes, outcomes, (a, b)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def run(tmp_path_factory, bundle_path) -> Run:
    return built_site(tmp_path_factory.mktemp("stats"), bundle_path)


def built_site(tmp: Path, bundle_path: Path) -> Run:
    """The dossiers run, exported, and the fixture catalogue's site built with the export in
    `tmp`/site (tests/browser/test_stats_page.py serves it too)."""
    office = make_office(tmp, bundle_path)
    try:
        codes, outcomes, offices = run_the_dossiers(office)
        # D5 came by post: no lookup secret was printed for it, so its rating is written to the
        # store as a rating taken at the desk would be.
        d5 = office.dossiers.get(codes[4])
        answers = {"tong_the": "hai_long", "thoi_gian": "hai_long", "can_bo": "rat_hai_long"}
        answers["truc_tuyen"] = "hai_long"
        at_desk = "2026-12-03T10:00:00+07:00"
        office.ratings.add(
            Rating(d5.code, d5.dossier.office, d5.dossier.procedure, at_desk, answers)
        )
        names = sorted({office.dossiers.get(c).dossier.applicant for c in codes} - {""})
        events = export_events(
            office.dossiers,
            office.ratings,
            calendar=office.service.bundle.calendar,
            rules_of=lambda _dossier: Rules(),
        )
    finally:
        office.close()
    export = tmp / "su-kien.jsonl"
    with export.open("w", encoding="utf-8") as out:
        write_events(events, out)
    out = io.StringIO()
    code = build_command(
        CATALOGUE,
        out=out,
        today=TODAY,
        site_dir=tmp / "site",
        cache_dir=tmp / "cache",
        stats=export,
    )
    assert code == 0, out.getvalue()
    return Run(codes, names, offices, outcomes, export, tmp / "site")


def published(run: Run, name: str) -> Path:
    return run.site / "du-lieu-mo" / "thong-ke" / name


def test_the_lifecycle_gave_each_outcome_the_figures_count(run):
    d1, d2, d3, d4, d5, _d6, _d7 = run.codes
    assert [run.outcomes[c] for c in (d1, d2, d3, d4, d5)] == [
        "truoc_han",
        "dung_han",
        None,
        "qua_han",
        "truoc_han",
    ]


def test_the_export_keeps_no_code_name_comment_or_exact_time(run):
    text = run.export.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 7 + 2 + 5 + 3  # received, supplements asked, finished, rated
    for secret in [*run.codes, *run.names, COMMENT, "Lê Chân", "Nộp nhầm", "T09:"]:
        assert secret not in text
    for name in ("su-kien.csv", "thong-ke.csv", "thong-ke.json"):
        body = published(run, name).read_text(encoding="utf-8")
        for secret in [*run.codes, *run.names, COMMENT]:
            assert secret not in body
    assert {line["month"] for line in lines} == {"2026-11", "2026-12"}
    assert lines == sorted(lines, key=lambda e: tuple(str(v) for v in e.values()))


def test_the_published_rows_are_the_figures_of_the_lifecycle(run):
    a, b = run.offices
    document = json.loads(published(run, "thong-ke.json").read_text(encoding="utf-8"))
    rows = {(r["month"], r["office"], r["field"]): r for r in document["rows"]}
    assert list(rows) == sorted(rows)
    assert set(rows) == {
        ("2026-11", a, "ho-kinh-doanh"),
        ("2026-11", a, "ho-tich"),
        ("2026-12", a, "ho-kinh-doanh"),
        ("2026-12", b, "ho-kinh-doanh"),
    }
    figures = [
        "received", "received_online", "received_in_person", "received_post",
        "supplement_requests", "finished", "finished_early", "finished_on_time",
        "finished_late", "finished_no_due_date", "average_working_days", "on_time_rate",
        "online_rate", "ratings", "ratings_not_satisfied", "satisfaction_rate",
    ]  # fmt: skip
    # D1 1 working day, D2 5 less the 2 the supplement stopped, D4 16: 20 / 3
    assert [rows["2026-11", a, "ho-kinh-doanh"][f] for f in figures] == [
        3, 3, 0, 0, 1, 3, 1, 1, 1, 0, 6.67, 66.7, 100.0, 2, 1, 50.0
    ]  # fmt: skip
    assert [rows["2026-11", a, "ho-tich"][f] for f in figures] == [
        1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 14.0, None, 0.0, 0, 0, None
    ]  # fmt: skip
    assert [rows["2026-12", a, "ho-kinh-doanh"][f] for f in figures] == [
        1, 1, 0, 0, 1, 0, 0, 0, 0, 0, None, None, 100.0, 0, 0, None
    ]  # fmt: skip
    assert [rows["2026-12", b, "ho-kinh-doanh"][f] for f in figures] == [
        2, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1.0, 100.0, 50.0, 1, 0, 100.0
    ]  # fmt: skip
    assert rows["2026-11", a, "ho-tich"]["field_name"] == "Hộ tịch"
    values = {i["indicator"]: i["value"] for i in document["indicators"] if i["indicator"]}
    assert values == {"on_time_rate": 75.0, "online_rate": 71.4, "satisfaction_rate": 66.7}
    assert [m["month"] for m in document["months"]] == ["2026-11", "2026-12"]


def test_the_recompute_script_reproduces_every_published_figure(run):
    done = subprocess.run(
        [sys.executable, str(RECOMPUTE), str(published(run, ""))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (
        0,
        "Mọi con số đã công bố đều khớp với số tính lại từ su-kien.csv.\n",
    )


@pytest.mark.parametrize(
    ("name", "old", "new", "found"),
    [
        ("thong-ke.csv", ",66.7,", ",66.6,", "on_time_rate '66.6', tính lại 66.7"),
        ("thong-ke.json", '"received": 2,', '"received": 3,', "received 3, tính lại 2"),
        ("thong-ke.json", '"value": 71.4', '"value": 71.5', "indicators online_rate: 71.5"),
    ],
)
def test_the_recompute_script_finds_a_figure_changed_after_publication(
    run, tmp_path, name, old, new, found
):
    folder = shutil.copytree(published(run, ""), tmp_path / "thong-ke")
    text = (folder / name).read_text(encoding="utf-8")
    assert old in text
    (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8", newline="")
    done = subprocess.run(
        [sys.executable, str(RECOMPUTE), str(folder)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert found in done.stdout


def test_the_open_data_is_a_valid_frictionless_package(run):
    from frictionless import Package

    report = Package(str(published(run, "datapackage.json"))).validate()
    errors = [e.note for task in report.tasks for e in task.errors] + [
        e.note for e in report.errors
    ]
    assert errors == []
    assert published(run, "thong-ke.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_page_draws_each_chart_as_svg_with_a_title_a_description_and_a_table(run):
    page = built.read(run.site / "thong-ke" / "index.html")
    assert "<script" not in page.split('<div class="md-content"', 1)[-1].split("</article>")[0]
    for key in ("tiep-nhan", "ket-qua", "hai-long"):
        assert f'role="img" aria-labelledby="{key}-tieu-de {key}-mo-ta"' in page
        assert f'<title id="{key}-tieu-de">' in page
        assert f'<desc id="{key}-mo-ta">' in page
    assert page.count("<caption>Bảng số liệu:") == 3
    assert "Không tính được" in page  # the groups our data cannot support, with why
    assert "Số hóa hồ sơ" in page
    assert "66,7" in page  # the November on-time rate, written the Vietnamese way


def test_without_an_export_the_page_says_there_is_no_data_yet(tmp_path):
    class Frame:
        def wrap(self, content: str, *, title: str, depth: int) -> str:
            return f"<title>{title}</title>{content}"

    site_stats.write(
        tmp_path,
        Frame(),
        None,
        procedure_fields={},
        field_names={},
        offices={},
        revision="r",
        today=TODAY,
    )
    page = built.read(tmp_path / "thong-ke" / "index.html")
    assert "Chưa có số liệu" in page
    assert not (tmp_path / "du-lieu-mo" / "thong-ke").exists()


def test_a_broken_export_line_is_named_with_its_file_and_line(tmp_path):
    export = tmp_path / "su-kien.jsonl"
    good = {
        "kind": "received",
        "month": "2026-11",
        "office": "x",
        "procedure": "1.001612",
        "channel": "truc_tuyen",
        "outcome": "",
        "working_days": "",
        "tong_the": "",
        "thoi_gian": "",
        "can_bo": "",
        "truc_tuyen": "",
    }
    lines = [good, good | {"channel": "fax"}, good | {"kind": "finished"}, {"kind": "rated"}]
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n")
    with pytest.raises(site_stats.StatsError) as refused:
        site_stats.read_events(export)
    message = str(refused.value)
    assert f"{export}:2: channel không hợp lệ cho received: 'fax'" in message
    assert f"{export}:3: channel không hợp lệ cho finished: 'truc_tuyen'" in message
    assert f"{export}:4: mỗi dòng là một đối tượng" in message
    assert f"{export}:5: không phải JSON" in message
    assert "Tệp sự kiện có 4 lỗi." in message


def test_motcua_export_events_writes_the_export_of_the_apps_stores(
    tmp_path,
    bundle_path,
    monkeypatch,
):
    office = make_office(tmp_path, bundle_path)
    office.file()
    office.close()
    key_file = tmp_path / "data.key"
    key_file.write_text(f"00000003:{b'ratings-and-stats-tests-key-32by'.hex()}\n")
    for name in ("MOTCUA_SECRET_KEY", "MOTCUA_SECRET_KEY_FILE", "MOTCUA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_STORAGE", "embedded")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOTCUA_DATA_KEY_FILE", str(key_file))
    monkeypatch.setenv("MOTCUA_BUNDLE", str(bundle_path))
    target = tmp_path / "out.jsonl"
    assert motcua(["export-events", str(target)]) == 0
    (line,) = target.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["kind"] == "received"


def test_motcua_export_events_without_a_bundle_says_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOTCUA_STORAGE", "embedded")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOTCUA_BUNDLE", str(tmp_path / "missing.json"))
    assert motcua(["export-events", str(tmp_path / "out.jsonl")]) == 2
    error = capsys.readouterr().err
    assert "chưa có gói danh mục" in error and "build.py bundle" in error
    assert "Traceback" not in error
    assert not (tmp_path / "out.jsonl").exists()
