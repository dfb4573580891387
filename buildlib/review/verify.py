"""`build.py verify`: every version in force or scheduled, compared value by value with its sources.

Three sources are read mechanically, from a reference folder laid out like `../shared/reference/`
(the repository vendors the part the catalogue cites in `reference/`, see its SOURCES.md):

- the national record of the procedure (Cổng DVCQG, `procedures/raw/<ministry>/<code>.json`),
  read with the importer's parsers: name, lĩnh vực, level, agencies, channels, each channel's
  deadline and fee amounts, legal-basis numbers, documents per case;
- the Hải Phòng fee registry (`procedures/vinh-bao/data/phu-luc/phi-le-phi-van-ban.json`):
  every fee amount whose `basis` names one of its resolutions must be one of that resolution's
  amounts, and an online fee before 08/8/2026 is NQ 08/2025's, whose amounts no source gives;
- the Vĩnh Bảo commune master data (`procedures/vinh-bao/data/master-data-audit.csv`): name,
  lĩnh vực and whether the procedure is current there.

A difference is either fixed in the catalogue or explained where the version cites the source
that differs: `sources[i].differences: [{field, item?, reason, note}]` (schemas/common.schema.json).
An unexplained difference is an error, and so is an explanation that no longer explains anything.
"""

import csv
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from buildlib import paths
from buildlib.catalogue.load import Catalogue, Document, load
from buildlib.catalogue.problems import Problem
from buildlib.importer import parse
from chalicelib import versions

RECORD = "national-record"
REGISTRY = "fee-registry"
MASTER = "master-data"
SOURCE_LABELS = {
    RECORD: "bản ghi Cổng DVCQG",
    REGISTRY: "danh mục phí, lệ phí Hải Phòng",
    MASTER: "dữ liệu chủ xã Vĩnh Bảo",
}
RECORD_REPO = "chatbot-tthc/chatbot_tthc"
RECORD_DIR = Path("procedures") / "raw"
REGISTRY_PATH = "data/phu-luc/phi-le-phi-van-ban.json"
MASTER_PATH = "data/master-data-audit.csv"
VINH_BAO_DIR = Path("procedures") / "vinh-bao"
ONLINE_FREE_FROM = "2026-08-08"  # NQ 23/2026/NQ-HĐND Hải Phòng: 0 đồng online from this day
ONLINE_FREE_BASIS = "23/2026"
ONLINE_BEFORE_BASIS = "08/2025"  # what online filings before that day fall under (Điều 3 k3)
# A fee basis names a registry document by its number ("NQ 12/2018/NQ-HĐND Hải Phòng (PL 04)").
_BASIS_NUMBER = re.compile(r"(\d{1,3}/20\d\d)")
CHANNEL_KINDS = ("in_person", "online", "post")


# --- the reference data ------------------------------------------------------------------------


def default_reference() -> Path:
    """The sibling shared/reference when it exists (the whole collection), else the subset the
    repository vendors."""
    shared = paths.ROOT.parent.parent / "shared" / "reference"
    if not (shared / RECORD_DIR).is_dir():
        shared = paths.ROOT.parent / "shared" / "reference"
    return shared if (shared / RECORD_DIR).is_dir() else paths.ROOT / "reference"


@dataclass
class Reference:
    root: Path
    records: dict[str, Path] = field(default_factory=dict)  # code -> raw record file
    fee_tables: dict[str, set[int]] = field(default_factory=dict)  # "12/2018" -> amounts
    fee_documents: dict[str, dict] = field(default_factory=dict)  # "12/2018" -> document
    master: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> audit row

    @classmethod
    def read(cls, root: Path) -> "Reference":
        ref = cls(root)
        for file in sorted((root / RECORD_DIR).glob("*/*.json")):
            ref.records.setdefault(file.stem, file)
        registry = root / VINH_BAO_DIR / REGISTRY_PATH
        if registry.is_file():
            data = json.loads(registry.read_text(encoding="utf-8"))
            for document in data.get("documents", []):
                for number in _BASIS_NUMBER.findall(str(document.get("so", ""))):
                    ref.fee_documents.setdefault(number, document)
            by_id = {d.get("id"): d for d in data.get("documents", [])}
            for table in data.get("feeTables", []):
                number = _BASIS_NUMBER.search(str(by_id.get(table.get("source"), {}).get("so")))
                if number:
                    amounts = ref.fee_tables.setdefault(number.group(1), set())
                    for row in table.get("rows", []):
                        amounts.update(_amounts(str(row[-1])))
        master = root / VINH_BAO_DIR / MASTER_PATH
        if master.is_file():
            with master.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle):
                    ref.master[row["ma"]] = row
        return ref

    def missing(self) -> list[str]:
        out = []
        if not self.records:
            out.append(str(self.root / RECORD_DIR))
        if not self.fee_tables:
            out.append(str(self.root / VINH_BAO_DIR / REGISTRY_PATH))
        if not self.master:
            out.append(str(self.root / VINH_BAO_DIR / MASTER_PATH))
        return out


