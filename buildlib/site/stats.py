"""The statistics page and its open data (issue 16, deliverable 5; docs/statistics.md).

Input: the anonymised event export (`motcua export-events FILE`, chalicelib/stats.py), given to
`build.py build --stats FILE`. Without one the page says there is no data yet and no statistics
files are published. Output:

  thong-ke/index.html                 the page: the QĐ 766 groups we can and cannot compute,
                                      charts as static SVG (no JavaScript; each with its title,
                                      description and a data table beside it), every row
  du-lieu-mo/thong-ke/su-kien.csv     the export as published, with each procedure's field
  du-lieu-mo/thong-ke/thong-ke.csv    per month, office and field: the figures
  du-lieu-mo/thong-ke/thong-ke.json   the same rows, the months the charts show, the indicators
  du-lieu-mo/thong-ke/datapackage.json  both CSVs as a Frictionless Data Package

Every figure is a count or a ratio of counts of su-kien.csv's rows, rounded half up (Decimal) to
a fixed number of decimals; scripts/recompute_stats.py recomputes each of them from the
published files alone, with nothing of this module, and says where one differs.
"""

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

import markupsafe

from buildlib import paths
from buildlib.catalogue import labels
from buildlib.errors import BuildError
from chalicelib import ratings
from chalicelib.stats import CHANNELS, COLUMNS, KINDS, OUTCOMES

from .opendata import BOM, DATA_LICENCE, FOLDER, safe_cell

PAGE = "thong-ke/index.html"
DATA = f"{FOLDER}/thong-ke"
TITLE = "Thống kê giải quyết hồ sơ"
UNKNOWN_FIELD = "Không có trong danh mục"

# su-kien.csv: the export's columns, and the procedure's field after the procedure.
EVENT_COLUMNS = [*COLUMNS[:4], "field", *COLUMNS[4:]]
EVENT_FIELDS: dict[str, dict[str, Any]] = {
    "kind": {
        "title": "Sự kiện",
        "description": "received: tiếp nhận; supplement_requested: yêu cầu bổ sung; finished: "
        "có kết quả; rated: người nộp đánh giá",
        "constraints": {"required": True, "enum": list(KINDS)},
    },
    "month": {
        "title": "Tháng (yyyy-mm)",
        "constraints": {"required": True, "pattern": r"\d{4}-\d{2}"},
    },
    "office": {"title": "Mã cơ quan tiếp nhận (sổ cơ quan)", "constraints": {"required": True}},
    "procedure": {"title": "Mã thủ tục", "constraints": {"required": True}},
    "field": {"title": "Mã lĩnh vực (trống: thủ tục không có trong danh mục)"},
    "channel": {"title": "Kênh nộp (received)", "constraints": {"enum": list(CHANNELS)}},
    "outcome": {"title": "Kết quả so với hạn (finished)", "constraints": {"enum": list(OUTCOMES)}},
    "working_days": {
        "title": "Số ngày làm việc từ tiếp nhận đến có kết quả, trừ ngày dừng tính (finished)",
        "type": "integer",
        "constraints": {"minimum": 0},
    },
    **{
        q: {"title": f"Đánh giá (rated): {label}", "constraints": {"enum": list(ratings.LEVELS)}}
        for q, label in ratings.QUESTIONS.items()
    },
}
assert list(EVENT_FIELDS) == EVENT_COLUMNS

