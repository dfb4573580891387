"""Field-level differences between procedure versions, in plain Vietnamese.

`compare(old, new)` is pure: the site's public change log, the reviewer's report
(review/diff.py) and the importer's draft notes all use it.
"""

from dataclasses import dataclass

from . import labels


@dataclass(frozen=True)
class Change:
    label: str  # e.g. "Lệ phí (trực tuyến)"
    before: str | None  # None: added
    after: str | None  # None: removed

    def markdown(self) -> str:
        if self.before is None:
            return f"{self.label}: thêm {self.after}"
        if self.after is None:
            return f"{self.label}: bỏ {self.before}"
        return f"{self.label}: {self.before} → {self.after}"


def compare(old: dict, new: dict, *, same_version: bool = False) -> list[Change]:
    """What changed from one version of a procedure to another, field by field.

    Between consecutive versions the end date differs by nature and is left out; with
    same_version=True (one file edited in place) it is reported.
    """
    changes: list[Change] = []

    def simple(label: str, before: object, after: object) -> None:
        if before != after:
            changes.append(Change(label, as_text(before), as_text(after)))

    simple("Tên thủ tục", old.get("name"), new.get("name"))
    simple("Lĩnh vực", old.get("field"), new.get("field"))
    simple("Cấp thực hiện", levels_text(old), levels_text(new))
    simple("Đối tượng thực hiện", _audiences(old), _audiences(new))
    simple(
        "Quyết định công bố",
        labels.decision(old.get("decision")),
        labels.decision(new.get("decision")),
    )
    changes.extend(_channels(old, new))
    changes.extend(_documents(old, new))
    changes.extend(_listed("Điều kiện", old.get("conditions"), new.get("conditions")))
    changes.extend(_listed("Kết quả", _names(old.get("result")), _names(new.get("result"))))
    changes.extend(
        _listed("Căn cứ pháp lý", _basis(old.get("legal_basis")), _basis(new.get("legal_basis")))
    )
    for role, label in (
        ("implementing", "Cơ quan thực hiện"),
        ("competent", "Cơ quan có thẩm quyền"),
        ("coordinating", "Cơ quan phối hợp"),
    ):
        changes.extend(
            _listed(label, old.get("agencies", {}).get(role), new.get("agencies", {}).get(role))
        )
    simple("Dịch vụ công trực tuyến", _online(old), _online(new))
    simple(
        "Biểu mẫu trực tuyến",
        old.get("online_service", {}).get("form"),
        new.get("online_service", {}).get("form"),
    )
    simple("Tiếp nhận phi địa giới", _boundary(old), _boundary(new))
    if same_version:
        simple("Hết hiệu lực", _end(old), _end(new))
    simple("Kết thúc", ended_text(old), ended_text(new))
    changes.extend(_steps(old, new))
    return changes


def _end(version: dict) -> str | None:
    return labels.date(version["effective_to"]) if version.get("effective_to") else None


def as_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def levels_text(version: dict) -> str:
    return ", ".join(labels.LEVELS.get(x, x) for x in version.get("levels", []))


def _audiences(version: dict) -> str:
    return ", ".join(labels.AUDIENCES.get(x, x) for x in version.get("audiences", []))


def _online(version: dict) -> str | None:
    kind = version.get("online_service", {}).get("kind")
    return labels.ONLINE.get(kind, kind) if kind else None


def _boundary(version: dict) -> str | None:
    allowed = version.get("cross_boundary", {}).get("allowed")
    return {True: "có", False: "không", "unpublished": labels.UNPUBLISHED}.get(allowed)


def ended_text(version: dict) -> str | None:
    ended = version.get("ended")
    if not ended:
        return None
    if ended["kind"] == "replaced":
        by = ", ".join(ended.get("replaced_by", []))
        return f"bị thay thế bởi {by} ({labels.decision(ended.get('decision'))})"
    return f"bị bãi bỏ ({labels.decision(ended.get('decision'))})"


def _names(items: list | None) -> list[str]:
    return [item["name"] for item in items or []]


def _basis(items: list | None) -> list[str]:
    return [item["number"] for item in items or []]


def _listed(label: str, before: list | None, after: list | None) -> list[Change]:
    before, after = list(before or []), list(after or [])
    removed = [x for x in before if x not in after]
    added = [x for x in after if x not in before]
    return [Change(label, str(x), None) for x in removed] + [
        Change(label, None, str(x)) for x in added
    ]


def _fee_items(channel: dict) -> dict[str, dict]:
    return {item["name"]: item for item in channel.get("fees", {}).get("items", [])}


