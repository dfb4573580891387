"""`build.py import`: national-portal records (JSON files, folders, or the crawl's .tar.gz read in
place) become draft procedure versions in our own format, marked `review.status: imported`.

Each record is read by the small parsers of `importer_parse`; whatever they cannot read with
confidence stays word for word in `review.verbatim`, so nothing is dropped and nothing guessed.
A record that cannot become a valid version (no code, no level, broken JSON...) is refused with
its reason. Re-importing is a diff: a changed record becomes a new version that closes the
previous one, an identical one writes nothing. Every run ends with a Vietnamese report.
"""

import argparse
import datetime as dt
import json
import shutil
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from buildlib.catalogue.changes import compare
from buildlib.catalogue.schemas import SchemaSet
from buildlib.catalogue.yamlsource import load_text
from buildlib.errors import RefusedError
from buildlib.review.scaffold import CODE, set_top_level

from . import parse

PORTAL = "https://dichvucong.gov.vn"
KEYS = (
    "ma_thu_tuc", "detail_url", "ten_thu_tuc", "so_quyet_dinh", "cap_thuc_hien", "loai_thu_tuc",
    "linh_vuc", "doi_tuong_thuc_hien", "co_quan_co_tham_quyen", "dia_chi_tiep_nhan",
    "co_quan_duoc_uy_quyen", "co_quan_phoi_hop", "thu_tuc_lien_quan", "trinh_tu_thuc_hien",
    "cach_thuc_thuc_hien", "thanh_phan_ho_so", "can_cu_phap_ly", "co_quan_thuc_hien",
    "yeu_cau_dieu_kien", "ket_qua_xu_ly",
)  # fmt: skip
MAX_RECORD_BYTES = 20_000_000


@dataclass
class Source:
    record: str  # "archive.tar.gz:raw/bo-tu-phap/1.001193.json" or a file path
    data: bytes | None
    error: str | None = None


