"""The pull-request loop around `check`, `verify` and `diff` (.github/workflows/catalogue-pr.yml,
scripts/pr/): which pages a change touches, and the one reviewer's comment on the pull request.

`changed_pages` reads the git diff between two revisions and names the site's pages the change
touches (a procedure's stable page, its versions' permanent pages, its checklist and application
page, the browse pages listing it; an agency's page; every page when the theme, the schemas or a
catalogue-wide file changed). The preview build lists them and axe-core checks them.

`upsert_comment` keeps ONE comment per pull request: it carries a hidden marker, and a second push
edits it instead of adding another. It speaks the GitHub REST API at a base URL given by the
caller (GITHUB_API_URL in Actions), so a test points it at a local server that records requests.
"""

import argparse
import json
import os
import sys
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from buildlib.catalogue import labels
from buildlib.catalogue.crosschecks import unreviewed
from buildlib.catalogue.problems import Problem
from buildlib.catalogue.yamlsource import load_text
from buildlib.errors import BuildError
from buildlib.site import built

from .check import check, summary
from .diff import files_at, git

MARKER = "<!-- motcua: báo cáo thay đổi danh mục -->"
LIMIT = 65_000  # characters: GitHub's limit for a comment is 65,536
CUT = "\n\n… (báo cáo bị cắt vì quá dài: bản đầy đủ trong nhật ký của lượt kiểm tra)\n"
# A change to one of these may change any page: the preview checks a sample of every kind.
SITE_WIDE = (
    *("theme/", "schemas/", "mkdocs.yml", "buildlib/", "build.py"),
    *("catalogue/fields.yaml", "catalogue/units/", "catalogue/calendar/", "catalogue/life-events/"),
)
SAMPLE = ("", "gioi-thieu/", "du-lieu-mo/", "tim-kiem/", "duyet/", "duyet/linh-vuc/", "co-quan/")


class GitHubError(BuildError):
    """The GitHub API refused a request (the status and its message)."""


@dataclass
class Changed:
    """The pages a change touches, as paths below the site (`thu-tuc/1.001193/`)."""

    pages: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # pages of versions deleted by the change
    site_wide: list[str] = field(default_factory=list)  # files whose change touches every page

    def markdown(self) -> str:
        lines = ["## Trang thay đổi", ""]
        if self.site_wide:
            files = ", ".join(f"`{f}`" for f in self.site_wide)
            lines += [f"Thay đổi ở {files} có thể ảnh hưởng mọi trang; xem thử các trang mẫu.", ""]
        lines += [f"- `{p or '/'}`" for p in self.pages] or ["Không có trang nào thay đổi."]
        if self.removed:
            lines += ["", "Trang không còn:", "", *[f"- `{p}`" for p in self.removed]]
        return "\n".join(lines) + "\n"


def changed_files(root: Path, base: str, head: str) -> list[str]:
    """Paths that differ between the two revisions (renames as a deletion and an addition)."""
    out = git(root, "diff", "--name-only", "--no-renames", base, head)
    return sorted(p for p in out.splitlines() if p)


def _procedures(files: dict[str, str]) -> dict[str, dict[str, dict]]:
    """{code: {effective_from: data}} of the readable version files (the broken ones are
    `check`'s to report)."""
    out: dict[str, dict[str, dict]] = {}
    for path, text in files.items():
        parts = Path(path).parts
        data, problems = load_text(text, path)
        if len(parts) == 4 and isinstance(data, dict) and not problems:
            out.setdefault(parts[2], {})[Path(path).stem] = data
    return out


def changed_pages(root: Path, base: str, head: str, *, site: Path | None = None) -> Changed:
    """The pages the change from `base` to `head` touches; with `site` (the preview build), only
    those it has."""
    files = changed_files(root, base, head)
    before = _procedures(files_at(root, base))
    head_files = files_at(root, head)
    after = _procedures(head_files)
    folders = {str(Path(p).parent) for p in head_files}
    pages: set[str] = set()
    removed: set[str] = set()
    changed = Changed(site_wide=[f for f in files if f.startswith(SITE_WIDE)])
    if changed.site_wide:
        pages.update(SAMPLE)
    for path in files:
        parts = Path(path).parts
        if path.startswith("catalogue/procedures/") and len(parts) == 4:
            code, start = parts[2], Path(path).stem
            versions, earlier = after.get(code, {}), before.get(code, {})
            (pages if start in versions else removed).add(f"thu-tuc/{code}/{start}/")
            pages.update(_procedure_pages(code, versions))
            pages.update(_lists(earlier))  # the lists that named it before the change
            if str(Path(path).parent) not in folders:  # the procedure went, all its files
                removed.update(_procedure_pages(code, earlier) - _lists(earlier))
        elif path.startswith("catalogue/agencies/"):
            pages.add(f"co-quan/{Path(path).stem}/")
        elif path.startswith("catalogue/forms/"):
            form = Path(path).stem
            pages.update(
                f"nop-ho-so/{code}/"
                for code, versions in after.items()
                if any(_form(v) == form for v in versions.values())
            )
    if site is not None:
        pages = {p for p in pages if built.exists(site / p / "index.html")}
    changed.pages = sorted(pages)
    changed.removed = sorted(removed - pages)
    return changed


def _form(version: dict) -> str | None:
    form = version.get("online_service", {}).get("form")
    return form if isinstance(form, str) else None


def _procedure_pages(code: str, versions: dict[str, dict]) -> set[str]:
    """A procedure's own pages and the browse pages that list it."""
    if not versions:
        return set()
    pages = {f"thu-tuc/{code}/", f"thu-tuc/{code}/in/"} | _lists(versions)
    pages.update(f"thu-tuc/{code}/{start}/" for start in versions)
    pages.update(f"nop-ho-so/{code}/" for version in versions.values() if _form(version))
    return pages


