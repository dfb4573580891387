"""`build.py import-listing`: the Vĩnh Bảo commune listing becomes unreviewed draft versions.

The listing is the master-data audit of Trung tâm Phục vụ hành chính công xã Vĩnh Bảo (Hải
Phòng), `procedures/vinh-bao/data/master-data-audit.csv` in the reference folder: 780 codes with
name, lĩnh vực, status, the city decisions and their official links, and the cross-boundary
flag. For every code the catalogue does not hold yet:

- a current code (publishable) becomes a draft version in force from the listing's active date,
  with the listing's own facts and, where the national crawl has the code, the details the
  importer's parsers read from that record; everything else is `unpublished`;
- an excluded code becomes what it is: a last version ended by the city decision that abolished
  it, or a version scheduled from the day the decision brings it into force.

Every draft is marked `review.status: imported` and cites the listing row (and the record) in
`sources`. Nothing is guessed: a value neither source gives is listed in `unpublished`. A code
whose folder holds a version that is not one of these drafts (a reviewed one) is left alone, and
a draft of this command beside such a version is deleted (the reviewed version replaces it), so
re-running the command rewrites only its own drafts, byte for byte the same when nothing changed.
"""

import argparse
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from buildlib.catalogue.schemas import SchemaSet
from buildlib.catalogue.yamlsource import load_text
from buildlib.errors import BuildError, RefusedError

from . import command, parse

LISTING_REPO = "hongdienvbhp/BangNiemYetVinhBao"
LISTING_PATH = "data/master-data-audit.csv"
LISTING_COMMIT = "1457a44e3d1164980c1f32f2c1821bfe3e40fe2e"
LISTING_SNAPSHOT = "2026-10-01"
LISTING_FILE = Path("procedures") / "vinh-bao" / LISTING_PATH
CRAWL_REPO = "chatbot-tthc/chatbot_tthc"
CRAWL_COMMIT = "7b79a320cbbd6727c1ef7551fd13e8eff9e410e7"
CRAWL_RETRIEVED = "2026-06-10"
# The whole crawl in the shared collection, or the subset of it the repository vendors.
CRAWLS = ("chatbot_tthc-raw-vinh-bao.tar.gz", "chatbot_tthc-raw-all.tar.gz")
CENTRE = "trung-tam-pvhcc-xa-vinh-bao"
CITY = "UBND thành phố Hải Phòng"
# The commune of Vĩnh Bảo exists from this day (two-level local government); an excluded code's
# last version at the commune cannot have begun earlier, and no source gives a later start.
COMMUNE_FROM = "2025-07-01"
MARKER = "build.py import-listing"  # review.source_record of every draft this command writes
_IN_FORCE_FROM = re.compile(r"có hiệu lực từ (\d{4}-\d{2}-\d{2})")
_REPEALED_BY = re.compile(r"theo (\S+/QĐ-\S+)")
# Dates are written unquoted, as the catalogue's editors write them (the loader keeps them text).
_ISO_QUOTED = re.compile(r"^(\s*(?:- )?[a-z_]+: )'(\d{4}-\d{2}-\d{2})'$", re.M)


@dataclass
class Listing:
    """What one run reads and writes."""

    catalogue: Path
    rows: list[dict[str, str]]
    records: dict[str, tuple[str, dict[str, str]]]  # code -> (record path, decoded record)
    fields: dict[str, str] = field(default_factory=dict)  # id -> name, catalogue/fields.yaml
    new_fields: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # codes the catalogue already holds
    refused: list[tuple[str, str]] = field(default_factory=list)
    replaced_by: dict[str, list[str]] = field(default_factory=dict)  # from change.replaces
    dropped: list[str] = field(default_factory=list)  # drafts a reviewed version replaced


# --- reading ------------------------------------------------------------------------------------