def _amounts(text: str) -> set[int]:
    return {int(a.replace(".", "")) for a in re.findall(r"\d{1,3}(?:\.\d{3})+|\d+", text)}


# --- what a source says, read mechanically --------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no diacritics, đ -> d, single spaces: names compare as people read them."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(re.findall(r"[0-9a-z]+", text))


def legal_number(text: str) -> str:
    """One spelling per act number: no spaces, upper case, and Đ for the look-alike Ð (U+00D0)
    some records type in "NĐ-CP"."""
    return unicodedata.normalize("NFC", re.sub(r"\s+", "", text)).upper().replace("\u00d0", "Đ")


@dataclass
class Record:
    """The values of a national record that verify compares, each as the parser reads it."""

    code: str
    name: str
    field: str
    levels: list[str]
    implementing: str
    competent: str
    rows: dict[str, list[parse.Row]]  # channel kind -> the table's rows of that kind
    legal: set[str] | None  # None when the table could not be read with confidence
    legal_text: str  # the table as one run of text, to look numbers up in when `legal` is None
    sections: list[tuple[str, int]] | None  # (section title, documents), None when unreadable


# A row's count column, glued to the next row ("…hiệu lực1 bản chínhPhiếu…"); a row counting
# no original and no copy ("0 bản chính") is a note the portal put in the table, not a document.
_ROW_COUNT = re.compile(r"(?<!\d)(\d) bản chính(?:,\s?(\d) bản sao)?(?=\S|$)")


def document_tables(text: str) -> list[tuple[str, int]] | None:
    """(title, documents) for each table of the record's documents, titled by the text before
    it ("Giấy tờ phải nộp", "a) Đối với trường hợp…"). Counting rows needs no reading of the
    names, so it holds where the importer cannot split a name from its template."""
    text = parse.clean(text)
    if parse.is_empty(text):
        return []
    parts = text.split(parse.DOCUMENTS_HEADER)
    if len(parts) < 2:
        return None
    tables, title = [], parts[0]
    for part in parts[1:]:
        counts = list(_ROW_COUNT.finditer(part))
        documents = sum(int(m.group(1)) + int(m.group(2) or 0) > 0 for m in counts)
        tables.append((parse.clean(title).strip("-*: ").strip(), documents))
        title = part[counts[-1].end() :] if counts else ""
    return tables


def read_record(file: Path) -> Record:
    raw = json.loads(file.read_text(encoding="utf-8"))
    rows, _ = parse.split_rows(parse.clean(raw.get("cach_thuc_thuc_hien", "")))
    by_kind: dict[str, list[parse.Row]] = {}
    for row in rows:
        by_kind.setdefault(parse.CHANNEL_KINDS[row.kind], []).append(row)
    legal, legal_ok = parse.parse_legal_basis(raw.get("can_cu_phap_ly", ""))
    return Record(
        code=str(raw.get("ma_thu_tuc", file.stem)),
        name=parse.clean(raw.get("ten_thu_tuc", "")),
        field=parse.clean(raw.get("linh_vuc", "")),
        levels=parse.parse_levels(raw.get("cap_thuc_hien", ""))[0],
        implementing=parse.clean(raw.get("co_quan_thuc_hien", "")),
        competent=parse.clean(raw.get("co_quan_co_tham_quyen", "")),
        rows=by_kind,
        legal={legal_number(i["number"]) for i in legal} if legal_ok else None,
        legal_text=legal_number(parse.clean(raw.get("can_cu_phap_ly", ""))),
        sections=document_tables(raw.get("thanh_phan_ho_so", "")),
    )


# --- a difference and its explanation ---------------------------------------------------------


