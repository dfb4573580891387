"""The pull-request loop, end to end, on a real git repository: every example of the editor's guide
(docs/bien-tap.md) is applied as written (its commands, its diff) on a branch of a copy of the
fixture catalogue, and the workflow's own scripts (scripts/pr/) run on it: the annotations point
at the right lines, the report says the right thing in Vietnamese, the preview lists the changed
pages, and the report is ONE comment on the pull request, edited, not duplicated, on the next
push. GitHub is unreachable here: the comment goes to a local server that speaks the few REST
calls and records them (GITHUB_API_URL, as Actions sets it)."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from buildlib.review.pullrequest import CUT, LIMIT, MARKER, GitHub, upsert_comment

from .conftest import CATALOGUE, ROOT

pytestmark = pytest.mark.slow

GUIDE = ROOT / "docs" / "bien-tap.md"
REPOSITORY = "haiphong/motcua"
TOKEN = "ghs_test-token"


# --- the guide's examples ------------------------------------------------------------------------


@dataclass
class Example:
    name: str
    after: str | None  # the example whose branch this one continues
    steps: list[tuple[str, str]]  # ("sh" | "diff", text), in the guide's order
    expected: list[str]  # lines the outputs must contain


def examples() -> dict[str, Example]:
    text = GUIDE.read_text(encoding="utf-8")
    found = {}
    for m in re.finditer(r"<!-- vi-du: (\S+)(?: sau: (\S+))? -->(.*?)<!-- /vi-du -->", text, re.S):
        steps, expected = [], []
        for kind, body in re.findall(r"```(sh|diff|text)\n(.*?)```", m[3], re.S):
            if kind == "text":
                expected += [line for line in body.splitlines() if line.strip()]
            else:
                steps.append((kind, body))
        found[m[1]] = Example(m[1], m[2], steps, expected)
    return found


def test_the_guide_has_an_example_of_each_editors_task():
    assert set(examples()) == {
        "doi-le-phi",
        "them-phien-ban",
        "bai-bo",
        "thay-the",
        "them-truong",
        "loi-gia-tri",
        "loi-cu-phap",
        "duyet",
    }
    for example in examples().values():
        assert example.expected and any(k == "diff" for k, _ in example.steps), example.name


# --- a GitHub that records -----------------------------------------------------------------------


@dataclass
class FakeGitHub:
    comments: dict[int, dict] = field(default_factory=dict)  # id -> {"body", "issue"}
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    url: str = ""

    def on(self, issue: int) -> list[dict]:
        return [c for c in self.comments.values() if c["issue"] == issue]


def _handler(github: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> dict:
            github.requests.append((self.command, self.path, self.headers.get("Authorization")))
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else {}

        def do_GET(self) -> None:
            self._record()
            m = re.fullmatch(rf"/repos/{REPOSITORY}/issues/(\d+)/comments\?.*page=(\d+)", self.path)
            if not m:
                return self._reply(404, {"message": "Not Found"})
            listed = [{"id": i, "body": c["body"]} for i, c in github.comments.items()]
            page = [c for c in listed if github.comments[c["id"]]["issue"] == int(m[1])]
            return self._reply(200, page if m[2] == "1" else [])

        def do_POST(self) -> None:
            body = self._record()
            m = re.fullmatch(rf"/repos/{REPOSITORY}/issues/(\d+)/comments", self.path)
            if not m:
                return self._reply(404, {"message": "Not Found"})
            new = max(github.comments, default=100) + 1
            github.comments[new] = {"body": body["body"], "issue": int(m[1])}
            return self._reply(201, {"id": new, "body": body["body"]})

        def do_PATCH(self) -> None:
            body = self._record()
            m = re.fullmatch(rf"/repos/{REPOSITORY}/issues/comments/(\d+)", self.path)
            if not m or int(m[1]) not in github.comments:
                return self._reply(404, {"message": "Not Found"})
            github.comments[int(m[1])]["body"] = body["body"]
            return self._reply(200, {"id": int(m[1]), "body": body["body"]})

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    recorder = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield recorder
    server.shutdown()
    server.server_close()


# --- the repository and the scripts --------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Biên tập", "GIT_AUTHOR_EMAIL": "bt@example.org"}
    env |= {"GIT_COMMITTER_NAME": "Biên tập", "GIT_COMMITTER_EMAIL": "bt@example.org"}
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Run:
    """What the workflow's scripts said on one branch."""

    check: str
    check_code: int
    report: str
    pages: list[str] | None  # None: the preview was not built (check failed)
    commands: str  # the guide's own commands' output


