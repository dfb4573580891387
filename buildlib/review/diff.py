"""The reviewer's Markdown report between two git revisions (`build.py diff`), built on the
field-level comparison of catalogue/changes.py."""

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from buildlib.catalogue import labels
from buildlib.catalogue.changes import Change, compare, ended_text, levels_text
from buildlib.catalogue.yamlsource import load_text
from buildlib.errors import GitError

PROCEDURES = "catalogue/procedures"


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
    added: list[str] = []
    amended: list[str] = []
    replaced: list[str] = []
    abolished: list[str] = []
    edited: list[str] = []
    removed: list[str] = []
    unreadable = {Path(p).parts[2] for p in head.unreadable}
    for code in sorted(set(base.versions) | set(head.versions)):
        old, new = base.versions.get(code, {}), head.versions.get(code, {})
        if not new:
            if code not in unreadable:  # a file that cannot be read is not a removal
                removed.append(code)
            continue
        latest = new[max(new)]
        title = f"{code} {latest.get('name', '')}".strip()
        if not old:
            added.append(_added(code, title, new))
            continue
        ended_before = ended_text(old[max(old)]) if old else None
        ended_now = ended_text(latest)
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
        f"- **{title}** — {levels_text(latest)}; hiệu lực từ {starts}; "
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


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise GitError(result.stderr.strip() or f"git {' '.join(args)} thất bại")
    return result.stdout


def files_at(root: Path, revision: str) -> dict[str, str]:
    listing = git(root, "ls-tree", "-r", "--name-only", revision, "--", PROCEDURES)
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
            return git(root, "merge-base", ref, "HEAD").strip()
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
