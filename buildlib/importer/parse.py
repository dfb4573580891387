"""Parsers for the flattened text of national-portal (Cổng DVCQG) procedure records.

The crawl flattened every HTML table into one run of text ("Trực tuyến3 Ngày làm việcMiễn
phí(...)"), so each parser here reads one cell kind and says whether it read it with
confidence. A parser never invents a value: when the text does not allow a reading, it returns
what it could read plus a flag, and the importer keeps the original text in `review.verbatim`.

Every function is pure (text in, data out) so each quirk can be tested on its own.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

MAX_TEXT = 20000  # common.schema.json#/$defs/text maxLength
NO_INFO = "Không có thông tin"

# --- small text helpers ---------------------------------------------------------------------


def clean(text: object) -> str:
    """Plain text as the catalogue stores it: str, no tabs or CR, no trailing spaces per line.

    Tabs would be reported by `check` at the start of a YAML line, and trailing spaces make the
    dumper fall back to quoted styles; neither changes what the text says."""
    if not isinstance(text, str):
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").replace("\ufeff", "")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def is_empty(text: str) -> bool:
    return not text or text.strip().rstrip(".") in ("", NO_INFO)


def slugify(text: str, max_length: int = 80) -> str:
    """ascii slug (ho-tich) for ids; cut at a word boundary to fit the schema's 80 characters."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug.strip("-")


# --- levels and audiences -------------------------------------------------------------------

LEVELS = {
    "Cấp bộ": "trung-uong",
    "Cấp tỉnh": "tinh",
    "Cấp xã": "xa",
    "Cơ quan khác": "khac",
}

AUDIENCES = {
    "Tổ chức (không bao gồm doanh nghiệp, HTX)": "organisation",
    "Cán bộ, công chức, viên chức": "citizen",
    "Người nước ngoài cư trú tại Việt Nam": "citizen",
    "Người Việt Nam định cư ở nước ngoài": "citizen",
    "Doanh nghiệp có vốn đầu tư nước ngoài": "business",
    "Doanh nghiệp Việt Nam": "business",
    "Công dân Việt Nam": "citizen",
    "Người nước ngoài": "citizen",
    "Tổ chức nước ngoài": "organisation",
    "Tổ chức Đảng": "organisation",
    "Doanh nghiệp": "business",
    "Hợp tác xã": "business",
    "Đảng viên": "citizen",
}


def parse_levels(text: str) -> tuple[list[str], list[str]]:
    """Levels read from "Cấp bộ, Cấp tỉnh, Cơ quan khác"; the parts that are no level come back
    separately ("Cấp huyện" cannot be a level of a version in force after 2025-07-01)."""
    levels: list[str] = []
    unknown: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        level = LEVELS.get(part)
        if level and level not in levels:
            levels.append(level)
        elif not level:
            unknown.append(part)
    return levels, unknown


def parse_audiences(text: str) -> tuple[list[str], str]:
    """Audiences from the portal's fixed phrases (some contain commas, so no blind split).
    Returns (audiences, leftover text that matched no known phrase)."""
    found: list[str] = []
    rest = text
    for phrase in sorted(AUDIENCES, key=len, reverse=True):
        if phrase in rest:
            rest = rest.replace(phrase, ",")
            if AUDIENCES[phrase] not in found:
                found.append(AUDIENCES[phrase])
    leftover = ", ".join(p.strip() for p in rest.split(",") if p.strip())
    order = ["citizen", "business", "organisation"]
    return sorted(found, key=order.index), leftover


# --- channels: "Hình thức nộpThời gianPhí, lệ phíMô tả" ----------------------------------------

CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
CHANNEL_KINDS = {"Trực tuyến": "online", "Trực tiếp": "in_person", "Dịch vụ bưu chính": "post"}
_UNITS = {"ngày làm việc": "working_days", "ngày": "days", "giờ": "hours"}
_TIME = (
    r"\d+(?:[.,]\d+)?(?: ?(?:Ngày làm việc|Ngày|Giờ|Tháng|Năm|Tuần|Phút))?"
    rf"|{NO_INFO}|Không quy định|Trong ngày"
)
_FEE = rf"Miễn phí|{NO_INFO}|\d[\d.,]*\s?(?:Việt Nam Đồng|VNĐ|USD|Đồng|đồng)"
_KIND = "|".join(CHANNEL_KINDS)
_ROW_STRICT = re.compile(rf"(?P<kind>{_KIND})(?P<time>{_TIME})(?P<fee>{_FEE})")
# Some records (tax) put a sentence in the time column: read it only if nothing strict matched.
_ROW_LOOSE = re.compile(rf"(?P<kind>{_KIND})(?P<time>[^\n]{{1,160}}?)(?P<fee>{_FEE})")


@dataclass
class Row:
    kind: str
    time: str
    fee: str  # the fee column with its bracketed description, as published
    note: str  # the "Mô tả" column


@dataclass
class Channels:
    channels: list[dict] = field(default_factory=list)
    rows_confident: bool = True
    deadlines_parsed: int = 0
    deadlines_verbatim: int = 0
    fees_parsed: int = 0
    fees_verbatim: int = 0


def parse_deadline(text: str) -> tuple[dict, bool]:
    """A deadline cell. "3 Ngày làm việc" → working_days, "10 Ngày" → days, "4 Giờ" → hours,
    "Trong ngày" → same_day, bare "1" → unit unpublished, "Không có thông tin" → all unpublished.
    Anything else (months, decimals, sentences) keeps only its text: (deadline, confident)."""
    text = text.strip()
    deadline: dict = {"amount": "unpublished", "unit": "unpublished", "published_text": text}
    if text == "Trong ngày":
        return {"unit": "same_day", "published_text": text}, True
    if text == NO_INFO:
        return deadline, True
    match = re.fullmatch(r"(\d{1,4})(?: ?(Ngày làm việc|Ngày|Giờ))?", text)
    if not match or int(match.group(1)) > 3650:
        return deadline, False
    unit = _UNITS[match.group(2).lower()] if match.group(2) else "unpublished"
    return {"amount": int(match.group(1)), "unit": unit, "published_text": text}, True


_MONEY = r"(?P<amount>\d{1,3}(?:\.\d{3})+|\d{1,9})\s*(?:đồng|Đồng|VNĐ)"
_FEE_STATEMENT = re.compile(
    r"(?P<name>(?:Lệ phí|Phí)(?: [^:0-9()]{1,200}?)?)\s*:\s*"
    + _MONEY
    + r"(?:\s*/\s*(?P<per>[^.;,()0-9]{1,40}|01 [^.;,()0-9]{1,40}))?\s*[.;]?"
)


def _column_amount(column: str) -> int | None:
    match = re.fullmatch(r"(\d[\d,.]*)\s?(?:Việt Nam Đồng|VNĐ|Đồng|đồng)", column)
    if not match:
        return None
    digits = re.sub(r"[,.]", "", match.group(1))
    return int(digits) if digits.isdigit() else None


