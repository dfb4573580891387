"""The application page checks answers in the browser with the server's rules (issue 8).

theme/assets/apply-rules.js runs under node against `functions/chalicelib/forms.py` on generated
answers to every catalogue form: both must keep the same answers and report the same problems
with the same Vietnamese sentences. Also: the page's own JavaScript and CSS stay within their
weight budget, and the page's configuration carries exactly its form's questions and messages.

The parity tests are about the published content: the rules must agree on every form of
catalogue/ (``world``), as must the 34 provinces' units files. The built application pages are
the fixture catalogue's (``fixture_world``, ``site``). Every test loads a catalogue and builds a
site or runs node (a second or more): the slow tier.
"""

import datetime as dt
import gzip
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildlib.bundle import make_bundle
from buildlib.catalogue import load as catalogue_module
from buildlib.catalogue.yamlsource import load_text
from buildlib.errors import BuildError
from buildlib.site import application as apply
from buildlib.site import built
from buildlib.site.build import build_command
from chalicelib import forms
from chalicelib.config import Settings
from chalicelib.versions import version_in_force

from .api.filling import answers_for
from .conftest import CATALOGUE, ROOT, SEED_CATALOGUE

pytestmark = pytest.mark.slow

TODAY = dt.date(2026, 11, 25)  # the parity test's "today": dates after it are in the future
SITE_TODAY = "2026-09-15"  # the site build's day (as tests/test_site.py)
BUDGET = 60 * 1024  # issue 8: the application page's own JavaScript and CSS, gzip, beyond the theme
RULES_JS = ROOT / "theme" / "assets" / "apply-rules.js"

# One node process per test module, one JSON line per request and per answer. The first line
# gives the page configurations, the units (as ctx.unit sees them) and today.
DRIVER = r"""
const readline = require("readline");
const rules = require(process.env.APPLY_RULES);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
let setup = null;
readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", (line) => {
  const message = JSON.parse(line);
  let reply;
  try {
    if (setup === null) {
      setup = message;
      reply = { ready: true };
    } else {
      const config = setup.configs[message.form];
      const ctx = {
        today: setup.today,
        unit: (code) => (has(setup.units, code) ? setup.units[code] : undefined),
      };
      const result = rules.checkAnswers(config, message.answers, ctx);
      reply = {
        kept: result.kept,
        errors: result.errors,
        uploads: rules.checkUploads(config, result.kept, message.uploads),
      };
    }
  } catch (e) {
    reply = { exception: String(e && e.stack) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
"""


class World:
    """The seed catalogue as both sides see it (a plain class: hypothesis prints dataclasses
    field by field, and these are large)."""

    def __init__(self, *, forms, configs, procedures, units) -> None:
        self.forms: dict[str, dict] = forms
        self.configs: dict[str, dict] = configs  # the application pages' (buildlib.apply)
        self.procedures: dict[str, list[dict]] = procedures
        self.units: dict[str, dict] = units  # the bundle's: {province: {"name", "communes"}}

    def __repr__(self) -> str:  # hypothesis prints the test's arguments
        return f"World({len(self.forms)} forms)"


@pytest.fixture(scope="module")
def world() -> World:
    """catalogue/: every form the province publishes."""
    return make_world(SEED_CATALOGUE)


@pytest.fixture(scope="module")
def fixture_world() -> World:
    """tests/fixtures/catalogue, the catalogue `site` is built from."""
    return make_world(CATALOGUE)


def make_world(catalogue_dir: Path) -> World:
    loaded = catalogue_module.load(catalogue_dir, workers=1)
    assert not loaded.problems, loaded.problems[:3]
    units = make_bundle(loaded, revision="test", built="test")["units"]
    versions = {
        v.data["online_service"].get("form"): v.data
        for docs in loaded.procedures().values()
        for v in docs
    }
    # As the applicant fills them: with the "Nhận kết quả" page of the procedure's channels.
    form_docs = {
        d.data["id"]: forms.with_delivery(d.data, versions.get(d.data["id"], {}))
        for d in loaded.of_kind("form")
    }
    provinces = apply.provinces([d.data for d in loaded.of_kind("units")])
    configs = {
        form_id: apply.client_config(
            form,
            versions.get(form_id, {"code": form["procedure"], "name": form["title"]}),
            provinces,
        )
        for form_id, form in form_docs.items()
    }
    procedures = {code: [d.data for d in docs] for code, docs in loaded.procedures().items()}
    return World(forms=form_docs, configs=configs, procedures=procedures, units=units)