def _fee_label(item: dict, channel: str) -> str:
    """'Lệ phí đăng ký khai sinh (trực tuyến)'; the kind is said once if the name says it."""
    kind = labels.FEE_KINDS.get(item["kind"], "Phí")
    name = item["name"]
    said = name.lower().startswith(("phí", "lệ phí"))
    return f"{name if said else f'{kind} {name}'} ({channel})"


def _channels(old: dict, new: dict) -> list[Change]:
    changes: list[Change] = []
    before = {c["kind"]: c for c in old.get("channels", [])}
    after = {c["kind"]: c for c in new.get("channels", [])}
    for kind in labels.CHANNELS:
        name = labels.CHANNELS[kind]
        a, b = before.get(kind), after.get(kind)
        if a is None and b is None:
            continue
        if a is None or b is None:
            changes.append(Change("Kênh nộp hồ sơ", name if a else None, name if b else None))
            continue
        changes.extend(_deadline_change(name, a.get("deadline"), b.get("deadline")))
        fees_a, fees_b = a.get("fees", {}), b.get("fees", {})
        if fees_a.get("status") != fees_b.get("status"):
            changes.append(
                Change(
                    f"Phí, lệ phí ({name})",
                    labels.FEE_STATUS.get(fees_a.get("status"), "?"),
                    labels.FEE_STATUS.get(fees_b.get("status"), "?"),
                )
            )
        items_a, items_b = _fee_items(a), _fee_items(b)
        for fee in list(dict.fromkeys([*items_a, *items_b])):
            x, y = items_a.get(fee), items_b.get(fee)
            label = _fee_label(x or y, name)  # type: ignore[arg-type]
            if x and y and x.get("amount") != y.get("amount"):
                changes.append(Change(label, labels.money(x["amount"]), labels.money(y["amount"])))
            elif x is None or y is None:
                changes.append(
                    Change(
                        label,
                        labels.money(x["amount"]) if x else None,
                        labels.money(y["amount"]) if y else None,
                    )
                )
    return changes


def _deadline_change(channel: str, a: dict | None, b: dict | None) -> list[Change]:
    if (a or {}) == (b or {}) or labels.deadline(a) == labels.deadline(b):
        return []
    label = f"Thời hạn giải quyết ({channel})"
    a, b = a or {}, b or {}
    same_unit = a.get("unit") == b.get("unit") and a.get("unit") not in ("same_day", None)
    if same_unit and isinstance(a.get("amount"), int) and isinstance(b.get("amount"), int):
        unit = labels.UNITS[b["unit"]]
        return [Change(label, str(a["amount"]), f"{b['amount']} {unit}")]
    return [Change(label, labels.deadline(a), labels.deadline(b))]


def _documents(old: dict, new: dict) -> list[Change]:
    changes: list[Change] = []
    cases_a = {c["id"]: c for c in old.get("cases", [])}
    cases_b = {c["id"]: c for c in new.get("cases", [])}
    several = len(cases_a) > 1 or len(cases_b) > 1
    for case_id in dict.fromkeys([*cases_a, *cases_b]):
        a, b = cases_a.get(case_id), cases_b.get(case_id)
        case_name = (b or a or {}).get("name", case_id)
        if a is None or b is None:
            changes.append(Change("Trường hợp", case_name if a else None, case_name if b else None))
            continue
        where = f" ({case_name})" if several else ""
        docs_a = {d["id"]: d for d in a.get("documents", [])}
        docs_b = {d["id"]: d for d in b.get("documents", [])}
        for doc_id in dict.fromkeys([*docs_a, *docs_b]):
            x, y = docs_a.get(doc_id), docs_b.get(doc_id)
            if x is None or y is None:
                changes.append(
                    Change(
                        f"Thành phần hồ sơ{where}",
                        x["name"] if x else None,
                        y["name"] if y else None,
                    )
                )
                continue
            for key, label in (
                ("name", "tên"),
                ("originals", "số bản chính"),
                ("copies", "số bản sao"),
            ):
                if x.get(key) != y.get(key):
                    changes.append(
                        Change(
                            f"Giấy tờ “{y['name']}”{where}: {label}",
                            str(x.get(key)),
                            str(y.get(key)),
                        )
                    )
    return changes


def _steps(old: dict, new: dict) -> list[Change]:
    a = [s for c in old.get("cases", []) for s in c.get("steps", [])]
    b = [s for c in new.get("cases", []) for s in c.get("steps", [])]
    if a == b:
        return []
    return [Change("Trình tự thực hiện", f"{len(a)} bước", f"{len(b)} bước (đã sửa nội dung)")]