def split_fee(cell: str) -> tuple[str, str]:
    """("Miễn phí", "Lệ phí: 8.000 đồng") from "Miễn phí(Lệ phí: 8.000 đồng)"."""
    match = re.match(_FEE, cell)
    if not match:
        return cell, ""
    column, rest = match.group(0), cell[match.end() :].strip()
    if rest.startswith("(") and rest.endswith(")") and _balanced(rest[1:-1]):
        rest = rest[1:-1].strip()
    return column, rest


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def parse_fees(cell: str) -> tuple[dict, bool]:
    """A fee cell. Charged only when the description is one statement "Lệ phí ...: 8.000 đồng[/x]"
    that the amount column does not contradict; the column's "Miễn phí" is unreliable (SOURCES.md)
    and never makes a fee `none`. Otherwise unpublished, with the text kept."""
    cell = cell.strip()
    fees: dict = {"status": "unpublished", "published_text": cell}
    column, description = split_fee(cell)
    statement = _FEE_STATEMENT.fullmatch(description) if description else None
    if not statement:
        return fees, cell == NO_INFO
    amount = int(statement.group("amount").replace(".", ""))
    listed = _column_amount(column)
    if listed is not None and listed != amount:
        return fees, False
    name = statement.group("name").strip()
    item: dict = {"kind": "charge" if name.startswith("Lệ phí") else "fee", "name": name}
    item["amount"] = amount
    if statement.group("per"):
        item["per"] = statement.group("per").strip()
    return {"status": "charged", "items": [item], "published_text": cell}, True


def split_rows(text: str) -> tuple[list[Row], bool]:
    """The table rows, and whether the whole text was read as rows (nothing left over)."""
    body = text[len(CHANNEL_HEADER) :] if text.startswith(CHANNEL_HEADER) else None
    if body is None:
        return [], False
    for pattern in (_ROW_STRICT, _ROW_LOOSE):
        starts = list(pattern.finditer(body))
        if starts and starts[0].start() == 0:
            break
    else:
        return [], False
    rows: list[Row] = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        fee, note = _fee_and_note(match.group("fee"), body[match.end() : end])
        rows.append(Row(match.group("kind"), match.group("time").strip(), fee, note))
    return rows, pattern is _ROW_STRICT


def _fee_and_note(column: str, rest: str) -> tuple[str, str]:
    """The fee column plus its "(...)" description; what follows is the Mô tả column."""
    if not rest.startswith("("):
        return column, clean(rest)
    depth = 0
    for index, ch in enumerate(rest):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return column + rest[: index + 1], clean(rest[index + 1 :])
    return column + rest, ""  # never closed: all of it stays in the fee text


def parse_channels(text: str) -> Channels:
    """One channel per kind. Several rows of one kind (one per case on the portal) merge when
    they agree; when they differ, the channel keeps their texts with unpublished values."""
    rows, confident = split_rows(text)
    result = Channels(rows_confident=confident and bool(rows))
    by_kind: dict[str, list[Row]] = {}
    for row in rows:
        by_kind.setdefault(CHANNEL_KINDS[row.kind], []).append(row)
    for kind in ("in_person", "online", "post"):
        group = by_kind.get(kind)
        if group:
            result.channels.append(_channel(kind, group, result))
    return result


def _channel(kind: str, group: list[Row], tally: Channels) -> dict:
    times = list(dict.fromkeys(clean(r.time) for r in group))
    fees = list(dict.fromkeys(clean(r.fee) for r in group))
    if len(times) == 1:
        deadline, ok = parse_deadline(times[0])
    else:
        deadline, ok = {"amount": "unpublished", "unit": "unpublished"}, False
        deadline["published_text"] = "; ".join(times)
        tally.rows_confident = False
    if len(fees) == 1:
        fee, fee_ok = parse_fees(fees[0])
    else:
        fee, fee_ok = {"status": "unpublished", "published_text": " | ".join(fees)}, False
        tally.rows_confident = False
    tally.deadlines_parsed += ok
    tally.deadlines_verbatim += not ok
    tally.fees_parsed += fee_ok
    tally.fees_verbatim += not fee_ok
    channel = {"kind": kind, "deadline": deadline, "fees": fee}
    notes = [n for n in dict.fromkeys(r.note for r in group) if n]
    if notes and len("\n".join(notes)) <= MAX_TEXT:
        channel["note"] = "\n".join(notes)
    elif notes:
        tally.rows_confident = False
    return channel


# --- documents: "Tên giấy tờMẫu đơn, tờ khaiSố lượng" -------------------------------------------