@dataclass
class Difference:
    doc: Document
    parts: tuple  # where in the version the value is (or would be)
    source: str  # RECORD, REGISTRY or MASTER
    key: str  # the field as `differences` names it: channels.online.fees, legal_basis, ...
    message: str
    item: str | None = None  # which one, where a field has several (a legal-basis number)
    explained_by: dict | None = None  # the `differences` entry that explains it


@dataclass
class Outcome:
    differences: list[Difference] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    compared: dict[str, list[str]] = field(default_factory=dict)  # rel -> sources compared


def _cited(version: dict, source: str) -> list[int]:
    """Indexes of the `sources` entries that cite the compared source."""
    return [
        i for i, entry in enumerate(version.get("sources") or []) if _cites(entry, source, version)
    ]


def _cites(entry: dict, source: str, version: dict) -> bool:
    path = str(entry.get("path", ""))
    if source == RECORD:
        record = f"/{version.get('code')}.json"
        return entry.get("repo") == RECORD_REPO and path.endswith(record)
    return path == {REGISTRY: REGISTRY_PATH, MASTER: MASTER_PATH}[source]


def _explain(version: dict, differences: list[Difference], doc: Document) -> list[Problem]:
    """Marks each difference with its explanation; returns the explanations that explain none."""
    problems: list[Problem] = []
    for index, entry in enumerate(version.get("sources") or []):
        for number, note in enumerate(entry.get("differences") or []):
            used = False
            for difference in differences:
                if index not in _cited(version, difference.source):
                    continue
                if note.get("field") != difference.key:
                    continue
                if note.get("item") is not None and note.get("item") != difference.item:
                    continue
                difference.explained_by = note
                used = True
            if not used:
                problems.append(
                    doc.problem(
                        ("sources", index, "differences", number),
                        "giải thích này không ứng với khác biệt nào so với nguồn: bỏ đi",
                    )
                )
    return problems


# --- the comparisons ----------------------------------------------------------------------------


def _names(catalogue: Catalogue) -> tuple[dict[str, str], dict[str, list[str]]]:
    fields: dict[str, str] = {}
    for doc in catalogue.of_kind("field"):
        for item in doc.data.get("fields", []) if isinstance(doc.data, dict) else []:
            fields[str(item.get("id"))] = str(item.get("name", ""))
    agencies = {
        str(d.data.get("id")): [str(d.data.get(k)) for k in ("name", "short_name") if d.data.get(k)]
        for d in catalogue.of_kind("agency")
        if isinstance(d.data, dict)
    }
    return fields, agencies


def compare_record(
    doc: Document,
    record: Record,
    ref: Reference,
    fields: dict[str, str],
    agencies: dict[str, list[str]],
) -> Iterator[Difference]:
    v = doc.data

    def diff(parts: tuple, key: str, message: str, item: str | None = None) -> Difference:
        return Difference(doc, parts, RECORD, key, message, item)

    if " ".join(record.name.split()) != " ".join(str(v.get("name", "")).split()):
        yield diff(("name",), "name", f'tên trên Cổng là "{record.name}"')
    ours = fields.get(str(v.get("field")), "")
    if record.field and fold(record.field) != fold(ours):
        yield diff(("field",), "field", f'lĩnh vực trên Cổng là "{record.field}", ở đây "{ours}"')
    if record.levels and sorted(record.levels) != sorted(v.get("levels", [])):
        yield diff(("levels",), "levels", f"cấp thực hiện trên Cổng: {', '.join(record.levels)}")
    for role, text in (("implementing", record.implementing), ("competent", record.competent)):
        if parse.is_empty(text):
            continue
        ids = (v.get("agencies") or {}).get(role) or []
        names = {fold(n) for agency in ids for n in agencies.get(agency, [])}

        # One agency ("Ủy ban nhân dân xã, phường, thị trấn") or several, comma-separated; our
        # names may go on (", Bộ Công an", "(nơi cư trú của người yêu cầu)").
        if not _named(fold(text), names) and not all(
            _named(fold(p), names) for p in text.split(",")
        ):
            yield diff(("agencies", role), f"agencies.{role}", f'Cổng ghi "{text}"')
    kinds = [c.get("kind") for c in v.get("channels", [])]
    if record.rows and sorted(kinds) != sorted(record.rows):
        theirs = ", ".join(k for k in CHANNEL_KINDS if k in record.rows)
        yield diff(("channels",), "channels", f"kênh nộp trên Cổng: {theirs}")
    for index, channel in enumerate(v.get("channels", [])):
        rows = record.rows.get(channel.get("kind"), [])
        if rows:
            yield from _compare_channel(doc, index, channel, rows, ref)
    yield from _compare_legal(doc, record)
    yield from _compare_documents(doc, record)