@dataclass
class Run:
    """Everything one import run learns, for the files it writes and the report."""

    out: Path
    start: str
    today: str
    total: int = 0
    written: list[str] = field(default_factory=list)
    new_versions: list[tuple[str, str, list[str]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    parsed: Counter = field(default_factory=Counter)
    verbatim: Counter = field(default_factory=Counter)
    level_texts: Counter = field(default_factory=Counter)
    agencies: dict[str, dict] = field(default_factory=dict)  # id -> agency document
    agency_ids: dict[str, str] = field(default_factory=dict)  # published name -> id
    fields: dict[str, str] = field(default_factory=dict)  # id -> name
    codes: set[str] = field(default_factory=set)


# --- reading the inputs -------------------------------------------------------------------------


def read_sources(paths: list[Path]) -> Iterator[Source]:
    """Records from JSON files, folders of them, and .tar(.gz) archives read without unpacking."""
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*.json") if p.is_file()):
                yield _file_source(file)
        elif path.name.endswith((".tar.gz", ".tgz", ".tar")):
            yield from _archive_sources(path)
        else:
            yield _file_source(path)


def _file_source(path: Path) -> Source:
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            return Source(str(path), None, "tệp quá lớn để là một bản ghi")
        return Source(str(path), path.read_bytes())
    except OSError as error:
        return Source(str(path), None, f"không đọc được tệp: {error.strerror or error}")


def _archive_sources(path: Path) -> Iterator[Source]:
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if not member.isfile() or not member.name.endswith(".json"):
                    continue
                record = f"{path}:{member.name}"
                if member.size > MAX_RECORD_BYTES:
                    yield Source(record, None, "tệp quá lớn để là một bản ghi")
                    continue
                handle = archive.extractfile(member)
                yield Source(record, handle.read() if handle else None)
    except (OSError, tarfile.TarError, EOFError) as error:
        yield Source(str(path), None, f"không đọc được tệp nén: {error}")


def decode(source: Source) -> dict[str, str]:
    """The record's fields as text; a missing or non-text field reads as empty."""
    if source.error or source.data is None:
        raise RefusedError(source.error or "không đọc được bản ghi")
    try:
        record = json.loads(source.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RefusedError(f"JSON không hợp lệ ({type(error).__name__})") from None
    if not isinstance(record, dict):
        raise RefusedError("không phải đối tượng JSON (bảng khóa: giá trị)")
    return {key: parse.clean(record.get(key)) for key in KEYS}


def record_code(record: dict[str, str]) -> str:
    code = record["ma_thu_tuc"].strip()
    if not code:
        raise RefusedError("thiếu mã thủ tục (ma_thu_tuc)")
    if not CODE.match(code):
        raise RefusedError(f"mã thủ tục sai định dạng: '{code[:40]}'")
    return code


# --- one record -> one draft version ------------------------------------------------------------


@dataclass
class Draft:
    data: dict
    parsed: list[str]
    verbatim: dict[str, str]


def build_draft(record: dict[str, str], source: str, run: Run) -> Draft:
    """The version a record describes; raises RefusedError when the schema's required parts (name,
    field, a level, an audience, a decision number, one channel) cannot be read."""
    code = record_code(record)
    name = record["ten_thu_tuc"]
    if not 3 <= len(name) <= 3000:
        raise RefusedError("thiếu tên thủ tục (ten_thu_tuc) hoặc tên không hợp lệ")
    field_id = parse.slugify(record["linh_vuc"])
    if not field_id:
        raise RefusedError("thiếu lĩnh vực (linh_vuc)")
    number = record["so_quyet_dinh"]
    if not number or len(number) > 200:
        raise RefusedError("thiếu số quyết định công bố (so_quyet_dinh)")
    parsed: list[str] = []
    verbatim: dict[str, str] = {}
    levels, other = parse.parse_levels(record["cap_thuc_hien"])
    if not levels:
        raise RefusedError(f"không có cấp thực hiện hợp lệ ('{record['cap_thuc_hien'][:60]}')")
    _tally("levels", not other, record["cap_thuc_hien"], parsed, verbatim)
    audiences, leftover = parse.parse_audiences(record["doi_tuong_thuc_hien"])
    if not audiences:
        raise RefusedError("không đọc được đối tượng thực hiện (doi_tuong_thuc_hien)")
    _tally("audiences", not leftover, record["doi_tuong_thuc_hien"], parsed, verbatim)
    channels = parse.parse_channels(record["cach_thuc_thuc_hien"])
    if not channels.channels:
        raise RefusedError("không đọc được cách thức thực hiện (kênh nộp, thời hạn, phí)")
    run.parsed["channels.deadline"] += channels.deadlines_parsed
    run.verbatim["channels.deadline"] += channels.deadlines_verbatim
    run.parsed["channels.fees"] += channels.fees_parsed
    run.verbatim["channels.fees"] += channels.fees_verbatim
    whole = channels.rows_confident and not channels.deadlines_verbatim
    if whole and not channels.fees_verbatim:
        parsed.append("channels")
    else:
        verbatim["channels"] = record["cach_thuc_thuc_hien"]
    data: dict[str, Any] = {"code": code, "name": name, "field": field_id, "levels": levels}
    if record["loai_thu_tuc"]:
        data["procedure_type"] = record["loai_thu_tuc"]
    data["audiences"] = audiences
    if record["doi_tuong_thuc_hien"]:
        data["audience_text"] = record["doi_tuong_thuc_hien"]
    data["decision"] = {"number": number, "date": "unpublished"}
    data["effective_from"] = run.start
    data["change"] = {"kind": "new", "summary": "Nhập tự động từ bản ghi Cổng DVCQG."}
    data["channels"] = channels.channels
    data["cases"] = [_case(record, parsed, verbatim)]
    _optional_parts(data, record, parsed, verbatim, run)
    data["agencies"] = _agencies(record, levels, code, run, verbatim)
    if record["dia_chi_tiep_nhan"]:
        data["intake"] = {"text": record["dia_chi_tiep_nhan"][: parse.MAX_TEXT]}
    online = any(c["kind"] == "online" for c in channels.channels)
    data["online_service"] = {"kind": "unpublished" if online else "none"}
    data["unpublished"] = _unpublished(data)
    data["review"] = {"status": "imported", "source_record": source, "imported_at": run.today}
    if verbatim:
        data["review"]["verbatim"] = verbatim
    data["sources"] = [_source(code, record["detail_url"], source)]
    run.fields.setdefault(field_id, record["linh_vuc"][:200])
    run.level_texts.update(other)
    return Draft(data, parsed, verbatim)


def _case(record: dict[str, str], parsed: list[str], verbatim: dict[str, str]) -> dict:
    steps, ok = parse.parse_steps(record["trinh_tu_thuc_hien"])
    _tally("steps", ok, record["trinh_tu_thuc_hien"], parsed, verbatim)
    documents, ok = parse.parse_documents(record["thanh_phan_ho_so"])
    _tally("documents", ok, record["thanh_phan_ho_so"], parsed, verbatim)
    return {"id": "chung", "name": "Trường hợp chung", "steps": steps, "documents": documents}


def _tally(key: str, ok: bool, text: str, parsed: list[str], verbatim: dict[str, str]) -> None:
    if ok:
        parsed.append(key)
    else:
        verbatim[key] = text


def _optional_parts(
    data: dict, record: dict[str, str], parsed: list[str], verbatim: dict[str, str], run: Run
) -> None:
    conditions, ok = parse.parse_conditions(record["yeu_cau_dieu_kien"])
    _tally("conditions", ok, record["yeu_cau_dieu_kien"], parsed, verbatim)
    if conditions is not None:
        data["conditions"] = conditions
    results, ok = parse.parse_result(record["ket_qua_xu_ly"])
    _tally("result", ok, record["ket_qua_xu_ly"], parsed, verbatim)
    if results:
        data["result"] = results
    basis, ok = parse.parse_legal_basis(record["can_cu_phap_ly"])
    _tally("legal_basis", ok, record["can_cu_phap_ly"], parsed, verbatim)
    if basis:
        data["legal_basis"] = basis
    text = record["thu_tuc_lien_quan"]
    codes = [c for c in parse.related_codes(text) if c in run.codes and c != data["code"]]
    if codes:
        data["related"] = codes
    if not parse.is_empty(text):
        _tally("related", len(codes) == len(parse.related_codes(text)) > 0, text, parsed, verbatim)
    if record["co_quan_duoc_uy_quyen"]:
        verbatim["co_quan_duoc_uy_quyen"] = record["co_quan_duoc_uy_quyen"]


def _unpublished(data: dict) -> list[str]:
    """What the source does not publish, so the site says "chưa được công bố"."""
    items = ["effective_from", "decision.date"]
    if any(b["date"] == "unpublished" for b in data.get("legal_basis", [])):
        items.append("legal_basis.date")
    channels = data["channels"]
    if any(c["deadline"].get("unit") == "unpublished" for c in channels):
        items.append("channels.deadline.unit")
    if any(c["deadline"].get("amount") == "unpublished" for c in channels):
        items.append("channels.deadline.amount")
    if any(c["fees"]["status"] == "unpublished" for c in channels):
        items.append("channels.fees")
    if data["online_service"]["kind"] == "unpublished":
        items.append("online_service.kind")
    if any(a.startswith("chua-cong-bo-") for a in data["agencies"]["implementing"]):
        items.append("agencies.implementing")
    return items


def _source(code: str, url: str, record: str) -> dict:
    source: dict = {"title": f"Cổng Dịch vụ công quốc gia, bản ghi thủ tục {code}"}
    if url.startswith(("https://", "http://")) and len(url) < 500 and " " not in url:
        source["url"] = url
    source["path"] = record
    source["note"] = "Nhập tự động bằng build.py import; bảng của Cổng bị làm phẳng khi thu thập."
    return source


# --- agencies and fields --------------------------------------------------------------------


def _agencies(
    record: dict[str, str], levels: list[str], code: str, run: Run, verbatim: dict[str, str]
) -> dict:
    implementing = _agency_ids(record["co_quan_thuc_hien"], levels, code, run)
    if not implementing:
        implementing = [_placeholder(levels[0], run)]
    agencies: dict[str, list[str]] = {"implementing": implementing}
    for role, key in (("competent", "co_quan_co_tham_quyen"), ("coordinating", "co_quan_phoi_hop")):
        ids = _agency_ids(record[key], levels, code, run)
        if ids:
            agencies[role] = ids
    return agencies


def _agency_ids(text: str, levels: list[str], code: str, run: Run) -> list[str]:
    """One agency per published text: the portal's lists mix commas inside names ("Thuế tỉnh,
    thành phố") with commas between names, so the text is not split."""
    if parse.is_empty(text) or len(text) < 3:
        return []
    name = text[:500]
    if name in run.agency_ids:
        return [run.agency_ids[name]]
    base = parse.slugify(name, 72) or "co-quan"
    agency_id, n = base, 2
    while agency_id in run.agencies and run.agencies[agency_id]["name"] != name:
        agency_id, n = f"{base}-{n}", n + 1
    level = parse.agency_level(name)
    source: dict = {"title": "Cổng Dịch vụ công quốc gia (tên cơ quan trong bản ghi thủ tục)"}
    source["url"] = PORTAL
    if level is None:
        level = levels[0]
        source["note"] = (
            f"Tên cơ quan không nói rõ cấp; tạm ghi theo cấp thực hiện của thủ tục {code}. "
            "Cần rà soát."
        )
    agency: dict = {"id": agency_id, "identifier": "unpublished", "name": name, "level": level}
    kind = parse.agency_kind(name)
    if kind:
        agency["kind"] = kind
    agency["sources"] = [source]
    run.agencies.setdefault(agency_id, agency)
    run.agency_ids[name] = agency_id
    return [agency_id]


PLACEHOLDER_NAMES = {
    "trung-uong": "cấp bộ",
    "tinh": "cấp tỉnh",
    "xa": "cấp xã",
    "khac": "cơ quan khác",
    "huyen": "huyện",
}


def _placeholder(level: str, run: Run) -> str:
    """The portal says "Không có thông tin": an explicit "not published" agency of that level."""
    agency_id = f"chua-cong-bo-{level}"
    run.agencies.setdefault(
        agency_id,
        {
            "id": agency_id,
            "identifier": "unpublished",
            "name": f"Cơ quan thực hiện chưa được công bố ({PLACEHOLDER_NAMES[level]})",
            "level": level,
            "generic": True,
            "sources": [
                {
                    "title": "Cổng Dịch vụ công quốc gia",
                    "url": PORTAL,
                    "note": "Cổng ghi cơ quan thực hiện là 'Không có thông tin'; "
                    "cấp lấy theo cấp thực hiện của thủ tục.",
                }
            ],
        },
    )
    return agency_id


# --- writing: YAML, versions, agencies, fields --------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """No anchors/aliases (check refuses them) and block style for multi-line text."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: dict, comment: str) -> str:
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return f"# {comment}\n{body}"


VOLATILE = ("effective_from", "effective_to", "change", "ended", "sources", "notes", "review")


def content(version: dict) -> dict:
    """What the ministry publishes: the version without dates, provenance and review state
    (but with the verbatim texts, which are content not yet structured)."""
    kept = {k: v for k, v in version.items() if k not in VOLATILE}
    kept["verbatim"] = (version.get("review") or {}).get("verbatim", {})
    return kept


def write_version(draft: Draft, run: Run) -> None:
    """A first version, or a new version closing the latest one, or nothing when identical."""
    code, data = draft.data["code"], draft.data
    folder = run.out / "procedures" / code
    versions = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    comment = f"Thủ tục {code}: bản nháp nhập từ Cổng DVCQG, chưa rà soát (review.status)."
    if not versions:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{run.start}.yaml").write_text(dump(data, comment), encoding="utf-8")
        run.written.append(code)
        return
    latest = versions[-1]
    text = latest.read_text(encoding="utf-8")
    old, problems = load_text(text, str(latest))
    if not isinstance(old, dict) or problems:
        raise RefusedError(f"không đọc được phiên bản hiện có {latest.name}; chạy build.py check")
    if content(old) == content(data):
        run.unchanged.append(code)
        return
    if "ended" in old:
        raise RefusedError(f"thủ tục đã kết thúc ở phiên bản {latest.stem}; không thêm phiên bản")
    if latest.stem >= run.start or old.get("effective_to"):
        raise RefusedError(
            f"đã có phiên bản {latest.stem} không đóng được từ {run.start}; dùng --effective-from"
        )
    changes = [c.markdown() for c in compare(old, data)]
    data["change"] = {
        "kind": "amended",
        "summary": f"Nhập lại từ Cổng DVCQG: bản ghi khác phiên bản {latest.stem} "
        f"({len(changes)} thay đổi, xem build.py diff).",
    }
    (folder / f"{run.start}.yaml").write_text(dump(data, comment), encoding="utf-8")
    closed = set_top_level(text, "effective_to", run.start, after="effective_from")
    latest.write_text(closed, encoding="utf-8")
    run.new_versions.append((code, latest.stem, changes))


def load_existing(run: Run, repo_catalogue: Path) -> None:
    """Fields, agencies and procedure codes already in the output catalogue, kept as they are."""
    fields_file = run.out / "fields.yaml"
    if fields_file.is_file():
        data, _ = load_text(fields_file.read_text(encoding="utf-8"), str(fields_file))
        for item in (data or {}).get("fields", []) if isinstance(data, dict) else []:
            if isinstance(item, dict) and item.get("id"):
                run.fields[str(item["id"])] = str(item.get("name", item["id"]))
    for file in sorted((run.out / "agencies").glob("*.yaml")):
        data, _ = load_text(file.read_text(encoding="utf-8"), str(file))
        if isinstance(data, dict) and data.get("name"):
            run.agencies[file.stem] = {**data, "existing": True}
            run.agency_ids.setdefault(str(data["name"]), file.stem)
    if (run.out / "procedures").is_dir():
        run.codes.update(p.name for p in (run.out / "procedures").iterdir() if p.is_dir())


def write_shared(run: Run, repo_catalogue: Path) -> None:
    """fields.yaml, one file per agency, and the units/calendar that agencies and check need."""
    fields = [{"id": key, "name": name} for key, name in run.fields.items()]
    if fields:
        text = dump({"fields": fields}, "Danh mục lĩnh vực (nhập từ cột Lĩnh vực của Cổng DVCQG).")
        (run.out / "fields.yaml").write_text(text, encoding="utf-8")
    (run.out / "agencies").mkdir(parents=True, exist_ok=True)
    for agency_id, agency in run.agencies.items():
        target = run.out / "agencies" / f"{agency_id}.yaml"
        if not agency.get("existing") and not target.exists():
            target.write_text(dump(agency, "Cơ quan nhập từ Cổng DVCQG."), encoding="utf-8")
    for folder in ("units", "calendar"):
        if (repo_catalogue / folder).is_dir():
            shutil.copytree(repo_catalogue / folder, run.out / folder, dirs_exist_ok=True)


# --- the run --------------------------------------------------------------------------------


def import_records(
    paths: list[Path], out: Path, *, start: str, today: str, repo_catalogue: Path
) -> Run:
    """Reads every record, refuses what cannot be a version, writes the rest into `out`."""
    run = Run(out=out, start=start, today=today)
    out.mkdir(parents=True, exist_ok=True)
    load_existing(run, repo_catalogue)
    decoded: list[tuple[str, dict[str, str] | None, str | None]] = []
    for source in read_sources(paths):
        run.total += 1
        try:
            read = decode(source)
            run.codes.add(record_code(read))
            decoded.append((source.record, read, None))
        except RefusedError as refusal:
            decoded.append((source.record, None, str(refusal)))
    schemas = SchemaSet()
    seen: set[str] = set()
    for record_name, record, reason in decoded:
        try:
            if record is None:
                raise RefusedError(reason or "không đọc được bản ghi")
            code = record_code(record)
            if code in seen:
                raise RefusedError(f"mã {code} trùng với một bản ghi khác trong cùng lần nhập")
            seen.add(code)
            draft = build_draft(record, record_name, run)
            errors = list(schemas.errors("procedure", draft.data))
            if errors:
                path, message, _ = errors[0]
                where = ".".join(str(p) for p in path)
                raise RefusedError(f"bản nháp không hợp lệ theo lược đồ: {where}: {message}")
            write_version(draft, run)
            run.parsed.update(draft.parsed)
            run.verbatim.update(draft.verbatim.keys())
        except RefusedError as refusal:
            run.refused.append((record_name, str(refusal)))
    write_shared(run, repo_catalogue)
    return run


def report(run: Run, seconds: float) -> str:
    """The run in Vietnamese Markdown: every record is imported, unchanged or refused."""
    imported = len(run.written) + len(run.new_versions) + len(run.unchanged)
    lines = [
        f"# Báo cáo nhập từ CSDL quốc gia ({run.today})",
        "",
        f"- Bản ghi đọc được: **{run.total}**; nhập: **{imported}**; từ chối: "
        f"**{len(run.refused)}** (nhập + từ chối = {imported + len(run.refused)}).",
        f"- Thủ tục mới: {len(run.written)}; phiên bản mới của thủ tục đã có: "
        f"{len(run.new_versions)}; không đổi (không ghi gì): {len(run.unchanged)}.",
        f"- Ngày hiệu lực của phiên bản nhập: {run.start}; thư mục: `{run.out}`; "
        f"thời gian: {seconds:.1f} giây.",
        "",
        "## Các trường: phân tích được / giữ nguyên văn",
        "",
        "Giữ nguyên văn = không đọc được chắc chắn, văn bản gốc nằm trong `review.verbatim` "
        "(thời hạn và phí còn nằm ở `published_text` của từng kênh).",
        "",
        "| trường | phân tích được | giữ nguyên văn |",
        "|---|---:|---:|",
    ]
    for key in sorted(set(run.parsed) | set(run.verbatim)):
        lines.append(f"| {key} | {run.parsed[key]} | {run.verbatim[key]} |")
    if run.level_texts:
        lines += ["", "## Cấp thực hiện không dùng được làm cấp (giữ ở `verbatim.levels`)", ""]
        lines += [f"- {text}: {count} bản ghi" for text, count in run.level_texts.most_common()]
    guessed = sorted(a["id"] for a in run.agencies.values() if _level_note(a))
    lines += ["", f"## Cơ quan: {len(run.agencies)} tệp", ""]
    lines.append(f"- Cơ quan mà tên không nói rõ cấp (cấp tạm theo thủ tục): {len(guessed)}.")
    if run.new_versions:
        lines += ["", "## Phiên bản mới (bộ, ngành đã thay đổi bản ghi)", ""]
        for code, previous, changes in run.new_versions:
            lines.append(f"- {code}: khác phiên bản {previous}, {len(changes)} thay đổi")
            lines += [f"  - {change[:300]}" for change in changes[:20]]
    if run.unchanged:
        lines += ["", f"## Không đổi, không ghi gì: {len(run.unchanged)} thủ tục", ""]
        lines.append(", ".join(run.unchanged[:200]) + (" ..." if len(run.unchanged) > 200 else ""))
    if run.refused:
        lines += ["", "## Từ chối", "", "| lý do | số bản ghi |", "|---|---:|"]
        reasons = Counter(_reason_kind(reason) for _, reason in run.refused)
        lines += [f"| {reason} | {count} |" for reason, count in reasons.most_common()]
        lines += ["", "| bản ghi | lý do |", "|---|---|"]
        lines += [f"| `{name}` | {reason} |" for name, reason in run.refused]
    return "\n".join(lines) + "\n"


def _level_note(agency: dict) -> bool:
    return any("tạm ghi theo cấp" in s.get("note", "") for s in agency.get("sources", []))


def _reason_kind(reason: str) -> str:
    """Reasons grouped for the summary table: the part before any quoted detail."""
    return reason.split(" '")[0].split(" (")[0].split(":")[0]


def summary(run: Run, seconds: float) -> str:
    imported = len(run.written) + len(run.new_versions) + len(run.unchanged)
    return (
        f"Nhập {imported}/{run.total} bản ghi ({len(run.written)} mới, "
        f"{len(run.new_versions)} phiên bản mới, {len(run.unchanged)} không đổi), "
        f"từ chối {len(run.refused)}, {seconds:.1f} giây."
    )


def import_command(root: Path, args: argparse.Namespace, *, out: TextIO) -> int:
    paths = [Path(p) for p in args.paths] or [
        root.parent / "shared" / "reference" / "procedures" / "chatbot_tthc-raw-all.tar.gz"
    ]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"Không tìm thấy: {', '.join(missing)}", file=out)
        return 2
    today = dt.date.today().isoformat()
    start = args.effective_from or today
    try:
        dt.date.fromisoformat(start)
    except ValueError:
        print(f"Ngày '{start}' sai định dạng YYYY-MM-DD.", file=out)
        return 2
    target = Path(args.out)
    began = time.monotonic()
    run = import_records(paths, target, start=start, today=today, repo_catalogue=root / "catalogue")
    seconds = time.monotonic() - began
    report_file = Path(args.report) if args.report else target.resolve().parent / "import-report.md"
    report_file.parent.mkdir(parents=True, exist_ok=True)
    report_file.write_text(report(run, seconds), encoding="utf-8")
    print(f"{summary(run, seconds)} Báo cáo: {report_file}", file=out)
    return 0