def _lists(versions: dict[str, dict]) -> set[str]:
    """The browse pages that list a procedure with these versions."""
    pages = set()
    for version in versions.values():
        if isinstance(version.get("field"), str):  # its slug, as browse.py names the page
            field_id = version["field"]
            pages.add(f"duyet/linh-vuc/{labels.SLUGS.get('field', {}).get(field_id, field_id)}/")
        for agencies in version.get("agencies", {}).values():
            pages.update(f"co-quan/{a}/" for a in agencies if isinstance(a, str))
    return pages


def annotate(problems: list[Problem], changed: set[str], *, out: TextIO) -> int:
    """`check --format github` for a pull request: GitHub shows only the first ten error and ten
    warning annotations of a step, so warnings become annotations only in the files the change
    touches (the others stay in the log as text, but an unreviewed draft's is only counted in
    the last line, as `check` does); every error is one. 1 if there is an error."""
    hidden = 0
    for problem in problems:
        loud = problem.severity == "error" or problem.path in changed
        if not loud and unreviewed(problem):
            hidden += 1
            continue
        print(problem.github() if loud else problem.text(), file=out)
    return summary(problems, hidden=hidden, out=out)


# --- the pull request's comment ----------------------------------------------------------------


class GitHub:
    """The few REST calls the comment needs, at `api` (https://api.github.com, or a test's)."""

    def __init__(self, api: str, token: str | None, *, timeout: float = 30):
        self.api = api.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            raise GitHubError(
                f"GitHub {method} {path}: {error.code} {error.read()[:300]!r}"
            ) from error
        except OSError as error:
            raise GitHubError(f"GitHub {method} {path}: {error}") from error

    def comments(self, repo: str, number: int) -> Iterable[dict]:
        page = 1
        while True:
            batch = self.request(
                "GET", f"/repos/{repo}/issues/{number}/comments?per_page=100&page={page}"
            )
            yield from batch
            if len(batch) < 100:
                return
            page += 1


def upsert_comment(github: GitHub, repo: str, number: int, body: str) -> str:
    """Posts `body` as the pull request's report, or edits the report already there (found by
    its marker). Returns "created" or "updated"."""
    text = f"{MARKER}\n{body}"
    if len(text) > LIMIT:  # GitHub refuses a longer comment
        text = text[: LIMIT - len(CUT)] + CUT
    for comment in github.comments(repo, number):
        if MARKER in (comment.get("body") or ""):
            github.request(
                "PATCH", f"/repos/{repo}/issues/comments/{comment['id']}", {"body": text}
            )
            return "updated"
    github.request("POST", f"/repos/{repo}/issues/{number}/comments", {"body": text})
    return "created"


# --- the command line (scripts/pr/) ------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m buildlib.review.pullrequest", description="Kiểm tra yêu cầu hợp nhất"
    )
    sub = top.add_subparsers(dest="command", required=True)
    checking = sub.add_parser("check", help="build.py check --format github cho yêu cầu hợp nhất")
    checking.add_argument("base", help="phiên bản git gốc: cảnh báo chỉ chú thích trên tệp đã sửa")
    checking.add_argument("head", nargs="?", default="HEAD")
    checking.add_argument("--repo", default=".", help="kho git (mặc định: thư mục hiện tại)")
    pages = sub.add_parser("pages", help="các trang mà thay đổi giữa hai phiên bản git chạm tới")
    pages.add_argument("base")
    pages.add_argument("head", nargs="?", default="HEAD")
    pages.add_argument("--repo", default=".", help="kho git (mặc định: thư mục hiện tại)")
    pages.add_argument("--site", help="bản dựng xem trước: chỉ liệt kê trang nó có")
    pages.add_argument("--list", help="ghi danh sách trang (mỗi dòng một đường dẫn) vào tệp này")
    pages.add_argument("--markdown", help="ghi phần Markdown của báo cáo vào tệp này")
    comment = sub.add_parser("comment", help="đăng hoặc cập nhật báo cáo trên yêu cầu hợp nhất")
    comment.add_argument("body", help="tệp Markdown của báo cáo")
    comment.add_argument("--pr", type=int, required=True, help="số yêu cầu hợp nhất")
    comment.add_argument("--repository", default=os.environ.get("GITHUB_REPOSITORY"))
    comment.add_argument(
        "--api", default=os.environ.get("GITHUB_API_URL", "https://api.github.com")
    )
    return top


def main(argv: list[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "check":
            repo = Path(args.repo)
            problems = check(repo / "catalogue", cache_dir=None)
            return annotate(problems, set(changed_files(repo, args.base, args.head)), out=out)
        if args.command == "pages":
            site = Path(args.site) if args.site else None
            changed = changed_pages(Path(args.repo), args.base, args.head, site=site)
            listing = "".join(f"{p}\n" for p in changed.pages)
            if args.list:
                Path(args.list).write_text(listing, encoding="utf-8")
            if args.markdown:
                Path(args.markdown).write_text(changed.markdown(), encoding="utf-8")
            out.write(listing)
            return 0
        if not args.repository:
            print("Thiếu --repository (hoặc GITHUB_REPOSITORY)", file=out)
            return 2
        github = GitHub(args.api, os.environ.get("GITHUB_TOKEN"))
        body = Path(args.body).read_text(encoding="utf-8")
        done = upsert_comment(github, args.repository, args.pr, body)
        print(
            f"Báo cáo trên yêu cầu #{args.pr}: {'đã tạo' if done == 'created' else 'đã cập nhật'}",
            file=out,
        )
        return 0
    except BuildError as error:
        print(error, file=out)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