def _named(part: str, names: set[str]) -> bool:
    return any(n == part or n.startswith(part + " ") for n in names)


def _deadline_text(deadline: dict) -> str:
    return f"{deadline.get('amount', '')} {deadline.get('unit')}".strip()


def _compare_channel(
    doc: Document, index: int, channel: dict, rows: list, ref: Reference
) -> Iterator[Difference]:
    kind = channel["kind"]
    theirs: list[tuple[tuple, str]] = []
    for row in rows:
        deadline, _ = parse.parse_deadline(parse.clean(row.time))
        pair = (deadline.get("amount"), deadline["unit"])
        if pair not in [p for p, _ in theirs]:
            theirs.append((pair, parse.clean(row.time)))
    mine = channel.get("deadline") or {}
    pair = (mine.get("amount"), mine.get("unit"))
    listed = "; ".join(f'"{text}"' for _, text in theirs)
    key = f"channels.{kind}.deadline"
    if pair not in [p for p, _ in theirs]:
        message = f"thời hạn ở đây {_deadline_text(mine)}, Cổng ghi {listed}"
        yield Difference(doc, ("channels", index, "deadline"), RECORD, key, message)
    elif len(theirs) > 1:
        message = f"Cổng ghi nhiều thời hạn cho kênh này ({listed}), ở đây chỉ một"
        yield Difference(doc, ("channels", index, "deadline"), RECORD, key, message)
    yield from _compare_fees(doc, index, channel, rows, ref)


_MONEY_IN_TEXT = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đồng|Đồng|VNĐ)")
_COLUMN_AMOUNT = re.compile(r"(\d[\d,.]*)\s?(?:Việt Nam Đồng|VNĐ|Đồng|đồng)")
# "Miễn lệ phí." as the whole statement of the description: the record itself says nothing is
# charged (not the amount column, whose "Miễn phí" is unreliable).
_WAIVED = re.compile(r"^\(?\s*Miễn (?:lệ )?phí\s*[.;]", re.I)


def record_amounts(text: str) -> tuple[int | None, set[int]]:
    """(the amount column's value, every amount the cell states) of one fee cell."""
    column, description = parse.split_fee(text)
    listed = _COLUMN_AMOUNT.fullmatch(column)
    amount = int(re.sub(r"[,.]", "", listed.group(1))) if listed else None
    stated = {int(a.replace(".", "")) for a in _MONEY_IN_TEXT.findall(description)}
    return amount, stated | ({amount} if amount is not None else set())


def _compare_fees(
    doc: Document, index: int, channel: dict, rows: list, ref: Reference
) -> Iterator[Difference]:
    fees = channel.get("fees") or {}
    status = fees.get("status")
    key = f"channels.{channel['kind']}.fees"
    where = ("channels", index, "fees")
    texts = list(dict.fromkeys(parse.clean(r.fee) for r in rows))
    columns, stated = set(), set()
    for text in texts:
        column, amounts = record_amounts(text)
        stated |= amounts
        if column is not None:
            columns.add(column)
        statement, _ = parse.parse_fees(text)
        columns.update(i["amount"] for i in statement.get("items", []))
    items = fees.get("items") or []
    ours = {i["amount"] for i in items if isinstance(i.get("amount"), int)}
    published = " | ".join(texts)
    if status == "none":
        descriptions = [parse.split_fee(t)[1] for t in texts]
        if not all(_WAIVED.match(d) for d in descriptions):
            message = f'"không thu", nhưng Cổng không nói vậy (Cổng: "{published}")'
            yield Difference(doc, where, RECORD, key, message)
        return
    if status != "charged":
        return
    for number, item in enumerate(items):
        amount = item.get("amount")
        backed = any(n in ref.fee_documents for n in _BASIS_NUMBER.findall(str(item.get("basis"))))
        if isinstance(amount, int) and amount not in stated and not backed:
            money = f"{amount:,}".replace(",", ".")
            message = (
                f'mức thu {money} đồng không có trong bản ghi Cổng ("{published}"), căn cứ '
                "của nó không thuộc danh mục phí Hải Phòng"
            )
            yield Difference(
                doc, (*where, "items", number), RECORD, key, message, item.get("basis")
            )
    if columns - ours:
        listed = ", ".join(f"{a:,}".replace(",", ".") for a in sorted(columns - ours))
        yield Difference(doc, where, RECORD, key, f"Cổng ghi mức thu {listed} đồng, ở đây không có")