_COUNT = {"type": "integer", "constraints": {"required": True, "minimum": 0}}
ROW_FIELDS: dict[str, dict[str, Any]] = {
    "month": {"title": "Tháng (yyyy-mm)", "constraints": {"required": True}},
    "office": {"title": "Mã cơ quan tiếp nhận", "constraints": {"required": True}},
    "office_name": {"title": "Cơ quan tiếp nhận"},
    "field": {"title": "Mã lĩnh vực"},
    "field_name": {"title": "Lĩnh vực"},
    "received": {**_COUNT, "title": "Hồ sơ tiếp nhận"},
    "received_online": {**_COUNT, "title": "Tiếp nhận trực tuyến"},
    "received_in_person": {**_COUNT, "title": "Tiếp nhận trực tiếp"},
    "received_post": {**_COUNT, "title": "Tiếp nhận qua bưu chính"},
    "supplement_requests": {**_COUNT, "title": "Yêu cầu bổ sung hồ sơ"},
    "finished": {**_COUNT, "title": "Hồ sơ có kết quả"},
    "finished_early": {**_COUNT, "title": "Có kết quả trước hạn"},
    "finished_on_time": {**_COUNT, "title": "Có kết quả đúng hạn"},
    "finished_late": {**_COUNT, "title": "Có kết quả quá hạn"},
    "finished_no_due_date": {**_COUNT, "title": "Có kết quả, thủ tục không công bố thời hạn"},
    "average_working_days": {
        "type": "number",
        "title": "Số ngày làm việc trung bình đến khi có kết quả (2 chữ số thập phân)",
    },
    "on_time_rate": {
        "type": "number",
        "title": "Tỷ lệ trước hạn và đúng hạn, % hồ sơ có kết quả có thời hạn (1 chữ số)",
    },
    "online_rate": {"type": "number", "title": "Tỷ lệ tiếp nhận trực tuyến, % (1 chữ số)"},
    "ratings": {**_COUNT, "title": "Lượt đánh giá"},
    "ratings_not_satisfied": {**_COUNT, "title": "Lượt đánh giá chung: không hài lòng"},
    "satisfaction_rate": {
        "type": "number",
        "title": "Tỷ lệ hài lòng: % lượt đánh giá chung không phải “không hài lòng” (1 chữ số)",
    },
}
ROW_COLUMNS = list(ROW_FIELDS)
COUNTS = [c for c, f in ROW_FIELDS.items() if f.get("type") == "integer"]
# The month totals the charts draw (thong-ke.json "months"): the same counts and ratios.
MONTH_COLUMNS = ["month", *COUNTS, "average_working_days", "on_time_rate", "online_rate",
                 "satisfaction_rate"]  # fmt: skip

CHANNEL_LABELS = {"truc_tuyen": "Trực tuyến", "truc_tiep": "Trực tiếp", "buu_chinh": "Bưu chính"}
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class StatsError(BuildError):
    """The event export cannot be read (every problem, `file:line: message`)."""


class Events(NamedTuple):
    path: Path
    events: list[dict[str, Any]]


# --- reading the export ----------------------------------------------------------------------


def read_events(path: Path) -> Events:
    """The export, checked line by line; StatsError listing every problem."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise StatsError(f"{path}: không đọc được tệp sự kiện: {error}") from error
    events, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{path}:{number}: không phải JSON: {error.msg}")
            continue
        problem = _problem(event)
        if problem:
            problems.append(f"{path}:{number}: {problem}")
        else:
            events.append(event)
    if problems:
        raise StatsError("\n".join([*problems[:50], f"Tệp sự kiện có {len(problems)} lỗi."]))
    return Events(Path(path), events)


def _problem(event: Any) -> str | None:
    if not isinstance(event, dict) or set(event) != set(COLUMNS):
        return f"mỗi dòng là một đối tượng với đúng các khóa {', '.join(COLUMNS)}"
    kind = event["kind"]
    if kind not in KINDS:
        return f"kind không hợp lệ: {kind!r}"
    if not isinstance(event["month"], str) or not _MONTH.fullmatch(event["month"]):
        return f"month phải có dạng yyyy-mm: {event['month']!r}"
    if not all(isinstance(event[k], str) and event[k] for k in ("office", "procedure")):
        return "thiếu office hoặc procedure"
    wanted = {
        "channel": CHANNELS if kind == "received" else ("",),
        "outcome": (*OUTCOMES, "") if kind == "finished" else ("",),
        **{q: tuple(ratings.LEVELS) if kind == "rated" else ("",) for q in ratings.QUESTIONS},
    }
    for key, allowed in wanted.items():
        if event[key] not in allowed:
            return f"{key} không hợp lệ cho {kind}: {event[key]!r}"
    days = event["working_days"]
    if kind == "finished":
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            return f"working_days phải là số nguyên không âm: {days!r}"
    elif days != "":
        return f"working_days chỉ có ở finished: {days!r}"
    return None


# --- the figures -----------------------------------------------------------------------------


def published_events(events: Iterable[dict[str, Any]], fields: Mapping[str, str]) -> list[dict]:
    """The export's events with each procedure's field (`fields`: procedure code -> field id)."""
    return [
        {c: (fields.get(e["procedure"], "") if c == "field" else e[c]) for c in EVENT_COLUMNS}
        for e in events
    ]


def rows(
    events: list[dict[str, Any]], offices: Mapping[str, str], field_names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One row per month, office and field that has any event, in that order."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for e in events:
        groups.setdefault((e["month"], e["office"], e["field"]), []).append(e)
    out = []
    for (month, office, field), group in sorted(groups.items()):
        names = {
            "office_name": offices.get(office, office),
            "field_name": field_names.get(field, field) if field else UNKNOWN_FIELD,
        }
        keys = {"month": month, "office": office, "field": field}
        out.append({c: (keys | names).get(c) for c in ROW_COLUMNS[:5]} | figures(group))
    return out


def months(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The totals per month (what the charts draw), in month order."""
    by_month: dict[str, list[dict]] = {}
    for e in events:
        by_month.setdefault(e["month"], []).append(e)
    return [{"month": m, **figures(group)} for m, group in sorted(by_month.items())]