class Loop:
    def __init__(self, repo: Path, out: Path, github: FakeGitHub):
        self.repo, self.out, self.github = repo, out, github

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MOTCUA_PR_REPO": str(self.repo),
            "MOTCUA_PR_OUT": str(self.out),
            "MOTCUA_PR_PYTHON": sys.executable,
            "GITHUB_API_URL": self.github.url,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_TOKEN": TOKEN,
        }

    def script(self, name: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(ROOT / "scripts" / "pr" / name), *args],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=300,
        )

    def command(self, line: str) -> str:
        """One of the guide's commands, run on the repository's catalogue."""
        words = shlex.split(line)
        assert words[:2] == ["python", "build.py"], line
        argv = [sys.executable, str(ROOT / "build.py"), *words[2:]]
        argv += ["--catalogue", str(self.repo / "catalogue")]
        if words[2] == "check":  # leave the checkout's own check cache alone
            argv.append("--no-cache")
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.repo, timeout=120)
        return done.stdout + done.stderr

    def apply(self, example: Example) -> str:
        said = ""
        for kind, body in example.steps:
            if kind == "sh":
                for line in body.splitlines():
                    if line.strip():
                        said += self.command(line)
            else:
                patch = self.repo.parent / f"{example.name}.patch"
                patch.write_text(body, encoding="utf-8")
                git(self.repo, "apply", str(patch))
        return said

    def push(self, example: Example, number: int) -> Run:
        """The editor's commit, then the workflow's steps, in its order."""
        said = self.apply(example)
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-q", "-m", example.name)
        for stale in [*self.out.glob("changed-pages.*"), *self.out.glob("verify.*")]:
            stale.unlink()  # a fresh runner has none
        check = self.script("check.sh", "main", "HEAD")
        if example.name == "doi-le-phi":  # the step runs on every push; once is enough here
            # The fixture catalogue is frozen while reference/ moves on: differences, exit 1.
            verify = self.script("verify.sh")
            assert (self.out / "verify.md").is_file(), verify.stdout + verify.stderr
        pages = None
        if check.returncode == 0:
            preview = self.script("preview.sh", "main", "HEAD")
            assert preview.returncode == 0, preview.stdout + preview.stderr
            pages = (self.out / "changed-pages.txt").read_text(encoding="utf-8").splitlines()
        report = self.script("report.sh", "main", "HEAD")
        assert report.returncode == 0, report.stderr
        comment = self.script("comment.sh", str(number))
        assert comment.returncode == 0, comment.stdout + comment.stderr
        text = (self.out / "report.md").read_text(encoding="utf-8")
        return Run(check.stdout, check.returncode, text, pages, said)


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, github: FakeGitHub) -> Iterator[Loop]:
    tmp = tmp_path_factory.mktemp("pr-loop")
    repo = tmp / "repo"
    shutil.copytree(CATALOGUE, repo / "catalogue")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Danh mục mẫu")
    # One output folder, as one runner would keep its build cache: each preview after the first
    # is an incremental build.
    yield Loop(repo, tmp / "out", github)