def _compare_legal(doc: Document, record: Record) -> Iterator[Difference]:
    if record.legal is None:
        # The table cannot be split with confidence: each of our numbers must at least occur
        # in its text; what the record has and we lack is not known.
        for index, item in enumerate(doc.data.get("legal_basis") or []):
            number = legal_number(str(item.get("number", "")))
            glued = number[-1:].isupper() and number[:-1] in record.legal_text  # see below
            if number not in record.legal_text and not glued:
                message = f"{number} không có trong căn cứ pháp lý của bản ghi Cổng"
                yield Difference(
                    doc, ("legal_basis", index), RECORD, "legal_basis", message, number
                )
        return
    ours = [legal_number(str(i.get("number", ""))) for i in doc.data.get("legal_basis") or []]
    # The flattened table glues a number to the next title: "…/NĐ-CP" + "Phân cấp…" reads as
    # "…/NĐ-C" + "PPhân…"; one trailing capital letter of difference is that, not another act.
    theirs = {n: n for n in record.legal}
    for number in ours:
        cut = next((n for n in record.legal if number[:-1] == n and number[-1].isupper()), None)
        if cut:
            theirs.pop(cut, None)
            theirs[number] = number
    record_numbers = set(theirs)
    for index, number in enumerate(ours):
        if number not in record_numbers:
            message = f"{number} không có trong căn cứ pháp lý của bản ghi Cổng"
            yield Difference(doc, ("legal_basis", index), RECORD, "legal_basis", message, number)
    for number in sorted(record_numbers - set(ours)):
        message = f"bản ghi Cổng có căn cứ {number} mà ở đây không có"
        yield Difference(doc, ("legal_basis",), RECORD, "legal_basis", message, number)


_PART_OF_EVERY_CASE = re.compile(r"^(?:Giấy tờ phải|Lưu ý)")


def _compare_documents(doc: Document, record: Record) -> Iterator[Difference]:
    """Documents to bring per case where the record's tables are its cases (every table titled
    by a case, "a) Đối với trường hợp…"), else in total (tables such as "Giấy tờ phải nộp" and
    "Giấy tờ phải xuất trình" are parts of one case)."""
    if record.sections is None:
        return
    cases = doc.data.get("cases") or []
    tables = [(t, n) for t, n in record.sections if t or n]
    by_case = len(tables) >= 2 and all(t and not _PART_OF_EVERY_CASE.match(t) for t, _ in tables)
    if by_case:
        if len(cases) != len(tables):
            names = "; ".join(f'"{t[:50]}"' for t, _ in tables)
            message = f"bản ghi Cổng có {len(tables)} trường hợp ({names}), ở đây {len(cases)}"
            yield Difference(doc, ("cases",), RECORD, "cases", message)
            return
        for index, (case, (title, count)) in enumerate(zip(cases, tables, strict=True)):
            mine = len(case.get("documents") or [])
            if mine != count:
                message = f'{mine} giấy tờ, trường hợp "{title[:60]}" của Cổng có {count}'
                where = ("cases", index, "documents")
                yield Difference(
                    doc, where, RECORD, "cases.documents", message, str(case.get("id"))
                )
        return
    total = sum(n for _, n in tables)
    distinct = {fold(str(d.get("name", ""))) for c in cases for d in c.get("documents") or []}
    if len(distinct) != total:
        message = f"{len(distinct)} giấy tờ (khác nhau, mọi trường hợp), bản ghi Cổng có {total}"
        place: tuple = ("cases", 0, "documents") if len(cases) == 1 else ("cases",)
        yield Difference(doc, place, RECORD, "cases.documents", message)


def _council(ref: Reference, basis: str) -> bool:
    """Whether a fee basis names a Hải Phòng council (HĐND) resolution of the registry: the fees
    that NQ 08/2025 (online, before 08/8/2026) and NQ 23/2026 (online, from then) cover."""
    return any(
        "HĐND" in str(ref.fee_documents[n].get("so", ""))
        for n in _BASIS_NUMBER.findall(basis)
        if n in ref.fee_documents
    )


