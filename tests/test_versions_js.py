"""The browser's as-of-date picker (theme/assets/tthc.js) opens the version that
chalicelib/versions.py says is in force, on generated version lists and dates.

tthc.js runs unchanged under node, in a context with just the parts of the page it reads (the
picker's form and its JSON list of versions); submitting the form sets location.href to the
version's page, or says no version applies.
"""

import datetime as dt
import json
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.versions import in_force_index

from .conftest import ROOT

SCRIPT = ROOT / "theme" / "assets" / "tthc.js"

# node -e: argv = [tthc.js]; stdin: JSON list of {picker, day} -> JSON list of the URL opened
# (null: none, the page says so).
NODE_RUNNER = r"""
const fs = require("fs"), vm = require("vm");
const source = fs.readFileSync(process.argv[1], "utf8");
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const opened = cases.map(({ picker, day }) => {
  let submit = null;
  const input = { value: day }, status = { textContent: "" };
  const form = {
    hidden: true,
    addEventListener: (type, handler) => { if (type === "submit") submit = handler; },
    querySelector: (selector) => (selector === "input" ? input : status),
  };
  const document = {
    querySelector: (selector) => (selector === "form.tthc-asof" ? form : null),
    getElementById: (id) =>
      id === "tthc-phien-ban" ? { textContent: JSON.stringify(picker) } : null,
  };
  const location = { href: null };
  vm.runInNewContext(source, { document, location, window: {} });
  if (!submit) throw new Error("tthc.js did not wire the as-of-date form");
  submit({ preventDefault() {} });
  if (location.href === null && !status.textContent) throw new Error("no answer for " + day);
  return location.href;
});
process.stdout.write(JSON.stringify(opened));
"""

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

_day = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31)).map(
    lambda d: d.isoformat()
)
_span = st.tuples(_day, st.one_of(st.none(), _day))


@st.composite
def _case(draw: st.DrawFn) -> dict:
    """Versions as the page lists them (oldest first: sorted starts; ends anywhere, even before
    their start or overlapping the next one) and a day, often on a boundary."""
    spans = draw(st.lists(_span, min_size=1, max_size=5))
    spans.sort(key=lambda s: s[0])
    boundaries = [d for s in spans for d in s if d is not None]
    day = draw(st.one_of(_day, st.sampled_from(boundaries)))
    picker = [{"from": a, "to": b, "url": f"../{a}/"} for a, b in spans]
    return {"picker": picker, "day": day}


def run_node(cases: list[dict]) -> list[str | None]:
    done = subprocess.run(
        ["node", "-e", NODE_RUNNER, str(SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def python_opens(case: dict) -> str | None:
    spans = [(v["from"], v["to"]) for v in case["picker"]]
    found = in_force_index(spans, case["day"])
    return None if found is None else case["picker"][found]["url"]


@needs_node
@settings(max_examples=25, deadline=None)
@given(st.lists(_case(), min_size=1, max_size=40))
def test_the_date_picker_opens_the_version_the_python_rule_says_is_in_force(
    cases: list[dict],
) -> None:
    assert run_node(cases) == [python_opens(c) for c in cases]


@needs_node
def test_the_date_picker_agrees_on_the_boundaries_of_a_version() -> None:
    picker = [
        {"from": "2016-01-01", "to": "2025-07-01", "url": "a"},
        {"from": "2025-07-01", "to": None, "url": "b"},
    ]
    days = ["2015-12-31", "2016-01-01", "2025-06-30", "2025-07-01", "2030-01-01"]
    cases = [{"picker": picker, "day": d} for d in days]
    assert run_node(cases) == [None, "a", "a", "b", "b"]
    assert [python_opens(c) for c in cases] == [None, "a", "a", "b", "b"]