@pytest.fixture(scope="module")
def runs(loop: Loop) -> dict[str, Run]:
    """Each example on its own branch from main (or from the one it continues), in the guide's
    order; the pull request's number is its place in the guide."""
    done: dict[str, Run] = {}
    numbers: dict[str, int] = {}
    for number, example in enumerate(examples().values(), start=1):
        if example.after:
            git(loop.repo, "switch", "-q", example.after)
            numbers[example.name] = numbers[example.after]
        else:
            git(loop.repo, "switch", "-q", "-c", example.name, "main")
            numbers[example.name] = number
        done[example.name] = loop.push(example, numbers[example.name])
    return done


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(examples()))
def test_each_guide_example_gives_what_the_guide_says(runs: dict[str, Run], name: str):
    run = runs[name]
    said = "\n".join([run.check, run.report, "\n".join(run.pages or []), run.commands])
    for line in examples()[name].expected:
        assert line in said, f"{name}: {line!r} not in:\n{said}"


def test_a_broken_file_is_annotated_on_its_line_and_blocks_the_preview(runs: dict[str, Run]):
    broken = runs["loi-cu-phap"]
    assert broken.check_code == 1 and broken.pages is None
    (annotation,) = [line for line in broken.check.splitlines() if line.startswith("::error")]
    assert annotation.startswith(
        "::error file=catalogue/procedures/1.001193/2026-06-10.yaml,line=38,col=9::"
    )
    assert "Bị xóa khỏi danh mục" not in broken.report  # unreadable, not removed
    assert runs["loi-gia-tri"].check_code == 1
    assert runs["doi-le-phi"].check_code == 0 and "::error" not in runs["doi-le-phi"].check


def test_the_preview_lists_only_the_pages_a_change_touches(runs: dict[str, Run]):
    fee = runs["doi-le-phi"].pages
    assert fee is not None
    assert {
        "thu-tuc/1.001193/",
        "thu-tuc/1.001193/2026-06-10/",
        "thu-tuc/1.001193/2027-01-01/",
    } <= set(fee)
    assert {"thu-tuc/1.001193/in/", "nop-ho-so/1.001193/", "duyet/linh-vuc/ho-tich/"} <= set(fee)
    assert not any(p.startswith("thu-tuc/1.000894") for p in fee)
    assert runs["them-truong"].pages == ["nop-ho-so/1.000894/"]


def test_the_report_is_one_comment_per_pull_request_edited_on_the_next_push(
    runs: dict[str, Run], github: FakeGitHub
):
    own = [e for e in examples().values() if not e.after]  # pull requests 1 to len(own)
    comments = {i: c for i, c in github.comments.items() if c["issue"] <= len(own)}
    assert sorted(c["issue"] for c in comments.values()) == list(range(1, len(own) + 1))
    (fee,) = github.on(1)  # doi-le-phi, then duyet pushed on the same branch
    assert fee["body"].startswith(MARKER)
    assert "(NQ 30/2026/NQ-HĐND)" in fee["body"]  # the second push's report
    assert "8.000 đ → 10.000 đ" in fee["body"]
    fee_id = next(i for i, c in comments.items() if c["issue"] == 1)
    writes = [(m, p) for m, p, _ in github.requests if m != "GET"]
    assert writes.count(("PATCH", f"/repos/{REPOSITORY}/issues/comments/{fee_id}")) == 1
    assert writes.count(("POST", f"/repos/{REPOSITORY}/issues/1/comments")) == 1
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in github.requests)


def test_the_report_is_quoted_with_what_verify_said(runs: dict[str, Run]):
    report = runs["doi-le-phi"].report
    assert "## Đối chiếu với nguồn" in report
    assert re.search(r"phiên bản đang hoặc sẽ hiệu lực đã đối chiếu", report)
    assert "## Đối chiếu với nguồn" not in runs["bai-bo"].report  # not run there


def test_a_report_too_long_for_github_is_cut_not_refused(github: FakeGitHub):
    client = GitHub(github.url, TOKEN)
    assert upsert_comment(client, REPOSITORY, 999, "- dòng\n" * 20_000) == "created"
    (comment,) = github.on(999)
    assert len(comment["body"]) == LIMIT and comment["body"].endswith(CUT)
