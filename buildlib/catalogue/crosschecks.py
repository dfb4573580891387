"""Cross-checks over the whole loaded catalogue: references, versions, levels, forms, calendars.

Each check reads the catalogue and returns problems; none stops at the first. Documents that did
not load or did not match their schema are skipped here (their problems are already reported),
so a cross-check never fails on a shape the schema refused.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from chalicelib.forms import RESERVED

from . import offices
from .load import Catalogue, Document
from .problems import Problem

REFORM_DATE = "2025-07-01"  # two-tier local government: no district level from this day


def run_all(catalogue: Catalogue, *, calendar_library: bool = True) -> list[Problem]:
    """`calendar_library=False`: without `check_calendar_library`, for a caller that knows the
    calendars and the `holidays` package are those an earlier run checked (a rebuild)."""
    return run(
        catalogue, [c for c in CHECKS if calendar_library or c is not check_calendar_library]
    )


def run(
    catalogue: Catalogue, checks: list[Callable[["_Context"], Iterator[Problem]]]
) -> list[Problem]:
    """The problems the given checks (some of CHECKS) find, in their order."""
    ctx = _Context(catalogue)
    problems: list[Problem] = []
    for check in checks:
        problems.extend(check(ctx))
    return problems


class _Context:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        failed = {p.path for p in catalogue.problems if p.severity == "error"}
        self.docs = [d for d in catalogue.documents if d.data is not None and d.rel not in failed]
        self.valid = {d.rel for d in self.docs}
        self.all_rels = {d.rel for d in catalogue.documents}
        self.procedures: dict[str, list[Document]] = {}
        for doc in self.of("procedure"):
            self.procedures.setdefault(doc.path.parent.name, []).append(doc)
        for versions in self.procedures.values():
            versions.sort(key=lambda d: d.data["effective_from"])
        # All procedure codes that exist as folders, even if one of their files is broken,
        # so a broken file does not also produce "unknown procedure" everywhere else.
        self.codes = {d.code for d in catalogue.documents if d.kind == "procedure"}
        self.agencies = self._ids("agency")
        self.forms = self._ids("form")
        self.life_events = self._ids("life-event")
        self.fields = {
            f["id"] for d in self.of("field") for f in d.data["fields"] if isinstance(f, dict)
        }
        self.units = {d.data["code"] for d in self.of("units")} | {
            c["code"] for d in self.of("units") for c in d.data["communes"]
        }
        self.templates = catalogue.root / "templates"

    def of(self, kind: str) -> list[Document]:
        return [d for d in self.docs if d.kind == kind]

    def _ids(self, kind: str) -> set[str]:
        return {d.path.stem for d in self.catalogue.documents if d.kind == kind}


def _ref_problems(
    doc: Document, parts: tuple, values: object, known: set[str], what: str
) -> Iterator[Problem]:
    if isinstance(values, str):
        if values not in known:
            yield doc.problem(parts, f"{what} '{values}' không tồn tại trong danh mục")
        return
    value: object
    for index, value in enumerate(values or []):  # type: ignore[arg-type]
        if value not in known:
            yield doc.problem((*parts, index), f"{what} '{value}' không tồn tại trong danh mục")


def check_file_names(ctx: _Context) -> Iterator[Problem]:
    """File and folder names carry the identity: they must match what the file says."""
    for doc in ctx.docs:
        data, stem = doc.data, doc.path.stem
        if doc.kind == "procedure":
            if data["code"] != doc.path.parent.name:
                yield doc.problem(
                    ("code",), f"mã '{data['code']}' khác tên thư mục '{doc.path.parent.name}'"
                )
            if data["effective_from"] != stem:
                yield doc.problem(
                    ("effective_from",),
                    f"ngày hiệu lực '{data['effective_from']}' khác tên tệp '{doc.path.name}'",
                )
        elif doc.kind in ("form", "agency", "life-event") and data["id"] != stem:
            yield doc.problem(("id",), f"mã '{data['id']}' khác tên tệp '{doc.path.name}'")
        elif doc.kind == "units" and data["code"] != stem:
            yield doc.problem(("code",), f"mã '{data['code']}' khác tên tệp '{doc.path.name}'")
        elif doc.kind == "calendar" and str(data["year"]) != stem:
            yield doc.problem(("year",), f"năm {data['year']} khác tên tệp '{doc.path.name}'")


def check_unique_ids(ctx: _Context) -> Iterator[Problem]:
    """Ids inside list files and inside one version must be unique."""
    for doc in ctx.of("field"):
        yield from _duplicates(doc, ("fields",), [f["id"] for f in doc.data["fields"]], "lĩnh vực")
    seen_communes: dict[str, str] = {}
    for doc in ctx.of("units"):
        for index, commune in enumerate(doc.data["communes"]):
            code = commune["code"]
            if code in seen_communes:
                yield doc.problem(
                    ("communes", index, "code"), f"mã xã '{code}' trùng với {seen_communes[code]}"
                )
            seen_communes[code] = doc.rel
    for doc in ctx.of("procedure"):
        cases = doc.data["cases"]
        yield from _duplicates(doc, ("cases",), [c["id"] for c in cases], "trường hợp")
        documents = [
            ((("cases", ci, "documents", di, "id")), d["id"])
            for ci, case in enumerate(cases)
            for di, d in enumerate(case["documents"])
        ]
        seen: set[str] = set()
        for parts, value in documents:
            if value in seen:
                yield doc.problem(parts, f"mã giấy tờ '{value}' bị trùng trong phiên bản này")
            seen.add(value)
        kinds = [c["kind"] for c in doc.data["channels"]]
        yield from _duplicates(doc, ("channels",), kinds, "kênh nộp", key="kind")
    for doc in ctx.of("form"):
        ids = [
            (("pages", pi, group, i, "id"), item["id"])
            for pi, page in enumerate(doc.data["pages"])
            for group in ("fields", "uploads")
            for i, item in enumerate(page.get(group, []))
        ]
        seen = set()
        for parts, value in ids:
            if value in seen:
                yield doc.problem(parts, f"mã '{value}' bị trùng trong biểu mẫu")
            seen.add(value)


def _duplicates(
    doc: Document, parts: tuple, values: list, what: str, key: str = "id"
) -> Iterator[Problem]:
    counts = Counter(values)
    seen: set = set()
    for index, value in enumerate(values):
        if counts[value] > 1 and value in seen:
            yield doc.problem((*parts, index, key), f"{what} '{value}' bị trùng")
        seen.add(value)


def check_references(ctx: _Context) -> Iterator[Problem]:
    for doc in ctx.of("procedure"):
        data = doc.data
        yield from _ref_problems(doc, ("field",), data["field"], ctx.fields, "lĩnh vực")
        for role in ("implementing", "competent", "coordinating"):
            yield from _ref_problems(
                doc, ("agencies", role), data["agencies"].get(role), ctx.agencies, "cơ quan"
            )
        yield from _ref_problems(
            doc,
            ("intake", "agencies"),
            data.get("intake", {}).get("agencies"),
            ctx.agencies,
            "cơ quan",
        )
        yield from _ref_problems(doc, ("related",), data.get("related"), ctx.codes, "thủ tục")
        yield from _ref_problems(
            doc, ("life_events",), data.get("life_events"), ctx.life_events, "sự kiện cuộc sống"
        )
        if "form" in data["online_service"]:
            yield from _ref_problems(
                doc,
                ("online_service", "form"),
                data["online_service"]["form"],
                ctx.forms,
                "biểu mẫu",
            )
        ended = data.get("ended") or {}
        yield from _ref_problems(
            doc, ("ended", "replaced_by"), ended.get("replaced_by"), ctx.codes, "thủ tục thay thế"
        )
        for ci, case in enumerate(data["cases"]):
            for di, document in enumerate(case["documents"]):
                file = document.get("template", {}).get("file")
                if file and not _inside(ctx.templates, file):
                    yield doc.problem(
                        ("cases", ci, "documents", di, "template", "file"),
                        f"không có tệp mẫu catalogue/templates/{file}",
                    )
    for doc in ctx.of("agency"):
        if "parent" in doc.data:
            yield from _ref_problems(doc, ("parent",), doc.data["parent"], ctx.agencies, "cơ quan")
        if "unit" in doc.data:
            yield from _ref_problems(
                doc, ("unit",), doc.data["unit"], ctx.units, "đơn vị hành chính"
            )
        for index, pred in enumerate(doc.data.get("predecessors", [])):
            if "id" in pred:
                yield from _ref_problems(
                    doc, ("predecessors", index, "id"), pred["id"], ctx.agencies, "cơ quan"
                )
    for doc in ctx.of("life-event"):
        for index, step in enumerate(doc.data["steps"]):
            yield from _ref_problems(
                doc, ("steps", index, "procedure"), step["procedure"], ctx.codes, "thủ tục"
            )
    for doc in ctx.of("form"):
        yield from _ref_problems(doc, ("procedure",), doc.data["procedure"], ctx.codes, "thủ tục")


def _inside(folder: Path, relative: str) -> bool:
    target = (folder / relative).resolve()
    return target.is_relative_to(folder.resolve()) and target.is_file()


def check_versions(ctx: _Context) -> Iterator[Problem]:
    """Versions of one procedure are ordered, do not overlap, and end explicitly."""
    for versions in ctx.procedures.values():
        for index, doc in enumerate(versions):
            data = doc.data
            start, end = data["effective_from"], data.get("effective_to")
            later = versions[index + 1] if index + 1 < len(versions) else None
            if end is not None and end <= start:
                yield doc.problem(
                    ("effective_to",), f"ngày hết hiệu lực {end} phải sau ngày bắt đầu {start}"
                )
            if later is not None:
                next_start = later.data["effective_from"]
                if end is None:
                    yield doc.problem(
                        ("effective_from",),
                        f"phiên bản chưa có effective_to nhưng "
                        f"có phiên bản sau từ {next_start}: các phiên bản chồng lên "
                        f"nhau",
                    )
                elif end > next_start:
                    yield doc.problem(
                        ("effective_to",),
                        f"chồng lên phiên bản {next_start} "
                        f"({later.rel}): hết hiệu lực {end} sau ngày bắt đầu của "
                        f"phiên bản sau",
                    )
                if "ended" in data:
                    yield doc.problem(("ended",), "chỉ phiên bản cuối cùng mới có 'ended'")
            elif "ended" in data and end is None:
                yield doc.problem(("ended",), "thủ tục đã kết thúc thì phải có effective_to")
            elif end is not None and "ended" not in data:
                yield doc.problem(
                    ("effective_to",),
                    "phiên bản cuối có effective_to: ghi 'ended' "
                    "(replaced hoặc abolished) hoặc thêm phiên bản kế tiếp",
                )
            if data["change"]["kind"] == "replacement" and "replaces" not in data["change"]:
                yield doc.problem(("change",), "change.kind là replacement thì phải có replaces")


def check_replacements(ctx: _Context) -> Iterator[Problem]:
    """A replacement named on one side must be consistent on the other, when both are here."""
    for code, versions in ctx.procedures.items():
        last = versions[-1]
        ended = last.data.get("ended") or {}
        for index, new_code in enumerate(ended.get("replaced_by", [])):
            successor = ctx.procedures.get(new_code)
            if not successor:
                continue
            replaces = {c for v in successor for c in v.data["change"].get("replaces", [])}
            if code not in replaces:
                yield last.problem(
                    ("ended", "replaced_by", index),
                    f"thủ tục {new_code} không ghi change.replaces: [{code}]",
                )
        for doc in versions:
            for index, old_code in enumerate(doc.data["change"].get("replaces", [])):
                old = ctx.procedures.get(old_code)
                if not old:
                    continue
                old_end = old[-1].data.get("ended") or {}
                if old_end.get("kind") != "replaced" or code not in old_end.get("replaced_by", []):
                    yield doc.problem(
                        ("change", "replaces", index),
                        f"thủ tục {old_code} có trong danh mục nhưng phiên bản cuối "
                        f"không ghi ended.replaced_by: [{code}]",
                    )


def check_levels(ctx: _Context) -> Iterator[Problem]:
    """No district level in a version still in force on or after 2025-07-01."""
    for doc in ctx.of("procedure"):
        levels = doc.data["levels"]
        end = doc.data.get("effective_to")
        if "huyen" in levels and (end is None or end > REFORM_DATE):
            yield doc.problem(
                ("levels", levels.index("huyen")),
                "cấp huyện chỉ dùng cho phiên bản hết hiệu lực trước hoặc đúng "
                f"ngày {REFORM_DATE} (chính quyền địa phương hai cấp)",
            )
    for doc in ctx.of("agency"):
        end = doc.data.get("effective_to")
        if doc.data["level"] == "huyen" and (end is None or end > REFORM_DATE):
            yield doc.problem(
                ("level",), f"cơ quan cấp huyện phải có effective_to <= {REFORM_DATE}"
            )


def check_forms(ctx: _Context) -> Iterator[Problem]:
    """Forms: conditions refer to earlier choice fields; upload slots to existing documents."""
    users: dict[str, list[Document]] = {}
    for doc in ctx.of("procedure"):
        form = doc.data["online_service"].get("form")
        if form:
            users.setdefault(form, []).append(doc)
            if doc.data["online_service"]["kind"] == "none":
                yield doc.problem(
                    ("online_service", "kind"), "có biểu mẫu trực tuyến nhưng kind là none"
                )
            if not any(c["kind"] == "online" for c in doc.data["channels"]):
                yield doc.problem(
                    ("online_service", "form"), "có biểu mẫu trực tuyến nhưng không có kênh online"
                )
    for form in ctx.of("form"):
        choices: dict[str, set] = {}
        declared: dict[str, dict] = {}  # the fields of earlier pages
        for pi, page in enumerate(form.data["pages"]):
            if "when" in page:
                yield from _check_condition(form, ("pages", pi, "when"), page["when"], choices)
            for fi, item in enumerate(page.get("fields", [])):
                if "when" in item:
                    yield from _check_condition(
                        form, ("pages", pi, "fields", fi, "when"), item["when"], choices
                    )
                if item["id"] in RESERVED:
                    yield form.problem(
                        ("pages", pi, "fields", fi, "id"),
                        f"'{item['id']}' là câu hỏi nhận kết quả mà mọi biểu mẫu đã có "
                        "(lấy từ channels của thủ tục): không khai lại",
                    )
                if item["type"] == "select":
                    choices[item["id"]] = {o["value"] for o in item["options"]}
                elif item["type"] == "yes_no":
                    choices[item["id"]] = {True, False}
                if item["type"] == "number" and item.get("min", 0) > item.get("max", float("inf")):
                    yield form.problem(("pages", pi, "fields", fi, "min"), "min lớn hơn max")
            if "same_as" in page:
                yield from _check_same_as(form, pi, page, declared)
                if "when" in page["same_as"]:
                    yield from _check_condition(
                        form, ("pages", pi, "same_as", "when"), page["same_as"]["when"], choices
                    )
            declared.update({item["id"]: item for item in page.get("fields", [])})
            for ui, slot in enumerate(page.get("uploads", [])):
                if "when" in slot:
                    yield from _check_condition(
                        form, ("pages", pi, "uploads", ui, "when"), slot["when"], choices
                    )
                if slot["min_files"] > slot["max_files"]:
                    yield form.problem(
                        ("pages", pi, "uploads", ui, "min_files"), "min_files lớn hơn max_files"
                    )
                for version in users.get(form.data["id"], []):
                    documents = {d["id"] for c in version.data["cases"] for d in c["documents"]}
                    if slot["document"] not in documents:
                        yield form.problem(
                            ("pages", pi, "uploads", ui, "document"),
                            f"giấy tờ '{slot['document']}' không có trong thành "
                            f"phần hồ sơ của {version.rel}",
                        )
        for version in users.get(form.data["id"], []):
            if version.data["code"] != form.data["procedure"]:
                yield version.problem(
                    ("online_service", "form"),
                    f"biểu mẫu '{form.data['id']}' thuộc thủ tục "
                    f"{form.data['procedure']}, không phải {version.data['code']}",
                )


def _check_same_as(form: Document, pi: int, page: dict, declared: dict) -> Iterator[Problem]:
    """ "Giống người nộp hồ sơ": each copied field is on this page and copies an earlier field of
    the same kind (the same choices); each set value is a choice of a field of this page."""
    same = page["same_as"]
    here = {item["id"]: item for item in page.get("fields", [])}
    for target, source in same["fields"].items():
        parts = ("pages", pi, "same_as", "fields", target)
        if target not in here:
            yield form.problem(parts, f"'{target}' không phải trường của trang này")
        elif source not in declared:
            yield form.problem(parts, f"'{source}' không phải trường của trang trước")
        elif (here[target]["type"], here[target].get("options")) != (
            declared[source]["type"],
            declared[source].get("options"),
        ):
            yield form.problem(parts, f"'{target}' và '{source}' không cùng kiểu, cùng lựa chọn")
    for target, value in same.get("values", {}).items():
        item = here.get(target)
        allowed = (
            {True, False}
            if item and item["type"] == "yes_no"
            else {o["value"] for o in (item or {}).get("options", [])}
        )
        if value not in allowed:
            yield form.problem(
                ("pages", pi, "same_as", "values", target),
                f"'{value}' không phải lựa chọn của trường '{target}' trên trang này",
            )


def _check_condition(
    form: Document, parts: tuple, when: dict, choices: dict[str, set]
) -> Iterator[Problem]:
    if when["field"] not in choices:
        yield form.problem(
            (*parts, "field"),
            f"điều kiện dựa trên '{when['field']}', nhưng đó "
            "không phải trường select/yes_no khai báo trước",
        )
        return
    for index, value in enumerate(when["in"]):
        if value not in choices[when["field"]]:
            yield form.problem(
                (*parts, "in", index), f"'{value}' không phải lựa chọn của trường '{when['field']}'"
            )


def check_calendars(ctx: _Context) -> Iterator[Problem]:
    for doc in ctx.of("calendar"):
        year = doc.data["year"]
        for group, weekend in (("days_off", False), ("makeup_workdays", True)):
            for index, entry in enumerate(doc.data[group]):
                day = dt.date.fromisoformat(entry["date"])
                if day.year != year:
                    yield doc.problem((group, index, "date"), f"ngày {day} không thuộc năm {year}")
                if (day.weekday() >= 5) != weekend:
                    wanted = "thứ Bảy hoặc Chủ nhật" if weekend else "ngày thường (thứ Hai–Sáu)"
                    yield doc.problem((group, index, "date"), f"ngày {day} phải là {wanted}")


def check_calendar_library(ctx: _Context) -> Iterator[Problem]:
    """expected_holidays must be what the pinned `holidays` package computes for that year, so a
    library upgrade that moves a day off is seen by an editor, not discovered by a late dossier."""
    import holidays

    for doc in ctx.of("calendar"):
        if "expected_holidays" not in doc.data:
            continue
        year = doc.data["year"]
        computed = {d.isoformat() for d in holidays.country_holidays("VN", years=year)}
        expected = doc.data["expected_holidays"]
        for index, day in enumerate(expected):
            if day not in computed:
                yield doc.problem(
                    ("expected_holidays", index), f"thư viện holidays không coi {day} là ngày nghỉ"
                )
        for day in sorted(computed - set(expected)):
            yield doc.problem(
                ("expected_holidays",),
                f"thư viện holidays coi {day} là ngày nghỉ nhưng tệp không ghi; "
                "thêm vào expected_holidays (và not_days_off nếu không được nghỉ)",
            )


UNREVIEWED = "nhập tự động, chưa rà soát: kiểm tra trước khi công bố"


def check_review(ctx: _Context) -> Iterator[Problem]:
    for doc in ctx.of("procedure"):
        if doc.data.get("review", {}).get("status") == "imported":
            yield doc.problem(("review", "status"), UNREVIEWED, severity="warning")


def unreviewed(problem: Problem) -> bool:
    """The warning every unreviewed draft gets (check_review): `check` counts these in one line."""
    return problem.field == "review.status" and problem.message == UNREVIEWED


def check_offices(ctx: _Context) -> Iterator[Problem]:
    """The office register (offices.py) gives every office its own id and identifier: the
    dossier codes of two offices must never share a prefix."""
    # An agency whose id is not its file name is reported by check_file_names and left out here.
    named = [d for d in ctx.docs if d.kind != "agency" or d.data["id"] == d.path.stem]
    register = offices.of_catalogue([(d.kind, d.data) for d in named])
    clashes = set(offices.duplicates(register))
    agencies = {d.path.stem: d for d in ctx.of("agency")}
    for office in register:
        if clashes & {office["id"], office["identifier"]} and office["agency"] in agencies:
            yield agencies[office["agency"]].problem(
                ("office_code",) if "office_code" in agencies[office["agency"]].data else (),
                f"văn phòng {office['id']} ({office['identifier']}) trùng mã hoặc mã định danh "
                "với văn phòng khác: ghi office_code khác hoặc mã định danh đã công bố",
            )


def check_cross_boundary(ctx: _Context) -> Iterator[Problem]:
    """Filing regardless of the boundary is never guessed: `allowed: true` cites its source."""
    for doc in ctx.of("procedure"):
        marker = doc.data.get("cross_boundary", {})
        if marker.get("allowed") is True and not (marker.get("basis") or marker.get("sources")):
            yield doc.problem(
                ("cross_boundary", "allowed"),
                "tiếp nhận phi địa giới cần nguồn: ghi basis (quyết định công bố danh mục) "
                "hoặc sources; chưa có nguồn thì ghi unpublished",
                severity="warning",
            )


CHECKS: list[Callable[[_Context], Iterator[Problem]]] = [
    check_file_names,
    check_unique_ids,
    check_references,
    check_versions,
    check_replacements,
    check_levels,
    check_forms,
    check_calendars,
    check_calendar_library,
    check_review,
    check_offices,
    check_cross_boundary,
]
# Two of the costliest checks at 10,000 procedures (check_review places 232 warnings, each one
# parsing its file again; check_calendar_library imports `holidays`), which `build.py check`
# runs in a forked process beside the others.
ASIDE: list[Callable[[_Context], Iterator[Problem]]] = [check_review, check_calendar_library]