class Node:
    """apply-rules.js in one long-lived node process."""

    def __init__(self, world: World) -> None:
        node = shutil.which("node")
        assert node, "node is needed to run theme/assets/apply-rules.js"
        self.process = subprocess.Popen(
            [node, "-e", DRIVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"APPLY_RULES": str(RULES_JS), "PATH": "/usr/bin:/bin"},
        )
        units = {code: unit["communes"] for code, unit in world.units.items()}
        assert self.ask({"configs": world.configs, "units": units, "today": TODAY.isoformat()})

    def ask(self, message: dict) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "node ended"
        reply = json.loads(line)
        assert "exception" not in reply, reply["exception"]
        return reply

    def close(self) -> int:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=10)
        finally:
            self.process.stdout.close()

    def __repr__(self) -> str:
        return f"Node(pid={self.process.pid})"


@pytest.fixture(scope="module")
def node(world: World) -> Iterator[Node]:
    runner = Node(world)
    yield runner
    assert runner.close() == 0


# --- generated answers ------------------------------------------------------------------------

# Python's str.strip() and re's \s whitespace, and look-alikes that are not (JS trim() strips
# U+FEFF; U+200B and U+180E are nobody's whitespace any more).
SPACES = ["", " ", "\t", "\n", "\r\n", "\x0b", "\x1c", "\x85", "\xa0", "\u1680", "\u2007"]
SPACES += ["\u2028", "\u202f", "\u3000"]
NOT_SPACES = ["\ufeff", "\u200b", "\u180e"]
blank = st.lists(st.sampled_from(SPACES), max_size=3).map("".join)
OTHER_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.floats(-1e3, 1e3, allow_nan=False),
    st.sampled_from([1e308, 2**60, -0.0, 0.5]),
    st.lists(st.one_of(st.integers(0, 3), st.text(max_size=2)), max_size=2),
    st.dictionaries(st.sampled_from(["a", "province", "__proto__"]), st.integers(0, 3), max_size=2),
)


def padded(values: st.SearchStrategy) -> st.SearchStrategy:
    """The value as typed, sometimes with whitespace (or a look-alike) around it."""
    edge = st.one_of(blank, st.sampled_from(NOT_SPACES))
    return st.one_of(values, st.tuples(edge, values, edge).map("".join))