def compare_registry(doc: Document, ref: Reference) -> Iterator[Difference]:
    """Fee amounts against the Hải Phòng registry; online fees before 08/8/2026."""
    channels = doc.data.get("channels", [])
    council = any(
        _council(ref, str(i.get("basis", "")))
        for c in channels
        for i in (c.get("fees") or {}).get("items") or []
    )
    # Online filings before 08/8/2026 fall under NQ 08/2025; a version from then on is after it.
    before = str(doc.data.get("effective_from")) < ONLINE_FREE_FROM
    for index, channel in enumerate(channels):
        fees = channel.get("fees") or {}
        key = f"channels.{channel.get('kind')}.fees"
        online = channel.get("kind") == "online"
        if online and before and council and fees.get("status") == "none":
            message = (
                '"không thu" cho cả phiên bản, nhưng khoản thu này thuộc thẩm quyền HĐND: hồ sơ '
                "nộp trực tuyến trước 08/8/2026 theo NQ 08/2025/NQ-HĐND, mức thu không nguồn nào "
                "công bố (unpublished); từ 08/8/2026 là 0 đồng theo NQ 23/2026/NQ-HĐND"
            )
            yield Difference(doc, ("channels", index, "fees"), REGISTRY, key, message)
        for number, item in enumerate(fees.get("items") or []):
            where = ("channels", index, "fees", "items", number)
            basis = str(item.get("basis", ""))
            found = _BASIS_NUMBER.findall(basis)
            amount = item.get("amount")
            if (
                online
                and before
                and _council(ref, basis)
                and not {ONLINE_FREE_BASIS, ONLINE_BEFORE_BASIS} & set(found)
            ):
                message = (
                    f"mức thu trực tuyến theo {basis}: hồ sơ nộp trực tuyến trước 08/8/2026 theo "
                    "NQ 08/2025/NQ-HĐND (NQ 23/2026 Điều 3 khoản 3), mức thu không nguồn nào công "
                    "bố: ghi amount: unpublished với căn cứ NQ 08/2025"
                )
                yield Difference(doc, where, REGISTRY, key, message, basis)
                continue
            if ONLINE_FREE_BASIS in found and (amount != 0 or not online):
                message = "NQ 23/2026/NQ-HĐND chỉ quy định 0 đồng cho hồ sơ nộp trực tuyến"
                yield Difference(doc, where, REGISTRY, key, message, basis)
                continue
            tables = [ref.fee_tables[n] for n in found if n in ref.fee_tables]
            if not isinstance(amount, int) or amount == 0 or not tables:
                continue
            if not any(amount in table for table in tables):
                money = f"{amount:,}".replace(",", ".")
                message = (
                    f"{money} đồng không có trong biểu mức thu của {basis} (danh mục phí Hải Phòng)"
                )
                yield Difference(doc, where, REGISTRY, key, message, basis)


def compare_master(
    doc: Document, row: dict[str, str], fields: dict[str, str]
) -> Iterator[Difference]:
    v = doc.data
    if row.get("publishable") != "True":
        message = f"dữ liệu chủ xã Vĩnh Bảo ghi {row.get('status')} ({row.get('reason')})"
        yield Difference(doc, ("effective_from",), MASTER, "status", message)
    theirs = fold(row.get("ten", "")).removeprefix("thu tuc ")
    ours_name = fold(str(v.get("name", ""))).removeprefix("thu tuc ")
    # The master data cuts long names: one a prefix of the other is the same name.
    if not (theirs.startswith(ours_name) or ours_name.startswith(theirs)):
        yield Difference(
            doc, ("name",), MASTER, "name", f'tên trong dữ liệu chủ: "{row.get("ten")}"'
        )
    ours = fields.get(str(v.get("field")), "")
    if fold(row.get("linhVuc", "")) != fold(ours):
        message = f'lĩnh vực trong dữ liệu chủ: "{row.get("linhVuc")}", ở đây "{ours}"'
        yield Difference(doc, ("field",), MASTER, "field", message)


# --- the command --------------------------------------------------------------------------------


def in_force(catalogue: Catalogue, on: str) -> list[Document]:
    """The versions in force on `on` and those scheduled after it: a scheduled version is
    checked before its day comes, so the check does not depend on the day it runs."""
    out = [
        doc
        for docs in catalogue.procedures().values()
        for doc in docs
        if doc.data.get("effective_from") is not None and versions.state_of(doc.data, on) != "past"
    ]
    return sorted(out, key=lambda d: d.rel)