def figures(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts and ratios of a group of events (a row, a month, everything)."""

    def count(kind: str, key: str | None = None, *values: str) -> int:
        return sum(1 for e in events if e["kind"] == kind and (key is None or e[key] in values))

    n = {
        "received": count("received"),
        "received_online": count("received", "channel", "truc_tuyen"),
        "received_in_person": count("received", "channel", "truc_tiep"),
        "received_post": count("received", "channel", "buu_chinh"),
        "supplement_requests": count("supplement_requested"),
        "finished": count("finished"),
        "finished_early": count("finished", "outcome", "truoc_han"),
        "finished_on_time": count("finished", "outcome", "dung_han"),
        "finished_late": count("finished", "outcome", "qua_han"),
        "finished_no_due_date": count("finished", "outcome", ""),
        "ratings": count("rated"),
        "ratings_not_satisfied": count("rated", ratings.OVERALL, ratings.NOT_SATISFIED),
    }
    days = sum(e["working_days"] for e in events if e["kind"] == "finished")
    with_due = n["finished_early"] + n["finished_on_time"] + n["finished_late"]
    return n | {
        "average_working_days": ratio(days, n["finished"], 1, "0.01"),
        "on_time_rate": ratio(n["finished_early"] + n["finished_on_time"], with_due),
        "online_rate": ratio(n["received_online"], n["received"]),
        "satisfaction_rate": ratio(n["ratings"] - n["ratings_not_satisfied"], n["ratings"]),
    }


def ratio(part: int, whole: int, scale: int = 100, places: str = "0.1") -> Decimal | None:
    """part / whole × scale, rounded half up to `places`; None when `whole` is 0."""
    if whole == 0:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(Decimal(places), ROUND_HALF_UP)


# QĐ 766/QĐ-TTg's groups (docs/statistics.md says how sure we are of them): what our events
# support, and why the rest cannot be computed from them.
GROUPS = [
    (
        "Công khai, minh bạch",
        None,
        "Nhóm này đo việc công khai, cập nhật thủ tục hành chính đúng hạn và đồng bộ tiến độ hồ "
        "sơ lên Cổng Dịch vụ công quốc gia; sự kiện xử lý hồ sơ không ghi những việc đó.",
    ),
    ("Tiến độ, kết quả giải quyết", "on_time_rate", None),
    (
        "Số hóa hồ sơ",
        None,
        "Nhóm này đo thành phần hồ sơ và kết quả được số hóa, tái sử dụng; hệ thống chưa ghi "
        "việc số hóa giấy tờ nộp trực tiếp hay kết quả có được số hóa, ký số hay không.",
    ),
    ("Cung cấp dịch vụ trực tuyến", "online_rate", None),
    (
        "Cung cấp dịch vụ trực tuyến: thanh toán trực tuyến",
        None,
        "Khoản phí được cán bộ xác nhận đã nộp; hệ thống chưa ghi việc nộp phí qua thanh toán "
        "trực tuyến.",
    ),
    ("Mức độ hài lòng: trong tiếp nhận, giải quyết thủ tục", "satisfaction_rate", None),
    (
        "Mức độ hài lòng: xử lý phản ánh, kiến nghị",
        None,
        "Hệ thống chưa tiếp nhận phản ánh, kiến nghị, nên không có số liệu về xử lý đúng hạn và "
        "sự hài lòng với việc xử lý chúng.",
    ),
]
INDICATORS = {
    "on_time_rate": (
        "Tỷ lệ hồ sơ có kết quả trước hạn và đúng hạn",
        "finished_early + finished_on_time",
        "finished_early + finished_on_time + finished_late",
    ),
    "online_rate": ("Tỷ lệ hồ sơ tiếp nhận trực tuyến", "received_online", "received"),
    "satisfaction_rate": (
        "Tỷ lệ lượt đánh giá chung không “không hài lòng”",
        "ratings - ratings_not_satisfied",
        "ratings",
    ),
}


def indicators(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each group of QĐ 766 with its value over every event, or why it cannot be computed."""
    total = figures(events)
    out = []
    for group, key, reason in GROUPS:
        if key is None:
            out.append({"group": group, "indicator": None, "value": None, "not_computable": reason})
        else:
            name, numerator, denominator = INDICATORS[key]
            out.append(
                {
                    "group": group,
                    "indicator": key,
                    "name": name,
                    "numerator": numerator,
                    "denominator": denominator,
                    "value": total[key],
                    "not_computable": None,
                }
            )
    return out


# --- the files -------------------------------------------------------------------------------


def cell(value: Any) -> str:
    return "" if value is None else safe_cell(value)


def csv_text(columns: list[str], items: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for item in items:
        writer.writerow([cell(item[c]) for c in columns])
    return BOM + buffer.getvalue()


def _json_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def data_package(meta: Mapping[str, Any]) -> dict[str, Any]:
    def resource(name: str, fields: dict[str, dict], title: str) -> dict[str, Any]:
        return {
            "name": name,
            "title": title,
            "path": f"{name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
            "schema": {
                "fields": [{"name": n, "type": "string", **f} for n, f in fields.items()],
                "missingValues": [""],
            },
        }

    return {
        "name": "motcua-thong-ke",
        "title": TITLE,
        "homepage": f"{meta['source']}thong-ke/",
        "licenses": [DATA_LICENCE],
        "version": meta["revision"],
        "meta": dict(meta),
        "resources": [
            resource("su-kien", EVENT_FIELDS, "Sự kiện ẩn danh"),
            resource("thong-ke", ROW_FIELDS, "Số liệu theo tháng, cơ quan, lĩnh vực"),
        ],
    }


def write(
    site_dir: Path,
    shell: Any,
    events: Events | None,
    *,
    procedure_fields: Mapping[str, str],
    field_names: Mapping[str, str],
    offices: Mapping[str, str],
    revision: str,
    today: str,
) -> list[str]:
    """Writes the page, and with events the open data; the paths written."""
    out = site_dir / DATA
    for old in out.glob("*"):
        old.unlink()
    written = []
    data = None
    if events is not None:
        published = published_events(events.events, procedure_fields)
        table = rows(published, offices, field_names)
        totals = months(published)
        meta = {
            "revision": revision,
            "built": today,
            "source": paths.site_url(),
            "events": len(published),
            "licence": DATA_LICENCE["title"],
        }
        document = {
            "meta": meta,
            "rows": [{k: _json_value(v) for k, v in r.items()} for r in table],
            "months": [{k: _json_value(v) for k, v in m.items()} for m in totals],
            "indicators": [
                {k: _json_value(v) for k, v in i.items()} for i in indicators(published)
            ],
        }
        files = {
            "su-kien.csv": csv_text(EVENT_COLUMNS, published),
            "thong-ke.csv": csv_text(ROW_COLUMNS, table),
            "thong-ke.json": json.dumps(document, ensure_ascii=False, indent=1) + "\n",
            "datapackage.json": json.dumps(data_package(meta), ensure_ascii=False, indent=1) + "\n",
        }
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8", newline="")
            written.append(f"{DATA}/{name}")
        data = (table, totals, document["indicators"])
    page = site_dir / PAGE
    page.parent.mkdir(parents=True, exist_ok=True)
    html = shell.wrap(page_html(data, today), title=TITLE, depth=1)
    page.write_text(html, encoding="utf-8")
    written.append(PAGE)
    return written


# --- the page --------------------------------------------------------------------------------


def page_html(data: tuple | None, today: str) -> str:
    """The page's content (for Shell.wrap at depth 1)."""
    e = markupsafe.escape
    parts = [f"<h1>{e(TITLE)}</h1>"]
    if data is None:
        parts.append(
            "<p>Chưa có số liệu: cổng chưa có hồ sơ nào để thống kê. Số liệu được cập nhật"
            " mỗi lần trang web được dựng lại.</p>"
        )
        parts.append(_groups_html(None))
        return "\n".join(parts) + "\n"
    table, totals, computed = data
    parts.append(
        "<p>Số liệu được tính từ các sự kiện xử lý hồ sơ đã ẩn danh (không có mã hồ sơ, tên, "
        "địa chỉ liên hệ hay nội dung hồ sơ; chỉ ghi tháng). Ai cũng tính lại được mọi con số "
        'trên trang từ <a href="../du-lieu-mo/thong-ke/su-kien.csv">tệp sự kiện</a> bằng '
        "<code>python scripts/recompute_stats.py THƯ_MỤC</code> (mã nguồn của cổng).</p>"
    )
    parts.append(
        f'<p class="tthc-meta">Ngày dựng {e(labels.date(today))} · '
        f"{len(totals)} tháng, {len(table)} dòng theo cơ quan và lĩnh vực</p>"
    )
    parts.append(_groups_html(computed))
    parts.append(_charts_html(totals))
    parts.append(_rows_html(table))
    parts.append(
        "<h2>Tải về</h2>\n<ul>"
        '<li><a href="../du-lieu-mo/thong-ke/thong-ke.csv">thong-ke.csv</a>: số liệu theo '
        "tháng, cơ quan, lĩnh vực (CSV, UTF-8 có BOM)</li>"
        '<li><a href="../du-lieu-mo/thong-ke/thong-ke.json">thong-ke.json</a>: như trên, kèm '
        "tổng theo tháng và các chỉ số (JSON)</li>"
        '<li><a href="../du-lieu-mo/thong-ke/su-kien.csv">su-kien.csv</a>: các sự kiện ẩn '
        "danh (CSV)</li>"
        '<li><a href="../du-lieu-mo/thong-ke/datapackage.json">datapackage.json</a>: mô tả '
        "hai tệp CSV (Frictionless Data Package)</li></ul>"
    )
    return "\n".join(parts) + "\n"


def number(value: Any, places: int = 1) -> str:
    """A figure as Vietnamese write it: a decimal comma; "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{Decimal(str(value)):.{places}f}".replace(".", ",")


def _groups_html(computed: list[dict] | None) -> str:
    e = markupsafe.escape
    lines = []
    values = {i["group"]: i for i in computed or []}
    for group, key, reason in GROUPS:
        if key is None:
            text = f"Không tính được: {e(reason)}"
        elif computed is None:
            text = f"{e(INDICATORS[key][0])}: chưa có số liệu."
        else:
            value = values[group]["value"]
            text = f"{e(INDICATORS[key][0])}: <strong>{e(number(value))}%</strong>"
            if value is None:
                text = f"{e(INDICATORS[key][0])}: chưa có hồ sơ để tính."
        lines.append(f'<tr><th scope="row">{e(group)}</th><td>{text}</td></tr>')
    return (
        '<h2 id="chi-so">Các nhóm chỉ số của Quyết định 766/QĐ-TTg</h2>\n'
        "<p>Bộ chỉ số đánh giá chất lượng phục vụ người dân, doanh nghiệp (Quyết định "
        "766/QĐ-TTg năm 2022). Trang này chỉ tính những chỉ số mà sự kiện xử lý hồ sơ của cổng "
        "đủ để tính; cách tính của cổng là của riêng cổng, không thay cho điểm chính thức.</p>\n"
        '<div class="tthc-table" role="region" tabindex="0" aria-label="Các nhóm chỉ số">'
        '<table class="tk-table">\n<caption>Chỉ số tính được và không tính được'
        "</caption>\n"
        '<thead><tr><th scope="col">Nhóm chỉ số</th><th scope="col">Trên cổng này</th>'
        "</tr></thead>\n<tbody>\n" + "\n".join(lines) + "\n</tbody></table></div>"
    )


# Fill colours with a contrast of at least 3:1 on white (WCAG 1.4.11), text in near-black.
COLOURS = {
    "truc_tuyen": "#1d70b8",
    "truc_tiep": "#505a5f",
    "buu_chinh": "#912b88",
    "truoc_han": "#00703c",
    "dung_han": "#1d70b8",
    "qua_han": "#d4351c",
    "satisfied": "#00703c",
}
INK = "#0b0c0c"


def _charts_html(totals: list[dict]) -> str:
    months_ = [m["month"] for m in totals]
    channels = [
        (CHANNEL_LABELS[c], COLOURS[c], [m[k] for m in totals])
        for c, k in (
            ("truc_tuyen", "received_online"),
            ("truc_tiep", "received_in_person"),
            ("buu_chinh", "received_post"),
        )
    ]
    outcomes = [
        (label, COLOURS[o], [m[k] for m in totals])
        for o, k, label in (
            ("truoc_han", "finished_early", "Trước hạn"),
            ("dung_han", "finished_on_time", "Đúng hạn"),
            ("qua_han", "finished_late", "Quá hạn"),
        )
    ]
    satisfaction = [
        ("Tỷ lệ hài lòng (%)", COLOURS["satisfied"], [m["satisfaction_rate"] for m in totals])
    ]
    return "\n".join(
        [
            '<h2 id="bieu-do">Theo tháng</h2>',
            _figure(
                "tiep-nhan",
                "Hồ sơ tiếp nhận theo tháng và kênh nộp",
                "Cột chồng: mỗi tháng một cột, chia theo kênh trực tuyến, trực tiếp, bưu chính.",
                months_,
                channels,
            ),
            _figure(
                "ket-qua",
                "Hồ sơ có kết quả theo tháng: trước hạn, đúng hạn, quá hạn",
                "Cột chồng: mỗi tháng một cột, chia theo kết quả so với thời hạn giải quyết.",
                months_,
                outcomes,
            ),
            _figure(
                "hai-long",
                "Tỷ lệ hài lòng theo tháng (%)",
                "Mỗi tháng một cột: phần trăm lượt đánh giá chung không phải “không hài lòng”; "
                "tháng không có lượt đánh giá không có cột.",
                months_,
                satisfaction,
                top=100,
            ),
        ]
    )


def _month_label(month: str) -> str:
    year, number_ = month.split("-")
    return f"{number_}/{year}"


def _figure(
    key: str,
    title: str,
    description: str,
    months_: list[str],
    series: list[tuple[str, str, list[Any]]],
    *,
    top: int | None = None,
) -> str:
    e = markupsafe.escape
    head = "".join(f'<th scope="col">{e(label)}</th>' for label, _c, _v in series)
    body = "".join(
        f'<tr><th scope="row">{e(_month_label(m))}</th>'
        + "".join(f"<td>{e(number(values[i]))}</td>" for _l, _c, values in series)
        + "</tr>"
        for i, m in enumerate(months_)
    )
    return (
        f'<figure class="tk-figure">\n<figcaption>{e(title)}</figcaption>\n'
        + bar_chart(key, title, description, months_, series, top=top)
        + '\n<div class="tthc-table" role="region" tabindex="0" aria-label="Bảng số liệu: '
        f'{e(title)}"><table class="tk-table">\n<caption>Bảng số liệu: {e(title)}</caption>\n'
        f'<thead><tr><th scope="col">Tháng</th>{head}</tr></thead>\n<tbody>{body}</tbody>'
        "</table></div>\n</figure>"
    )


def bar_chart(
    key: str,
    title: str,
    description: str,
    months_: list[str],
    series: list[tuple[str, str, list[Any]]],
    *,
    top: int | None = None,
) -> str:
    """A stacked bar chart as static SVG: one bar per month, one segment per series (a value
    of None draws nothing), a legend, and the y axis in round steps. `title` and `description`
    are its accessible name and description."""
    e = markupsafe.escape
    # Drawn at about a phone's width, so its text stays readable there (13-14 px).
    width, height = 400, 260
    left, right, top_pad, bottom = 40, 8, 44, 48
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    totals = [sum(float(s[2][i] or 0) for s in series) for i in range(len(months_))]
    ceiling = top if top is not None else _nice(max(totals, default=0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{key}-tieu-de {key}-mo-ta" class="tk-chart">',
        f'<title id="{key}-tieu-de">{e(title)}</title>',
        f'<desc id="{key}-mo-ta">{e(description)} Số liệu trong bảng bên dưới.</desc>',
    ]
    for step in range(5):
        value = ceiling * step / 4
        y = top_pad + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#b1b4b6" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="13" '
            f'fill="{INK}">{e(number(round(value)) if value == round(value) else number(value))}'
            "</text>"
        )
    slot = plot_w / max(len(months_), 1)
    bar = min(slot * 0.6, 64)
    for i, month in enumerate(months_):
        x = left + slot * i + (slot - bar) / 2
        base: float = top_pad + plot_h
        for label, colour, values in series:
            value = values[i]
            if not value or not ceiling:
                continue
            h = plot_h * float(value) / ceiling
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{e(label)}, {e(_month_label(month))}: '
                f"{e(number(value))}</title></rect>"
            )
        centre, baseline = x + bar / 2, height - bottom + 18
        turn = f' transform="rotate(-40 {centre:.1f} {baseline})"' if slot < 48 else ""
        anchor = "end" if turn else "middle"
        parts.append(
            f'<text x="{centre:.1f}" y="{baseline}" text-anchor="{anchor}"{turn} '
            f'font-size="13" fill="{INK}">{e(_month_label(month))}</text>'
        )
    x = left
    for label, colour, _values in series:
        parts.append(
            f'<rect x="{x}" y="12" width="14" height="14" fill="{colour}"/>'
            f'<text x="{x + 20}" y="24" font-size="14" fill="{INK}">{e(label)}</text>'
        )
        x += 30 + 8 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _nice(value: float) -> int:
    """The smallest of 4, 8, 20, 40, 80, 200, ... at or above `value` (four even steps)."""
    steps = (4, 8, 20)
    scale = 1
    while True:
        for step in steps:
            if step * scale >= value:
                return step * scale
        scale *= 10


def _rows_html(table: list[dict]) -> str:
    e = markupsafe.escape
    columns = [
        ("received", "Tiếp nhận"),
        ("received_online", "Trực tuyến"),
        ("supplement_requests", "Yêu cầu bổ sung"),
        ("finished", "Có kết quả"),
        ("finished_early", "Trước hạn"),
        ("finished_on_time", "Đúng hạn"),
        ("finished_late", "Quá hạn"),
        ("average_working_days", "Ngày làm việc trung bình"),
        ("satisfaction_rate", "Hài lòng (%)"),
    ]
    head = "".join(f'<th scope="col">{e(label)}</th>' for _k, label in columns)
    body = "\n".join(
        f'<tr><th scope="row">{e(_month_label(r["month"]))}</th><td>{e(r["office_name"])}</td>'
        f"<td>{e(r['field_name'])}</td>"
        + "".join(
            f"<td>{e(number(r[k], 2 if k == 'average_working_days' else 1))}</td>"
            for k, _l in columns
        )
        + "</tr>"
        for r in table
    )
    return (
        '<h2 id="chi-tiet">Theo cơ quan và lĩnh vực</h2>\n'
        '<div class="tthc-table" role="region" tabindex="0" aria-label="Số liệu theo tháng, '
        'cơ quan và lĩnh vực"><table class="tk-table">\n'
        "<caption>Số liệu theo tháng, cơ quan và lĩnh vực"
        "</caption>\n"
        f'<thead><tr><th scope="col">Tháng</th><th scope="col">Cơ quan</th>'
        f'<th scope="col">Lĩnh vực</th>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>'
        "</table></div>"
    )