def _texts(limit: int) -> list[str]:
    return [
        "x" * limit,
        "x" * (limit + 1),
        "😀" * limit,  # as many code points as allowed, twice as many UTF-16 units
        "😀" * (limit + 1),
        "e\u0301" * (limit // 2 + 1),
        " " + "x" * limit + "\u3000",
        "x" * (limit - 1) + "\ufeff",
        "\ufeff",
        "\u200b" * (limit + 1),
    ]


DATES = [
    "2026-03-05",
    "2024-02-29",
    "2023-02-29",
    "2000-02-29",
    "1900-02-29",
    "2026-02-30",
    "2026-04-31",
    "2026-13-01",
    "2026-00-10",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    TODAY.isoformat(),
    (TODAY + dt.timedelta(days=1)).isoformat(),
    "2030-01-01",
    "05/03/2026",
    "2026-3-5",
    "2026-03-05\n",
    "2026-03-05T00:00",
    "20260305",
    "２０２６-03-05",
    "٢٠٢٦-03-05",
]
CCCD = ["00120300456", "001203004567", "0012030045678", "001 203 004 567", "00120300456a"]
CCCD += ["０" * 12, "001203004567\n1"]
PHONES = ["0912345678", "+84912345678", "091 234 5678", "+84 912 345 678", "84912345678"]
PHONES += ["091234567", "09123456789", "+840912345678", "0912345678x", "1912345678"]
EMAILS = [
    "an@example.vn",
    "a@b.co",
    "a@b.c",
    "a b@example.vn",
    "a@b@c.vn",
    "a\u3000b@example.vn",
    "a\u200bb@example.vn",
    "a\ufeffb@example.vn",
    "a\x85b@example.vn",
    "😀@例え.テスト",
    "x" * 64 + "@example.vn",
    "x" * 65 + "@example.vn",
    "x" * 64 + "@" + "y" * 251 + ".vn",  # 319 code points
    "x" * 64 + "@" + "y" * 255 + ".com",  # 324 code points
    "a@" + "😀" * 250 + ".vn",
    "a@b." + "c" * 63,
    "a@b." + "c" * 64,
    "@example.vn",
]


def right_answer(item: dict, world: World) -> st.SearchStrategy:
    """Answers the server takes, as an applicant would type them (so that conditions switch
    questions and upload slots on and off, and the rest of a form is judged in context)."""
    kind = item["type"]
    if kind in ("text", "textarea"):
        limit = item.get("max_length", forms.TEXT_LIMITS[kind])
        return st.sampled_from(["Nguyễn Văn An", " Kinh ", "x" * limit, "😀" * limit])
    if kind == "number":
        return st.integers(item.get("min", -100), item.get("max", 100))
    if kind == "select":
        return st.sampled_from([o["value"] for o in item["options"]])
    if kind == "yes_no":
        return st.booleans()
    if kind == "date":
        return st.dates(dt.date(1900, 1, 1), TODAY).map(dt.date.isoformat)
    if kind == "cccd":
        return st.from_regex(r"\A[0-9]{12}\Z")
    if kind == "phone":
        return st.sampled_from(["0912345678", "+84912345678", " 0312345678 "])
    if kind == "email":
        return st.sampled_from(["an.nguyen@example.vn", "ten@gmail.com"])
    pairs = sorted((p, c) for p, unit in world.units.items() for c in unit["communes"])
    return st.builds(
        lambda pair, street: {"province": pair[0], "commune": pair[1], "street": street},
        st.sampled_from(pairs),
        st.sampled_from(["Số 1, đường Trần Phú", "Thôn 3"]),
    )


def value_of(item: dict, world: World) -> st.SearchStrategy:
    """Valid and invalid answers to one question, and answers of every other JSON type."""
    kind = item["type"]
    if kind in ("text", "textarea"):
        limit = item.get("max_length", forms.TEXT_LIMITS[kind])
        typed = st.one_of(st.text(max_size=12), st.sampled_from(_texts(limit)))
    elif kind == "number":
        low, high = item.get("min", -100), item.get("max", 100)
        typed = st.one_of(
            st.integers(low - 3, high + 3),
            st.floats(low - 1, high + 1, allow_nan=False),
            st.sampled_from([high + 1e-9, low - 1e-9, float(high), 10**20]),
            padded(st.sampled_from([str(low), f"{high},0", "1e1", "hai"])),
        )
    elif kind == "select":
        values = [o["value"] for o in item["options"]]
        others = [v.upper() for v in values] + [o["label"] for o in item["options"]] + ["khac "]
        typed = st.one_of(st.sampled_from(values), padded(st.sampled_from(values + others)))
    elif kind == "yes_no":
        typed = st.sampled_from([True, False, "true", "false", 1, 0, 1.0, "Có", [True]])
    elif kind == "date":
        typed = st.one_of(
            padded(st.sampled_from(DATES)),
            st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(dt.date.isoformat),
        )
    elif kind == "cccd":
        typed = st.one_of(padded(st.sampled_from(CCCD)), st.from_regex(r"\A[0-9]{11,13}\Z"))
    elif kind == "phone":
        typed = padded(st.sampled_from(PHONES))
    elif kind == "email":
        typed = padded(st.sampled_from(EMAILS))
    else:
        assert kind == "address", kind
        typed = addresses(world)
    return st.one_of(typed, typed, blank, st.sampled_from(NOT_SPACES), OTHER_TYPES)


def addresses(world: World) -> st.SearchStrategy:
    pairs = sorted((p, c) for p, unit in world.units.items() for c in unit["communes"])
    street = st.one_of(
        st.sampled_from(["Số 1, đường Trần Phú", "x" * 200, "x" * 201, "😀" * 200, "😀" * 201]),
        blank,
        st.sampled_from(NOT_SPACES),
        st.none(),
        st.integers(0, 3),
    )
    province = st.one_of(
        st.sampled_from(sorted(world.units)),
        st.sampled_from(["99", "00", "1", "031", "31\n", " 31", "__proto__"]),
        st.integers(1, 40),
        st.none(),
    )
    commune = st.one_of(
        st.sampled_from(["00000", "1182", "118240", "11824\n", "constructor"]), st.integers(0, 9)
    )

    def assemble(pair, other_province, other_commune, text, change, extra):
        value = {"province": pair[0], "commune": pair[1], "street": text}
        if change == "province":  # the commune then belongs to another province (or none)
            value["province"] = other_province
        elif change == "commune":
            value["commune"] = other_commune
        elif change.startswith("-"):  # a part left out
            del value[change[1:]]
        if extra:
            value["ghi-chu"] = extra
        return value

    changes = ["", "", "", "province", "commune", "-province", "-commune", "-street"]
    return st.builds(
        assemble,
        st.sampled_from(pairs),
        province,
        commune,
        street,
        st.sampled_from(changes),
        st.sampled_from(["", "", "", "", "x"]),
    )


def extra_keys(world: World) -> st.SearchStrategy:
    ids = sorted({item["id"] for form in world.forms.values() for _, item in forms.fields(form)})
    odd = ["__proto__", "constructor", "toString", "hasOwnProperty", "", " ", "0", "1", "a/b~c"]
    odd += ["x" * 99 + "😀", "😀" * 101, "ặ" * 120]
    return st.one_of(st.sampled_from(odd), st.sampled_from(ids), st.text(max_size=6))


MISSING = object()


@st.composite
def nearly_right(draw, right: dict, anything: dict) -> dict:
    """Right answers but for a few."""
    answers = draw(st.fixed_dictionaries(right))
    for key in draw(st.lists(st.sampled_from(sorted(right)), max_size=3, unique=True)):
        answers[key] = draw(anything[key])
    return answers


def answer_sets(world: World) -> dict[str, st.SearchStrategy]:
    """Per form: answer dicts where any question may be missing, right, wrong or of another type,
    plus keys the form does not have."""
    extra_values = st.one_of(st.text(max_size=4), blank, OTHER_TYPES)
    result = {}
    for form_id, form in world.forms.items():
        items = [item for _, item in forms.fields(form)]
        right = {item["id"]: right_answer(item, world) for item in items}
        anything = {item["id"]: value_of(item, world) | st.just(MISSING) for item in items}
        mixed = st.fixed_dictionaries(
            {key: st.one_of(right[key], right[key], anything[key]) for key in right}
        )
        extras = st.dictionaries(extra_keys(world), extra_values, max_size=2)
        result[form_id] = st.tuples(mixed | nearly_right(right, anything), extras).map(
            lambda t: {**t[1], **{k: v for k, v in t[0].items() if v is not MISSING}}
        )
    return result


def upload_sets(world: World) -> dict[str, st.SearchStrategy]:
    """Per form: upload keys per slot, some repeated, some for another slot or procedure."""
    result = {}
    for form_id, form in world.forms.items():
        code = world.configs[form_id]["procedure"]
        optional = {}
        for _, slot in forms.slots(form):
            pool = [f"{code}/{slot['id']}/{n}" for n in "abc"]
            pool += [f"{code}/khac/a", f"9.999999/{slot['id']}/a"]
            keys = st.lists(st.sampled_from(pool), max_size=slot["max_files"] + 2)
            optional[slot["id"]] = st.one_of(keys, keys, keys, st.none())
        result[form_id] = st.fixed_dictionaries({}, optional=optional)
    return result


class Strategies:
    def __init__(self, world: World) -> None:
        self.answers, self.uploads = answer_sets(world), upload_sets(world)

    def __repr__(self) -> str:
        return "Strategies()"


@pytest.fixture(scope="module")
def strategies(world: World) -> Strategies:
    return Strategies(world)


def strict(value):
    """Comparable without Python's True == 1: JSON types kept apart, numbers as floats."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strict(v) for v in value]
    return value


@pytest.mark.node
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_browser_keeps_and_rejects_exactly_what_the_server_does(
    world: World, node: Node, strategies: Strategies, data: st.DataObject
) -> None:
    form_id = data.draw(st.sampled_from(sorted(world.forms)), label="form")
    # As the API receives them: whatever survives JSON.
    answers = json.loads(json.dumps(data.draw(strategies.answers[form_id], label="answers")))
    uploads = data.draw(strategies.uploads[form_id], label="uploads")
    form, code = world.forms[form_id], world.configs[form_id]["procedure"]

    kept, errors = forms.check_answers(form, answers, world.units, TODAY)
    browser = node.ask({"form": form_id, "answers": answers, "uploads": uploads})
    assert browser["errors"] == errors
    assert strict(browser["kept"]) == strict(kept)

    _, upload_errors = forms.check_uploads(
        form, kept, uploads, lambda key: key.startswith(f"{code}/"), code
    )
    # The browser counts files per slot; each file's own check is the server's.
    counts = {k: v for k, v in upload_errors.items() if k.count("/") == 2}
    assert browser["uploads"] == counts


@pytest.mark.node
def test_a_wrong_answer_to_any_question_gets_the_same_message_from_both(
    world: World, node: Node
) -> None:
    """Among right answers to each form, which both keep, one answer of the wrong JSON type is
    refused by both, at that question only, with the same message."""
    for form_id, form in world.forms.items():
        base = answers_for(form)
        kept, errors = forms.check_answers(form, base, world.units, TODAY)
        assert errors == {} and kept, form_id
        browser = node.ask({"form": form_id, "answers": base, "uploads": {}})
        assert browser["errors"] == {} and strict(browser["kept"]) == strict(kept), form_id
        for key in base:
            wrong = {**base, key: [base[key]]}
            _, errors = forms.check_answers(form, wrong, world.units, TODAY)
            assert list(errors) == [f"/answers/{key}"], (form_id, key)
            browser = node.ask({"form": form_id, "answers": wrong, "uploads": {}})
            assert browser["errors"] == errors, (form_id, key)


@pytest.mark.node
def test_an_address_missing_a_part_or_with_one_too_many_is_refused_by_both(
    world: World, node: Node
) -> None:
    """(The server used to keep an address with an extra part and fail on a missing one.)"""
    checked = 0
    for form_id, form in world.forms.items():
        base = answers_for(form)
        for item in (i for _, i in forms.fields(form) if i["type"] == "address"):
            right = base.get(item["id"])
            if right is None:  # not asked with these answers
                continue
            other = next(p for p in sorted(world.units) if p != right["province"])
            wrong = [{k: v for k, v in right.items() if k != part} for part in right]
            wrong += [{**right, "ghi-chu": "x"}, {**right, "street": "\u3000 "}, {}]
            wrong += [{**right, "province": "99"}, {**right, "street": 1}]
            cases = [(value, forms._message("address", item)) for value in wrong]
            cases.append(({**right, "province": other}, forms.MESSAGES["commune"]))
            for value, message in cases:
                answers = {**base, item["id"]: value}
                kept, errors = forms.check_answers(form, answers, world.units, TODAY)
                assert errors == {f"/answers/{item['id']}": message}, (form_id, value)
                assert item["id"] not in kept
                browser = node.ask({"form": form_id, "answers": answers, "uploads": {}})
                assert browser["errors"] == errors, (form_id, value)
                checked += 1
    assert checked


# --- the built site ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("apply-site")
    out = io.StringIO()
    code = build_command(
        CATALOGUE,
        out=out,
        today=SITE_TODAY,
        site_dir=tmp / "site",
        cache_dir=tmp / "cache",
    )
    assert code == 0, out.getvalue()
    return tmp / "site"


class Assets(HTMLParser):
    """The scripts, stylesheets and module preloads a page loads: also the script a loader
    starts (apply-load.js: its data-entry, named relative to the page)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.preloads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"])
            if values.get("data-entry"):
                self.urls.append(values["data-entry"])
        rel = (values.get("rel") or "").split() if tag == "link" else []
        if "stylesheet" in rel or "modulepreload" in rel:
            self.urls.append(values["href"])
        if "modulepreload" in rel:
            self.preloads.append(values["href"])


def loaded_files(page: Path) -> set[Path]:
    parser = Assets()
    parser.feed(built.read(page))
    return {(page.parent / urlsplit(url).path).resolve() for url in parser.urls}


# A static import of a module beside the importer: `import "./a.js"`, `import {x} from "./a.js"`.
STATIC_IMPORT = re.compile(r"""^import\s+(?:[^"']*?\sfrom\s+)?["']\./([^"']+)["']""", re.M)


def imported_modules(entry: Path) -> set[Path]:
    """Every module `entry` imports, directly or through another."""
    found: set[Path] = set()
    todo = [entry]
    while todo:
        for name in STATIC_IMPORT.findall(todo.pop().read_text(encoding="utf-8")):
            path = (entry.parent / name).resolve()
            if path not in found:
                found.add(path)
                todo.append(path)
    return found


def application_pages(site: Path) -> list[Path]:
    return list(built.find(site / "nop-ho-so", "*/index.html"))


def test_the_application_page_own_scripts_and_styles_weigh_at_most_60_kb_gzip(site: Path) -> None:
    theme = loaded_files(site / "index.html") | loaded_files(site / "thu-tuc/1.001612/index.html")
    pages = application_pages(site)
    assert pages
    own = set.union(*(loaded_files(page) - theme for page in pages))
    assert {p.suffix for p in own} == {".js", ".css"}, own
    assert (site / apply.SCRIPT).resolve() in own
    sizes = {
        p.name: len(gzip.compress(p.read_bytes(), compresslevel=9, mtime=0)) for p in sorted(own)
    }
    total = sum(sizes.values())
    detail = ", ".join(f"{name} {size} B" for name, size in sizes.items())
    assert total <= BUDGET, f"{total} B gzip > {BUDGET} B: {detail}"
    # Also said when it passes, for the record (pytest -rP shows it).
    print(f"application page's own JS and CSS: {total} B gzip ({detail}); budget {BUDGET} B")


def test_the_application_page_script_is_apply_js_and_every_module_it_imports(site: Path) -> None:
    """apply.js is an ES module over others: the build writes them as one file, the script every
    application page starts (apply-load.js: one request after the first paint), each module once
    and after those it imports, without its import and export lines; the page preloads no module."""
    entry = site / "assets" / "apply.js"
    modules = imported_modules(entry) | {entry.resolve()}
    assert (site / "assets" / "apply-rules.js").resolve() in modules
    script = built.read(site / apply.SCRIPT)
    order = re.findall(r"^// ---- (\S+)$", script, re.M)
    assert sorted(order) == sorted(p.name for p in modules)
    for path in modules:
        for name in STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
            assert order.index(name) < order.index(path.name), (name, path.name)
        assert path.read_text(encoding="utf-8").rstrip().splitlines()[-1] in script, path.name
    assert not re.search(r"^(import|export)\b", script, re.M)
    for page in application_pages(site):
        parser = Assets()
        parser.feed(built.read(page))
        assert not parser.preloads, page
        assert (site / apply.SCRIPT).resolve() in loaded_files(page), page


def write_modules(folder: Path, **modules: str) -> Path:
    for name, text in modules.items():
        (folder / f"{name}.js").write_text(text, encoding="utf-8")
    return folder / "main.js"


def test_the_bundle_keeps_each_module_once_after_what_it_imports(tmp_path: Path) -> None:
    entry = write_modules(
        tmp_path,
        main='import { a } from "./a.js";\nimport { b } from "./b.js";\nb(a());\n',
        a='import { b } from "./b.js";\nexport function a() {\n  return b(1);\n}\n',
        b="export const b = (x) => x;\nexport { b as c };\n",
    )
    script = apply.module_bundle(entry)
    assert re.findall(r"^// ---- (\S+)$", script, re.M) == ["b.js", "a.js", "main.js"]
    assert "const b = (x) => x;" in script and "function a()" in script
    assert not re.search(r"^(import|export)\b", script, re.M)


@pytest.mark.parametrize(
    ("modules", "refused"),
    [
        ({"main": 'import { a } from "./a.js";\n', "a": 'import "./main.js";\n'}, "import vòng"),
        ({"main": 'import { a as b } from "./a.js";\n', "a": "export const a = 1;\n"}, "đổi tên"),
        (
            {"main": 'import { a } from "./a.js";\nconst a = 2;\n', "a": "export const a = 1;\n"},
            "đã khai báo ở a.js",
        ),
        ({"main": 'import { a } from "https://x/a.js";\n'}, "không phải từ một module bên cạnh"),
    ],
)
def test_the_bundle_refuses_modules_that_would_not_share_one_scope(
    tmp_path: Path, modules: dict[str, str], refused: str
) -> None:
    """What one scope cannot hold as the modules did is a build error, not a broken page."""
    with pytest.raises(BuildError, match=refused):
        apply.module_bundle(write_modules(tmp_path, **modules))


def page_config(page: Path) -> dict:
    """The page's configuration: the script beside it that its loader names (apply-load.js),
    which sets window.applyConfig to it."""
    found = re.search(r'data-config="([^"]+)"', built.read(page))
    assert found, page
    text = built.read(page.parent / found.group(1))
    assert text.startswith("window.applyConfig = {") and text.endswith("};\n"), page
    return json.loads(text.removeprefix("window.applyConfig = ").removesuffix(";\n"))


def in_force_form(code: str, world: World) -> str | None:
    version = version_in_force(world.procedures[code], SITE_TODAY)
    form_id = version and version.get("online_service", {}).get("form")
    return form_id if form_id in world.forms else None


def test_application_pages_exist_exactly_for_procedures_with_a_form(
    site: Path, fixture_world: World
) -> None:
    world = fixture_world
    codes = sorted(p.name for p in (CATALOGUE / "procedures").iterdir())
    with_form = {code for code in codes if in_force_form(code, world)}
    assert with_form and set(codes) - with_form
    assert {p.parent.name for p in application_pages(site)} == with_form
    for code in set(codes) - with_form:
        assert not (site / "nop-ho-so" / code).exists(), code


def test_each_page_configuration_carries_its_form_and_the_server_messages(
    site: Path, fixture_world: World
) -> None:
    world = fixture_world
    for page in application_pages(site):
        config = page_config(page)
        form = world.forms[in_force_form(page.parent.name, world)]
        assert config["procedure"] == page.parent.name
        assert config["form"] == form["id"]
        # the configuration the parity test runs apply-rules.js with
        assert config["pages"] == world.configs[form["id"]]["pages"]
        assert config["patterns"] == forms.PATTERNS
        assert config["text_limits"] == forms.TEXT_LIMITS
        assert config["commune_message"] == forms.MESSAGES["commune"]
        assert config["unknown_message"] == forms.MESSAGES["unknown"]
        assert [
            ([f["id"] for f in p["fields"]], [s["id"] for s in p["uploads"]])
            for p in config["pages"]
        ] == [
            ([f["id"] for f in p.get("fields", [])], [s["id"] for s in p.get("uploads", [])])
            for p in form["pages"]
        ]
        for page_config_, page_form in zip(config["pages"], form["pages"], strict=True):
            assert page_config_.get("when") == page_form.get("when")
            for shown_field, item in zip(
                page_config_["fields"], page_form.get("fields", []), strict=True
            ):
                assert shown_field["messages"] == expected_messages(item), item["id"]
                assert shown_field.get("when") == item.get("when")
                assert shown_field["required"] == item.get("required", True)
            for slot_config, slot in zip(
                page_config_["uploads"], page_form.get("uploads", []), strict=True
            ):
                assert slot_config["messages"]["files_min"] == forms.MESSAGES["files_min"].format(
                    **slot
                )
                assert slot_config["messages"]["files_max"] == forms.MESSAGES["files_max"].format(
                    **slot
                )
                assert slot_config["min_files"] == slot["min_files"]
                assert slot_config["max_files"] == slot["max_files"]


def expected_messages(item: dict) -> dict[str, str]:
    """What forms.check_answers can say about this field, keyed as forms.MESSAGES."""
    kind = item["type"]
    expected = {"required": forms._message("required", item)}
    if kind in ("text", "textarea"):
        limit = item.get("max_length", forms.TEXT_LIMITS[kind])
        expected["text"] = forms._message("text", item, max_length=limit)
    elif kind == "number":
        expected["number"] = forms._message("number", item, range=forms._range(item))
    else:
        expected[kind] = forms._message(kind, item)
    if kind == "date":
        expected["future"] = forms._message("future", item)
    if kind in ("text", "textarea", "address"):
        expected["control"] = forms._message("control", item)
    return expected


def test_the_seed_catalogue_has_a_units_file_with_communes_for_each_of_the_34_provinces() -> None:
    """About the published content (catalogue/units)."""
    sources = sorted((SEED_CATALOGUE / "units").glob("*.yaml"))
    assert len(sources) == 34
    for source in sources:
        unit, problems = load_text(source.read_text(encoding="utf-8"), source.name)
        assert not problems
        assert unit["code"] == source.stem and unit["communes"], source.name


def test_the_site_units_files_hold_every_commune_of_each_province(site: Path) -> None:
    sources = sorted((CATALOGUE / "units").glob("*.yaml"))
    assert len(sources) >= 2
    for source in sources:
        unit, problems = load_text(source.read_text(encoding="utf-8"), source.name)
        assert not problems
        path = site / apply.UNITS_DIR / f"{unit['code']}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["code"] == unit["code"] == source.stem
        assert data["name"] == unit["name"]
        assert sorted(map(tuple, data["communes"])) == sorted(
            (c["code"], c["name"]) for c in unit["communes"]
        )
    assert len(list((site / apply.UNITS_DIR).glob("*.json"))) == len(sources)


def test_every_application_page_states_the_privacy_notice_and_the_retention_period(
    site: Path,
) -> None:
    """The notice is the catalogue's own text (catalogue/du-lieu-ca-nhan.md) with the period
    `motcua purge` applies (the default here: MOTCUA_RETENTION_DAYS unset)."""
    years = Settings.retention_days // 365
    for page in application_pages(site):
        text = built.read(page)
        notice = text.split('id="du-lieu-ca-nhan"', 1)[1].split("</section>", 1)[0]
        assert "Dữ liệu cá nhân của bạn" in notice and "91/2025/QH15" in notice, page
        assert f"được xóa {years} năm sau khi hồ sơ kết thúc" in notice, page
        assert "{thoi_han}" not in text and "<!--" not in notice, page


def test_the_privacy_notice_says_the_configured_period_and_must_have_one(tmp_path: Path) -> None:
    assert "được xóa 90 ngày sau" in apply.privacy_notice(CATALOGUE, 90)
    assert "được xóa 2 năm sau" in apply.privacy_notice(CATALOGUE, 730)
    (tmp_path / "du-lieu-ca-nhan.md").write_text("Dữ liệu được giữ mãi.", encoding="utf-8")
    with pytest.raises(BuildError, match="thoi_han"):
        apply.privacy_notice(tmp_path)
    with pytest.raises(BuildError, match=r"du-lieu-ca-nhan\.md"):
        apply.privacy_notice(tmp_path / "khong-co")