DOCUMENTS_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# A row ends with its count glued to the next row; "01 bản chính văn bản..." (a space after) is
# a count inside a document's name, not the column.
_COUNT = re.compile(r"(?<!\d)(?P<orig>\d+) bản chính(?:,\s?(?P<copies>\d+) bản sao)?(?=\S|$)")
_TEMPLATE_GLUED = re.compile(r"\.(?:docx|doc|pdf|xlsx|xls|odt|rar|zip)$", re.I)


def _count(digits: str | None) -> int | None:
    """The portal writes counts as one digit; a longer run ("20251", "011") is a name ending in
    digits glued to the count, which cannot be split with confidence."""
    if digits is None:
        return 0
    return int(digits) if len(digits) == 1 else None


def split_template(cell: str) -> tuple[str, str] | None:
    """("Tờ khai theo mẫu", "Mẫu 01.docx") from "Tờ khai theo mẫuMẫu 01.docx": the file name
    starts after ".;:" or where a lower-case letter is glued to a capital; the shortest such name
    without ",;:" wins. None when no boundary is visible ("đường bộvăn bản.docx")."""
    best = None
    for index in range(1, len(cell)):
        before, here = cell[index - 1], cell[index]
        glued = before.islower() and here.isupper()
        if not (glued or (before in ".;:" and not before.isdigit())):
            continue
        file = cell[index:].strip()
        ok = file[:1].isalpha() and _TEMPLATE_GLUED.search(file) and "." in file[:-3]
        if ok and len(file) <= 80 and not re.search(r"[,;:\n]", file):
            best = index
    if best is None:
        return None
    name = cell[:best].strip().rstrip(";:").strip()
    return (name, cell[best:].strip()) if name else None


def parse_documents(text: str) -> tuple[list[dict], bool]:
    """Documents of every section of the table, each with originals/copies as published; a
    section title ("* Giấy tờ phải xuất trình:") becomes the document's note. Rows that cannot be
    read with confidence are left out and the flag is False (the importer keeps the text)."""
    text = clean(text)
    if is_empty(text):
        return [], True
    parts = text.split(DOCUMENTS_HEADER)
    if len(parts) < 2:
        return [], False
    documents: list[dict] = []
    confident = True
    title = parts[0]
    for index, part in enumerate(parts[1:], start=1):
        position = 0
        for match in _COUNT.finditer(part):
            row = _document(part[position : match.start()], match, title)
            position = match.end()
            if row is None:
                confident = False
            else:
                documents.append(row)
        tail = part[position:].strip()
        if index == len(parts) - 1 and tail:
            confident = False
        title = tail
    _unique_ids(documents)
    return documents, confident


def _document(cell: str, count: re.Match, title: str) -> dict | None:
    name = clean(cell).lstrip("-+*• ").strip()
    originals, copies = _count(count.group("orig")), _count(count.group("copies"))
    if not name or originals is None or copies is None or len(name) > MAX_TEXT:
        return None
    document: dict = {"id": "", "name": name, "originals": originals, "copies": copies}
    if _TEMPLATE_GLUED.search(name):
        split = split_template(name)
        if split is None:
            return None  # a template file name glued to the document's name: no safe split
        document["name"], document["template"] = split[0], {"name": split[1]}
    section = clean(title).strip("-*: ").strip()
    if section and len(section) <= MAX_TEXT:
        document["note"] = f"Mục trên Cổng: {section}"
    return document


def _unique_ids(documents: list[dict]) -> None:
    seen: set[str] = set()
    for document in documents:
        base = slugify(document["name"], 48) or "giay-to"
        candidate, n = base, 2
        while candidate in seen:
            candidate, n = f"{base}-{n}", n + 1
        seen.add(candidate)
        document["id"] = candidate


# --- legal basis: "Tên văn bản pháp lýMã văn bản<title><number>..." -----------------------------

LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
_UPPER = "".join(re.escape(c) for c in map(chr, range(0x41, 0x1EFA)) if c.isalpha() and c.isupper())
_LOWER = "".join(re.escape(c) for c in map(chr, range(0x61, 0x1EFA)) if c.isalpha() and c.islower())
_SEGMENT = r"(?:[A-ZĐ]*QH\d{2}|TTg|[A-ZĐƯƠÂĂÊÔ]+)"
# A number may follow its title's last word glued, but not inside another number: not after a
# digit ("Nghị định 114" + "14/2018"), nor inside "QH14"; after "QH13" or a year ("năm 2013") yes.
_GLUE = r"(?:(?<![\dH/])|(?<=[^Q]H)|(?<=QH\d\d)|(?<=\D(?:19|20)\d\d))"
_NUMBER = rf"{_GLUE}\d{{1,5}}(?:\.\d+)?/(?:\d{{4}}/)?{_SEGMENT}(?:-{_SEGMENT})*"
# The number column is glued to the next title, which starts with a capitalised word; a bare
# "24/2024" is read only as the last number of the table.
_LEGAL_ROW = re.compile(
    rf"(?P<title>.+?)(?P<number>{_NUMBER}(?=[{_UPPER}][{_LOWER}]|\s*$)|{_GLUE}\d{{1,5}}/\d{{4}}"
    r"(?=\s*$))",
    re.S,
)
# A number followed by a space and a capitalised word inside a title may be two rows run together.
_MERGED = re.compile(rf"{_NUMBER}\s+[{_UPPER}][{_LOWER}]")
_KIND_TAIL = re.compile(
    r"(?<=[\w.)])\s*(?:(?:Thông tư liên tịch|Thông tư|Nghị định|Quyết định|Nghị quyết|Bộ luật|"
    r"Luật|Pháp lệnh)(?: số)?|Số|số)\s*$"
)


def parse_legal_basis(text: str) -> tuple[list[dict], bool]:
    """(number, title) pairs; date only where the title states "<number> ngày dd/mm/yyyy"."""
    text = clean(text)
    if is_empty(text):
        return [], True
    if not text.startswith(LEGAL_HEADER):
        return [], False
    body, position, items = text[len(LEGAL_HEADER) :], 0, []
    while position < len(body):
        match = _LEGAL_ROW.match(body, position)
        if not match:
            break
        items.append(_legal_item(match.group("title"), match.group("number")))
        position = match.end()
    merged = any(_MERGED.search(item.get("title", "")) for item in items)
    return items, not body[position:].strip() and not merged


def _legal_item(raw_title: str, number: str) -> dict:
    title = clean(raw_title)
    shorter = _KIND_TAIL.sub("", title).strip()
    title = shorter or title
    item: dict = {"number": number, "date": date_after(title, number)}
    if title and len(title) <= MAX_TEXT:
        item["title"] = title
    return item