def read_rows(reference: Path) -> list[dict[str, str]]:
    file = reference / LISTING_FILE
    if not file.is_file():
        raise BuildError(f"Không tìm thấy dữ liệu chủ xã Vĩnh Bảo: {file}")
    with file.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_records(reference: Path, codes: set[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """The national records of `codes`, from the first crawl archive the reference folder has."""
    for name in CRAWLS:
        archive = reference / "procedures" / name
        if archive.is_file():
            return dict(_records(archive, codes))
    return {}


def _records(archive: Path, codes: set[str]) -> Iterator[tuple[str, tuple[str, dict[str, str]]]]:
    for source in command.read_sources([archive]):
        code = Path(source.record.rsplit(":", 1)[-1]).stem
        if code in codes:
            member = source.record.rsplit(":", 1)[-1]
            yield code, (f"scripts/crawler/data/{member}", command.decode(source))


def read_replacements(catalogue: Path, codes: set[str]) -> dict[str, list[str]]:
    """Old code -> the codes whose versions (not drafts of this command) say they replace it."""
    out: dict[str, list[str]] = {}
    for file in sorted((catalogue / "procedures").glob("*/*.yaml")):
        if file.parent.name not in codes:
            continue
        data, _ = load_text(file.read_text(encoding="utf-8"), str(file))
        change = data.get("change") if isinstance(data, dict) else None
        for old in (change or {}).get("replaces", []) if isinstance(change, dict) else []:
            if data["code"] not in out.setdefault(str(old), []):
                out[str(old)].append(str(data["code"]))
    return out


def read_fields(catalogue: Path) -> dict[str, str]:
    data, _ = load_text((catalogue / "fields.yaml").read_text(encoding="utf-8"), "fields.yaml")
    return {str(f["id"]): str(f["name"]) for f in data["fields"]}


# --- the listing's own facts -------------------------------------------------------------------


def sentence_case(text: str) -> str:
    """The listing writes lĩnh vực in capitals ("BẢO TRỢ XÃ HỘI"): "Bảo trợ xã hội"."""
    text = " ".join(text.split()).lower()
    return text[:1].upper() + text[1:]


def field_id(listing: Listing, name: str) -> str:
    """The catalogue field whose name is the listing's lĩnh vực (compared as verify does), or a
    new one named as the listing names it."""
    from buildlib.review.verify import fold

    for known in (listing.fields, listing.new_fields):
        for key, value in known.items():
            if fold(value) == fold(name):
                return key
    base = parse.slugify(name)
    key = base if base not in listing.fields else f"nganh-{base}"
    listing.new_fields[key] = sentence_case(name)
    return key


def decision_numbers(row: dict[str, str]) -> list[str]:
    return [n.strip() for n in row["decision_numbers"].split(";") if n.strip()]


def publishing_decision(row: dict[str, str]) -> str:
    """The decision the row's article publishes (its number is in the article's address), else
    the last the row lists (the rows list them oldest first)."""
    numbers = decision_numbers(row)
    address = row["article_url"].lower()
    for number in numbers:
        if f"so-{number.split('/')[0]}-" in address or f"qd-{number.split('/')[0]}" in address:
            return number
    return numbers[-1] if numbers else "unpublished"


def listing_source(row: dict[str, str], fields: list[str]) -> dict:
    return {
        "title": "Dữ liệu chủ TTHC của Trung tâm PVHCC xã Vĩnh Bảo (Hải Phòng), bảng kiểm chứng "
        f"master-data-audit.csv, snapshot {LISTING_SNAPSHOT}, dòng {row['ma']}",
        "repo": LISTING_REPO,
        "path": LISTING_PATH,
        "commit": LISTING_COMMIT,
        "fields": fields,
        "note": f"Trạng thái trong dữ liệu chủ: {row['status']}"
        + (f" ({row['reason']})" if row["reason"] else "")
        + f"; quyết định ghi trong dòng: {row['decision_numbers'] or 'không có'}.",
    }


def decision_source(row: dict[str, str], number: str) -> dict:
    what = f"Quyết định {number}" if number != "unpublished" else "Quyết định công bố"
    source: dict[str, Any] = {"title": f"{what} ({CITY}), như dữ liệu chủ ghi"}
    if row["article_url"].startswith("https://"):
        source["url"] = row["article_url"]
    if row["attachment_url"].startswith("https://"):
        source["note"] = f"Tệp quyết định chính thức: {row['attachment_url']}"
    source["fields"] = ["decision"]
    return source


def record_source(code: str, path: str, record: dict[str, str]) -> dict:
    source: dict[str, Any] = {"title": f"Cổng DVCQG, bản ghi thủ tục {code}"}
    url = record["detail_url"]
    if url.startswith("https://") and " " not in url and len(url) < 500:
        source["url"] = url
    source |= {
        "repo": CRAWL_REPO,
        "path": path,
        "commit": CRAWL_COMMIT,
        "retrieved": CRAWL_RETRIEVED,
        "fields": [
            "levels",
            "procedure_type",
            "audiences",
            "channels",
            "cases",
            "conditions",
            "result",
            "agencies",
            "intake.text",
            "legal_basis",
        ],
        "note": "Đọc tự động bằng bộ phân tích của build.py import; bảng của Cổng bị làm phẳng "
        "khi thu thập, phần không đọc chắc chắn giữ nguyên văn trong review.verbatim.",
    }
    return source


def _cross_boundary(row: dict[str, str]) -> dict:
    allowed = row["phi_dia_gioi"] == "True"
    return {
        "allowed": allowed,
        "sources": [
            {
                "title": f"Dữ liệu chủ xã Vĩnh Bảo, cột phi_dia_gioi của dòng {row['ma']}",
                "repo": LISTING_REPO,
                "path": LISTING_PATH,
                "commit": LISTING_COMMIT,
            }
        ],
    }


# --- the drafts ---------------------------------------------------------------------------------


def current_draft(listing: Listing, row: dict[str, str], run: command.Run) -> dict:
    """A code the listing publishes: its facts, the national record's details where the crawl
    has the code, `unpublished` for the rest."""
    code = row["ma"]
    number = publishing_decision(row)
    found = listing.records.get(code)
    data = _bare(code)
    if found:
        try:
            draft = command.build_draft(found[1], found[0], run)
        except RefusedError:  # a record the importer cannot read: the listing's facts alone
            found = None
        else:
            data = draft.data
            # The importer lists effective_from (its run's day); here it is the listing's date.
            data["unpublished"].remove("effective_from")
            _known_agencies(data, found[1], run)
    data["name"] = row["ten"]
    record_name = found[1]["ten_thu_tuc"] if found else ""
    if record_name and _same_name(record_name, row["ten"]):
        # The listing's name often runs on into the decision's text ("... - Điều 2 Nghị định
        # ..."): the record's name, of which it is the start, is the name (verify's own rule).
        data["name"] = record_name
    data["field"] = field_id(listing, row["linhVuc"])
    data["decision"] = {"number": number, "date": "unpublished", "issuer": CITY}
    if number == "unpublished":
        data.setdefault("unpublished", []).append("decision.number")
    data["effective_from"] = row["active_date"]
    data["change"] = {
        "kind": "new",
        "summary": "Nhập tự động từ dữ liệu chủ xã Vĩnh Bảo"
        + (" và bản ghi Cổng DVCQG." if found else "."),
    }
    intake = data.setdefault("intake", {})
    intake["agencies"] = [CENTRE]
    data["cross_boundary"] = _cross_boundary(row)
    online = data.get("online_service", {"kind": "unpublished"})
    online["note"] = (
        "Dữ liệu chủ xã Vĩnh Bảo không ghi mức toàn trình hay một phần; "
        "chưa có biểu mẫu nộp trực tuyến trên trang này."
    )
    data["online_service"] = online
    facts = ["code", "name", "field", "effective_from", "intake.agencies", "cross_boundary"]
    if data["name"] != row["ten"]:
        facts.remove("name")
    if not found:
        facts.append("levels")
    sources = [listing_source(row, facts), decision_source(row, number)]
    if found:
        sources.append(record_source(code, found[0], found[1]))
        if data["name"] != row["ten"]:
            sources[-1]["fields"].insert(0, "name")
    data["sources"] = sources
    return _finish(data, found is not None)


def _same_name(record: str, listing: str) -> bool:
    """The listing's name is the record's followed by text of the decision it was read from: a
    number ("- Điều 2 Nghị định số 351/2025/NĐ-CP ...") or a heading in capitals ("II LĨNH VỰC
    ĐĂNG KIỂM"). verify accepts either name (one starts the other)."""
    if not listing.casefold().startswith(record.casefold()):
        return False
    tail = listing[len(record) :].strip()
    return bool(tail) and (any(ch.isdigit() for ch in tail) or tail.upper() == tail)


def _known_agencies(data: dict, record: dict[str, str], run: command.Run) -> None:
    """The record's agencies where the catalogue already has them by that very name; a name it
    does not have (the portal's lists often run several agencies into one text) stays word for
    word in review.verbatim for the reviewer, and the commune centre that receives the file is
    named instead."""
    agencies = data["agencies"]
    verbatim = data.setdefault("review", {}).setdefault("verbatim", {})
    for role, key in (
        ("implementing", "co_quan_thuc_hien"),
        ("competent", "co_quan_co_tham_quyen"),
        ("coordinating", "co_quan_phoi_hop"),
    ):
        ids = [a for a in agencies.get(role, []) if run.agencies.get(a, {}).get("existing")]
        if len(ids) < len(agencies.get(role, [])):
            verbatim[key] = record[key]
        if ids:
            agencies[role] = ids
        else:
            agencies.pop(role, None)
    if "implementing" not in agencies:
        agencies["implementing"] = [CENTRE]
        data.setdefault("unpublished", []).append("agencies.implementing")
    if not verbatim:
        del data["review"]["verbatim"]


def ended_draft(listing: Listing, row: dict[str, str]) -> dict:
    """A code the listing excludes: abolished (a last version ending on the repeal date) or not
    yet in force (a version scheduled from the day its decision gives)."""
    code = row["ma"]
    data = _bare(code)
    data["name"] = row["ten"]
    data["field"] = field_id(listing, row["linhVuc"])
    numbers = decision_numbers(row)
    scheduled = _IN_FORCE_FROM.search(row["reason"])
    source = listing_source(row, ["code", "name", "field", "levels"])
    if scheduled:
        number = publishing_decision(row)
        data["decision"] = {"number": number, "date": "unpublished", "issuer": CITY}
        data["effective_from"] = scheduled.group(1)
        source["fields"].append("effective_from")
        data["change"] = {"kind": "new", "summary": row["reason"] + " (dữ liệu chủ xã Vĩnh Bảo)."}
        source["differences"] = [
            {
                "field": "status",
                "reason": "other-source",
                "note": f"Dữ liệu chủ chưa công khai mã này vì {row['reason'].lower()}; phiên "
                "bản này chỉ bắt đầu áp dụng từ ngày đó, theo chính quyết định dữ liệu chủ ghi.",
            }
        ]
        data["sources"] = [source, decision_source(row, number)]
        return _finish(data, False)
    repealed = _REPEALED_BY.search(row["reason"])
    number = repealed.group(1) if repealed and repealed.group(1) in numbers else "; ".join(numbers)
    if not number or not row["repeal_date"]:
        raise RefusedError(f"dữ liệu chủ không ghi quyết định hoặc ngày bãi bỏ ({row['reason']})")
    active = row["active_date"]
    start = active if active and active < row["repeal_date"] else ""
    data["decision"] = {"number": "unpublished", "date": "unpublished"}
    data["effective_from"] = start or COMMUNE_FROM
    data["effective_to"] = row["repeal_date"]
    source["fields"] += ["effective_from", "effective_to"] if start else ["effective_to"]
    data["change"] = {"kind": "new", "summary": "Phiên bản cuối cùng được dữ liệu chủ ghi nhận."}
    data["ended"] = {
        "kind": "abolished",
        "decision": {"number": number, "date": "unpublished", "issuer": CITY},
        "note": f"{row['reason']}, từ ngày {_vn_date(row['repeal_date'])} (dữ liệu chủ xã Vĩnh "
        "Bảo). Không còn tiếp nhận hồ sơ theo thủ tục này.",
    }
    successors = listing.replaced_by.get(code)
    if successors:  # a reviewed procedure of the catalogue says it replaces this one
        data["ended"] = {
            "kind": "replaced",
            "decision": data["ended"]["decision"],
            "replaced_by": successors,
            "note": data["ended"]["note"].replace("Không còn tiếp nhận hồ sơ theo thủ tục này.", "")
            + "Thực hiện theo thủ tục thay thế.",
        }
    if not repealed:
        data["ended"]["note"] += " Dữ liệu chủ không nói văn bản nào trong số này bãi bỏ thủ tục."
    ended_source = decision_source(row, number)
    ended_source["fields"] = ["ended"]
    data["sources"] = [source, ended_source]
    data["unpublished"] = ["decision.number"] + ([] if start else ["effective_from"])
    data = _finish(data, False)
    if not start:
        data.setdefault("notes", []).append(
            f"effective_from {COMMUNE_FROM}: ngày xã Vĩnh Bảo được thành lập; nguồn không ghi "
            "ngày bắt đầu của phiên bản, đây là ngày sớm nhất có thể."
        )
    return data


def _vn_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _bare(code: str) -> dict:
    """What the listing alone says of a procedure: received at the commune centre, nothing more."""
    return {
        "code": code,
        "levels": ["xa"],
        "channels": [
            {
                "kind": "in_person",
                "deadline": {"unit": "unpublished"},
                "fees": {"status": "unpublished"},
                "note": "Nộp tại Trung tâm Phục vụ hành chính công xã Vĩnh Bảo (dữ liệu chủ ghi "
                "thủ tục tiếp nhận ở cấp xã); các kênh khác chưa được công bố.",
            }
        ],
        "cases": [{"id": "chung", "name": "Trường hợp chung", "steps": [], "documents": []}],
        "agencies": {"implementing": [CENTRE]},
        "online_service": {"kind": "unpublished"},
    }


ORDER = (
    "code", "name", "field", "levels", "procedure_type", "audiences", "audience_text", "decision",
    "effective_from", "effective_to", "change", "ended", "channels", "cases", "conditions",
    "result", "agencies", "intake", "legal_basis", "related", "online_service", "cross_boundary",
    "unpublished", "review", "sources", "notes",
)  # fmt: skip


def _finish(data: dict, from_record: bool) -> dict:
    """The review marker, what no source gives, and the catalogue's key order."""
    verbatim = (data.get("review") or {}).get("verbatim")
    data["review"] = {"status": "imported", "source_record": MARKER}
    if verbatim:
        data["review"]["verbatim"] = verbatim
    unpublished = list(data.get("unpublished", []))
    unpublished.append("decision.date")
    if not from_record:
        unpublished += [
            "audiences", "channels.deadline", "channels.fees", "cases.steps", "cases.documents",
            "agencies.competent", "legal_basis",
        ]  # fmt: skip
    if data["online_service"]["kind"] == "unpublished":
        unpublished.append("online_service.kind")
    data["unpublished"] = list(dict.fromkeys(unpublished))
    return {key: data[key] for key in ORDER if key in data}


# --- writing ------------------------------------------------------------------------------------


def drafts_in(folder: Path) -> tuple[list[Path], list[Path]]:
    """(this command's drafts, every other version) in a procedure folder."""
    drafts: list[Path] = []
    others: list[Path] = []
    for file in sorted(folder.glob("*.yaml")):
        data, _ = load_text(file.read_text(encoding="utf-8"), str(file))
        review = data.get("review") if isinstance(data, dict) else None
        mine = isinstance(review, dict) and review.get("source_record") == MARKER
        (drafts if mine else others).append(file)
    return drafts, others


def ours(folder: Path, listing: "Listing | None" = None) -> bool:
    """Whether a procedure folder holds only drafts this command wrote (so it may rewrite them).
    A draft beside a version written by anyone else (a reviewer's) is dropped: that version
    replaces it."""
    drafts, others = drafts_in(folder)
    if others and drafts and listing is not None:
        for file in drafts:
            file.unlink()
        listing.dropped.append(folder.name)
    return not others


def write(listing: Listing, data: dict) -> None:
    code = data["code"]
    folder = listing.catalogue / "procedures" / code
    target = folder / f"{data['effective_from']}.yaml"
    comment = f"Thủ tục {code}: bản nháp nhập từ dữ liệu chủ xã Vĩnh Bảo, chưa rà soát."
    text = _ISO_QUOTED.sub(r"\1\2", command.dump(data, comment))
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        listing.unchanged.append(code)
        return
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):  # a draft of ours under another date is replaced
        old.unlink()
    target.write_text(text, encoding="utf-8")
    listing.written.append(code)


def write_fields(listing: Listing) -> None:
    """New lĩnh vực go at the end of fields.yaml, the file's own text kept as it is."""
    if not listing.new_fields:
        return
    file = listing.catalogue / "fields.yaml"
    text = file.read_text(encoding="utf-8").rstrip("\n") + "\n"
    text += "  # Lĩnh vực như dữ liệu chủ xã Vĩnh Bảo ghi (build.py import-listing).\n"
    for key, name in listing.new_fields.items():
        text += f"  - id: {key}\n    name: {name}\n"
    file.write_text(text, encoding="utf-8")


# --- the run ------------------------------------------------------------------------------------


def import_listing(catalogue: Path, reference: Path) -> Listing:
    rows = read_rows(reference)
    listing = Listing(catalogue, rows, {})
    held = {p.name for p in (catalogue / "procedures").iterdir() if p.is_dir()}
    mine = {code for code in held if ours(catalogue / "procedures" / code, listing)}
    todo = [r for r in rows if r["ma"] not in held or r["ma"] in mine]
    current = {r["ma"] for r in todo if r["publishable"] == "True"}
    listing.records = read_records(reference, current)
    listing.kept = sorted(held & {r["ma"] for r in rows} - mine)
    listing.fields = read_fields(catalogue)
    listing.replaced_by = read_replacements(catalogue, held - mine)
    run = command.Run(out=catalogue, start=LISTING_SNAPSHOT, today=LISTING_SNAPSHOT)
    command.load_existing(run, catalogue)
    run.codes.update(r["ma"] for r in rows)
    schemas = SchemaSet()
    for row in sorted(todo, key=lambda r: r["ma"]):
        try:
            if row["publishable"] == "True":
                data = current_draft(listing, row, run)
            else:
                data = ended_draft(listing, row)
            errors = list(schemas.errors("procedure", json.loads(json.dumps(data))))
            if errors:
                path, message, _ = errors[0]
                where = ".".join(str(p) for p in path)
                raise RefusedError(f"bản nháp không hợp lệ theo lược đồ: {where}: {message}")
            write(listing, data)
        except RefusedError as refusal:
            listing.refused.append((row["ma"], str(refusal)))
    write_fields(listing)
    return listing


def import_listing_command(args: argparse.Namespace, *, out: TextIO) -> int:
    from buildlib.review.verify import default_reference

    reference = Path(args.reference) if args.reference else default_reference()
    listing = import_listing(Path(args.catalogue), reference)
    print(
        f"Dữ liệu chủ xã Vĩnh Bảo: {len(listing.rows)} mã; đã có trong danh mục (giữ nguyên): "
        f"{len(listing.kept)}; bản nháp bỏ vì đã có phiên bản rà soát: {len(listing.dropped)}; "
        f"bản nháp ghi mới hoặc cập nhật: {len(listing.written)}; "
        f"không đổi: {len(listing.unchanged)}; có bản ghi Cổng DVCQG: {len(listing.records)}; "
        f"lĩnh vực mới: {len(listing.new_fields)}; từ chối: {len(listing.refused)}.",
        file=out,
    )
    for code, reason in listing.refused:
        print(f"- {code}: {reason}", file=out)
    return 1 if listing.refused else 0