def verify(catalogue: Catalogue, ref: Reference, *, on: str) -> Outcome:
    fields, agencies = _names(catalogue)
    outcome = Outcome()
    for doc in in_force(catalogue, on):
        version, code = doc.data, str(doc.data.get("code"))
        found: list[Difference] = []
        compared = []
        if code in ref.records:
            found.extend(compare_record(doc, read_record(ref.records[code]), ref, fields, agencies))
            compared.append(RECORD)
        found.extend(compare_registry(doc, ref))
        compared.append(REGISTRY)
        if code in ref.master:
            found.extend(compare_master(doc, ref.master[code], fields))
            compared.append(MASTER)
        outcome.compared[doc.rel] = compared
        outcome.problems.extend(_explain(version, found, doc))
        for difference in found:
            if difference.explained_by is None:
                cited = bool(_cited(version, difference.source))
                hint = (
                    ""
                    if cited
                    else f" (phiên bản chưa ghi {SOURCE_LABELS[difference.source]} trong sources)"
                )
                message = (
                    f"khác {SOURCE_LABELS[difference.source]}: {difference.message}; sửa, hoặc "
                    f"giải thích trong sources[].differences (field: {difference.key}){hint}"
                )
                outcome.problems.append(doc.problem(difference.parts, message))
        outcome.differences.extend(found)
    outcome.problems.sort()
    return outcome


def markdown(outcome: Outcome, ref: Reference, on: str) -> str:
    """The reviewers' report: each version, what was compared, every difference and its reason."""
    lines = [
        "# Đối chiếu danh mục với nguồn",
        "",
        f"Ngày đối chiếu: {on}. Nguồn tham chiếu: `{ref.root}`. "
        f"{len(outcome.compared)} phiên bản đang hoặc sẽ hiệu lực; "
        f"{len(outcome.differences)} khác biệt, "
        f"{sum(d.explained_by is None for d in outcome.differences)} chưa được giải thích; "
        f"{len(outcome.problems)} lỗi.",
        "",
    ]
    by_rel: dict[str, list[Difference]] = {}
    for difference in outcome.differences:
        by_rel.setdefault(difference.doc.rel, []).append(difference)
    lines += ["| phiên bản | đã đối chiếu với | khác biệt | chưa giải thích |", "|---|---|---|---|"]
    for rel, compared in outcome.compared.items():
        found = by_rel.get(rel, [])
        open_ = sum(d.explained_by is None for d in found)
        labels = ", ".join(SOURCE_LABELS[s] for s in compared)
        lines.append(f"| `{rel}` | {labels} | {len(found)} | {open_} |")
    for rel, found in by_rel.items():
        lines += ["", f"## `{rel}`", ""]
        for d in found:
            note = d.explained_by
            why = f"**{note['reason']}**: {note.get('note', '')}" if note else "**chưa giải thích**"
            item = f" ({d.item})" if d.item else ""
            lines.append(f"- `{d.key}`{item}, {SOURCE_LABELS[d.source]}: {d.message}. {why}")
    if outcome.problems:
        lines += ["", "## Lỗi", ""] + [f"- `{p.text()}`" for p in outcome.problems]
    return "\n".join(lines) + "\n"


def verify_command(
    catalogue_dir: Path,
    reference: Path | None,
    *,
    report: Path | None,
    today: str | None,
    out: TextIO,
) -> int:
    ref = Reference.read(reference or default_reference())
    missing = ref.missing()
    if missing:
        print(f"Thiếu dữ liệu tham chiếu: {', '.join(missing)}", file=out)
        return 1
    on = today or dt.date.today().isoformat()
    catalogue = load(catalogue_dir)
    outcome = verify(catalogue, ref, on=on)
    for problem in outcome.problems:
        print(problem.text(), file=out)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(markdown(outcome, ref, on), encoding="utf-8")
    explained = sum(d.explained_by is not None for d in outcome.differences)
    summary = (
        f"{len(outcome.compared)} phiên bản đang hoặc sẽ hiệu lực đã đối chiếu; "
        f"{explained} khác biệt có giải thích"
    )
    if outcome.problems:
        print(f"{len(outcome.problems)} lỗi. {summary}.", file=out)
        return 1
    print(f"Khớp nguồn. {summary}.", file=out)
    return 0