def date_after(title: str, number: str) -> str:
    """The date written right after the number in the title, else "unpublished"."""
    found = re.search(
        re.escape(number) + r"\s*,?\s*ngày\s*(\d{1,2})\s*(?:/|tháng)\s*(\d{1,2})\s*(?:/|năm)\s*"
        r"(\d{4})",
        title,
    )
    if not found:
        return "unpublished"
    day, month, year = (int(g) for g in found.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return "unpublished"


# --- result, steps, conditions, related ---------------------------------------------------------

_RESULT = re.compile(r"(?P<name>.+?)Mã: (?P<code>KQ\.G\d{2}\.\d{6})", re.S)
_PAGE_TAIL = re.compile(
    r"Từ khóa(?P<keywords>.*?)Mô tả(?P<description>.*?)(?:Chọn cơ quan thực hiện.*)?$", re.S
)


def parse_result(text: str) -> tuple[list[dict], bool]:
    """Results "<name>Mã: KQ.G15.000035", up to the page's "Từ khóa…Mô tả…" block, which is
    only read as empty ("Không có thông tin")."""
    text = clean(text)
    if is_empty(text):
        return [], True
    tail = _PAGE_TAIL.search(text)
    head = text[: tail.start()] if tail else text
    confident = not tail or all(is_empty(clean(tail.group(g))) for g in ("keywords", "description"))
    results, position = [], 0
    while position < len(head):
        match = _RESULT.match(head, position)
        if not match:
            break
        name = clean(match.group("name"))
        if name:
            results.append({"name": name, "code": match.group("code")})
        position = match.end()
    leftover = head[position:].strip()
    return results, confident and not is_empty(head) and not leftover


_STEP_START = re.compile(r"^(?:[-•–]\s*|Bước\s*\d+|\d+[.)]\s)")


def parse_steps(text: str) -> tuple[list[str], bool]:
    """Steps split at the portal's bullets ("- ", "Bước 1", "1."); continuation lines ("+", "(i)")
    stay with their step. Without bullets, one step per line."""
    text = clean(text)
    if is_empty(text):
        return [], True
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    steps: list[str] = []
    bulleted = any(_STEP_START.match(line) for line in lines)
    for line in lines:
        starts = not bulleted or _STEP_START.match(line) or not steps
        text_line = re.sub(r"^[-•–]\s*", "", line) if bulleted else line
        if starts:
            steps.append(text_line or line)
        else:
            steps[-1] += "\n" + line
    if any(len(step) > MAX_TEXT for step in steps):
        return [], False
    return steps, True


_NONE_WORDS = {"không", "không có", "không quy định"}


def parse_conditions(text: str) -> tuple[list[str] | None, bool]:
    """Conditions, one per line; "Không" / "Không quy định" mean none (an empty list); "Không
    có thông tin" means not published (None). The page's trailing "Từ khóa…" block is cut."""
    text = clean(text)
    tail = _PAGE_TAIL.search(text)
    if tail and all(is_empty(clean(tail.group(g))) for g in ("keywords", "description")):
        text = text[: tail.start()].strip()
    if is_empty(text):
        return None, True
    if text.rstrip(".").strip().lower() in _NONE_WORDS:
        return [], True
    items = [line.strip() for line in text.split("\n") if line.strip()]
    if any(len(item) > MAX_TEXT for item in items):
        return None, False
    return items, True


def related_codes(text: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"(?<![\d.])\d\.\d{6}(?![\d])", text)))


# --- agencies ---------------------------------------------------------------------------------

_CENTRAL = re.compile(
    r"^(?:Bộ |Cục |Tổng cục|Thủ tướng|Chính phủ|Văn phòng Chính phủ|Ngân hàng Nhà nước Việt Nam$|"
    r"Ủy ban Chứng khoán Nhà nước|Kiểm toán Nhà nước|Tòa án nhân dân tối cao|Viện kiểm sát nhân "
    r"dân tối cao)",
    re.I,
)
_PROVINCE = re.compile(r"cấp tỉnh|^Sở |^Công an tỉnh|tỉnh, thành phố", re.I)
_COMMUNE = re.compile(r"cấp xã|xã, phường|^Công an xã|^Ủy ban nhân dân xã", re.I)


def agency_level(name: str) -> str | None:
    """The level an agency's name states; None when it names several or none."""
    found = {
        level
        for level, pattern in (("trung-uong", _CENTRAL), ("tinh", _PROVINCE), ("xa", _COMMUNE))
        if pattern.search(name)
    }
    return found.pop() if len(found) == 1 else None


def agency_kind(name: str) -> str | None:
    lowered = name.lower()
    for prefix, kind in (
        ("ủy ban nhân dân", "ubnd"),
        ("chủ tịch ủy ban nhân dân", "ubnd"),
        ("sở ", "so"),
        ("công an", "cong-an"),
        ("trung tâm phục vụ hành chính công", "trung-tam-pvhcc"),
        ("bộ ", "bo"),
    ):
        if lowered.startswith(prefix):
            return kind
    return None
