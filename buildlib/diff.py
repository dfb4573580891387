"""Field-level differences between procedure versions, in plain Vietnamese, and the reviewer's
Markdown report between two git revisions (`build.py diff`).

`compare(old, new)` is pure: the site's public change log uses the same function.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import labels
from .yamlsource import load_text

PROCEDURES = "catalogue/procedures"


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
            changes.append(Change(label, _text(before), _text(after)))

    simple("Tên thủ tục", old.get("name"), new.get("name"))
    simple("Lĩnh vực", old.get("field"), new.get("field"))
    simple("Cấp thực hiện", _levels(old), _levels(new))
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
    simple("Kết thúc", _ended(old), _ended(new))
    changes.extend(_steps(old, new))
    return changes


def _end(version: dict) -> str | None:
    return labels.date(version["effective_to"]) if version.get("effective_to") else None


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _levels(version: dict) -> str:
    return ", ".join(labels.LEVELS.get(x, x) for x in version.get("levels", []))


def _audiences(version: dict) -> str:
    return ", ".join(labels.AUDIENCES.get(x, x) for x in version.get("audiences", []))


def _online(version: dict) -> str | None:
    kind = version.get("online_service", {}).get("kind")
    return labels.ONLINE.get(kind, kind) if kind else None


def _boundary(version: dict) -> str | None:
    allowed = version.get("cross_boundary", {}).get("allowed")
    return {True: "có", False: "không", "unpublished": labels.UNPUBLISHED}.get(allowed)


def _ended(version: dict) -> str | None:
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


# --- the reviewer's report between two git revisions -------------------------------------------


@dataclass
class Tree:
    """Procedure version files of one side: {code: {effective_from: data}} plus unreadable files."""

    versions: dict[str, dict[str, dict]]
    unreadable: list[str]


def read_tree(files: dict[str, str]) -> Tree:
    """files: path -> YAML text for catalogue/procedures/<code>/<date>.yaml."""
    versions: dict[str, dict[str, dict]] = {}
    unreadable: list[str] = []
    for path, text in sorted(files.items()):
        parts = Path(path).parts
        if len(parts) != 4 or not path.endswith(".yaml"):
            continue
        data, problems = load_text(text, path)
        if not isinstance(data, dict) or problems:
            unreadable.append(path)
            continue
        versions.setdefault(parts[2], {})[Path(path).stem] = data
    return Tree(versions, unreadable)


def report(base: Tree, head: Tree, *, base_name: str, head_name: str) -> str:
    added, amended, replaced, abolished, edited, removed = [], [], [], [], [], []
    for code in sorted(set(base.versions) | set(head.versions)):
        old, new = base.versions.get(code, {}), head.versions.get(code, {})
        if not new:
            removed.append(code)
            continue
        latest = new[max(new)]
        title = f"{code} {latest.get('name', '')}".strip()
        if not old:
            added.append(_added(code, title, new))
            continue
        ended_before = _ended(old[max(old)]) if old else None
        ended_now = _ended(latest)
        if ended_now and ended_now != ended_before:
            section = replaced if latest["ended"]["kind"] == "replaced" else abolished
            section.append(
                f"- **{title}**: {ended_now}, từ {labels.date(latest.get('effective_to'))}"
            )
        for start in sorted(set(new) - set(old)):
            previous = max((s for s in new if s < start), default=None)
            changes = compare(new[previous], new[start]) if previous else []
            amended.append(_version_block(title, new[start], start, previous, changes))
        for start in sorted(set(old) & set(new)):
            if old[start] != new[start]:
                changes = compare(old[start], new[start], same_version=True)
                closing = {c.label for c in changes} <= {"Hết hiệu lực", "Kết thúc"}
                followed = new[start].get("effective_to") in new
                if closing and (ended_now or followed):
                    continue  # closing a version is said by the new version or the ending
                edited.append(_edit_block(title, start, changes, old[start], new[start]))
    lines = ["# Thay đổi danh mục thủ tục hành chính", ""]
    lines.append(
        f"So sánh `{base_name}` → `{head_name}`: {len(added)} thủ tục thêm mới, "
        f"{len(amended)} phiên bản mới, {len(replaced)} bị thay thế, "
        f"{len(abolished)} bãi bỏ, {len(edited)} phiên bản đã có bị sửa."
    )
    for heading, items in (
        ("Thêm mới", added),
        ("Phiên bản mới (sửa đổi, bổ sung)", amended),
        ("Bị thay thế", replaced),
        ("Bãi bỏ", abolished),
        ("Sửa trực tiếp phiên bản đã có", edited),
    ):
        if items:
            lines += ["", f"## {heading}", "", *items]
    if removed:
        lines += [
            "",
            "## Bị xóa khỏi danh mục",
            "",
            "Thủ tục đã công bố không được xóa: hãy ghi `ended` (bãi bỏ hoặc thay thế).",
            "",
        ]
        lines += [f"- **{code}**" for code in removed]
    if head.unreadable or base.unreadable:
        lines += ["", "## Tệp không đọc được", "", "Chạy `python build.py check` để xem lỗi.", ""]
        lines += [f"- `{p}`" for p in head.unreadable + base.unreadable]
    if not any((added, amended, replaced, abolished, edited, removed)):
        lines += ["", "Không có thay đổi nào về thủ tục."]
    return "\n".join(lines) + "\n"


def _added(code: str, title: str, versions: dict[str, dict]) -> str:
    starts = ", ".join(labels.date(s) for s in sorted(versions))
    latest = versions[max(versions)]
    return (
        f"- **{title}** — {_levels(latest)}; hiệu lực từ {starts}; "
        f"{labels.decision(latest.get('decision'))}"
    )


def _version_block(
    title: str, version: dict, start: str, previous: str | None, changes: list[Change]
) -> str:
    head = (
        f"### {title}\n\nPhiên bản từ {labels.date(start)} "
        f"({labels.decision(version.get('decision'))})"
    )
    head += f", thay phiên bản từ {labels.date(previous)}:" if previous else ":"
    body = [f"- {c.markdown()}" for c in changes] or ["- (không có thay đổi về nội dung)"]
    summary = version.get("change", {}).get("summary")
    extra = [f"\n> {summary}"] if summary else []
    return "\n".join([head, *extra, "", *body, ""])


def _edit_block(title: str, start: str, changes: list[Change], old: dict, new: dict) -> str:
    body = [f"- {c.markdown()}" for c in changes]
    if not body:
        body = ["- (thay đổi ở nguồn, ghi chú hoặc trường không hiển thị)"]
    return "\n".join([f"### {title} (phiên bản từ {labels.date(start)})", "", *body, ""])


# --- git -----------------------------------------------------------------------------------------


class GitError(Exception):
    pass


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GitError(result.stderr.strip() or f"git {' '.join(args)} thất bại")
    return result.stdout


def files_at(root: Path, revision: str) -> dict[str, str]:
    listing = _git(root, "ls-tree", "-r", "--name-only", revision, "--", PROCEDURES)
    paths = [p for p in listing.splitlines() if p.endswith(".yaml")]
    if not paths:
        return {}
    batch = "".join(f"{revision}:{p}\n" for p in paths)
    result = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=root,
        input=batch.encode(),
        capture_output=True,
        check=True,
    )
    out, files, pos = result.stdout, {}, 0
    for path in paths:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        files[path] = out[header_end + 1 : header_end + 1 + size].decode("utf-8", "replace")
        pos = header_end + 1 + size + 1
    return files


def files_in_worktree(root: Path) -> dict[str, str]:
    folder = root / PROCEDURES
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(folder.glob("*/*.yaml"))
    }


def default_base(root: Path) -> str:
    for ref in ("main", "origin/main"):
        try:
            return _git(root, "merge-base", ref, "HEAD").strip()
        except GitError:
            continue
    return "HEAD"


def diff_command(root: Path, base: str | None, head: str | None, *, out: TextIO) -> int:
    try:
        base = base or default_base(root)
        base_files = files_at(root, base)
        head_files = files_at(root, head) if head else files_in_worktree(root)
    except GitError as error:
        print(f"Lỗi git: {error}", file=out)
        return 2
    text = report(
        read_tree(base_files),
        read_tree(head_files),
        base_name=base[:12],
        head_name=head or "thư mục làm việc",
    )
    out.write(text)
    return 0
