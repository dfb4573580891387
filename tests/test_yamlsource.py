"""The fast YAML paths (yaml-rs where libyaml must read the same, documents built from libyaml's
nodes) give what PyYAML's StrictLoader gives, and leave everything unusual to it, so values and
messages stay the same."""

import unicodedata

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildlib.catalogue import yamlsource
from buildlib.catalogue.yamlsource import MAX_DEPTH, StrictLoader, load_text

from .conftest import CATALOGUE, ROOT

TRICKY = [
    "a: yes\nb: ~\nc: 2026-01-01\nd: 1.5\ne: 0x1F\nf: 1_000\ng: 1:20\nh: .inf\n",
    '1: x\n~: y\nno: z\n2026-01-01: d\n"": e\n',
    "x: ''\ny: \"\"\nz:\nw: [a, {b: c}]\n",
    "text: |\n  hai dòng\n  văn bản\nfolded: >\n  một\n  dòng\n",
    "- 1\n- - 2\n  - {a: [3]}\n",
    "a: !!str 2026-01-01\nb: !!int '7'\n",
]
UNUSUAL = [
    "a: 1\na: 2\n",  # duplicate key
    "? [a]\n: 1\n",  # complex key
    "<<: {a: 1}\nb: 2\n",  # merge key
    "a: !!binary aGk=\n",  # explicit tag
    "a: &x 1\nb: *x\n",  # anchor and alias
    "a: .nan\n",  # NaN, refused
    "a: " + "[" * 70 + "]" * 70 + "\n",  # too deep
]


def yaml_files() -> list:
    return sorted(CATALOGUE.rglob("*.yaml")) + sorted((ROOT / "schemas").rglob("*.yaml"))


@pytest.mark.parametrize("text", TRICKY)
def test_the_fast_path_builds_what_strictloader_builds(text: str) -> None:
    assert yamlsource._load_fast(text) == yaml.load(text, Loader=StrictLoader)


def test_every_fixture_and_example_file_loads_the_same_both_ways() -> None:
    files = yaml_files()
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "&" in text or "*" in text:
            continue
        assert yamlsource._load_fast(text) == yaml.load(text, Loader=StrictLoader), path


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_documents_take_the_ordinary_path_with_its_messages(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = load_text(text, "x.yaml")

    def refuse(text: str) -> None:
        raise yamlsource._Unusual

    monkeypatch.setattr(yamlsource, "_load_rust", refuse)
    monkeypatch.setattr(yamlsource, "_load_fast", refuse)
    assert fast == load_text(text, "x.yaml")


def strict(text: str) -> object:
    """What StrictLoader makes of the text (its data, or the class of its error)."""
    try:
        return yaml.load(text, Loader=StrictLoader)
    except (yaml.YAMLError, RecursionError) as error:
        return type(error)


def rust(text: str) -> object:
    """What the yaml-rs path makes of the text, or _Unusual when it leaves it to libyaml."""
    try:
        return yamlsource._load_rust(text)
    except yamlsource._Unusual:
        return yamlsource._Unusual


# Where YAML 1.1 (libyaml) and yaml-rs disagree, or a strict rule refuses: each is left to libyaml.
DISAGREE = [
    "a: 1\na: 2\n",  # a duplicate key, refused
    "a:\n  b: 1\n  c: 2\n  b: 3\n",  # nested
    "a: yes\n",  # 1.1 reads True, yaml-rs "yes"
    "a: off # comment\n",
    "- on\n",
    "a: 012\n",  # octal 10 for 1.1, 12 for yaml-rs
    "a: 0o17\n",  # a string for 1.1, 15 for yaml-rs
    "a: 1_000\n",
    "a: 1:30\n",  # sexagesimal 90 for 1.1
    "a: 1e5\n",  # a string for 1.1 (no dot, no sign), a float for yaml-rs
    "a:\n  1.5e3\n",
    "a: .nan\n",  # refused
    "a: &x 1\nb: *x\n",  # anchors and aliases, refused
    "a:\n\tb: 1\n",  # a tab in the indent, refused
    "a: |\n",  # an empty block scalar: "" for 1.1, "\n" for yaml-rs
    "a: 1\n---\nb: 2\n",  # two documents, refused; yaml-rs gives a list
    "a: x\u0085y\n",  # NEL, a line break for 1.1
    "a: [?b]\n",  # a flow quirk
    "1: a\n",  # a key that yaml-rs reads as a number
    "? [a]\n: 1\n",  # a complex key, refused
    "<<: {a: 1}\n",  # a merge key
    "a: !!binary aGk=\n",  # a tag
    "a: 1",  # no final line break
    "a:\n" + "- " * 100_000 + "x\n",  # nesting that would overflow yaml-rs's stack
    "a:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(70)) + " " * 71 + "x\n",
]


@pytest.mark.parametrize("text", DISAGREE, ids=lambda text: repr(text[:20]))
def test_yaml_rs_leaves_to_libyaml_what_the_two_may_read_differently(text: str) -> None:
    assert rust(text) is yamlsource._Unusual


def nested(depth: int, leaf: str) -> str:
    return "".join(" " * i + "k:\n" for i in range(depth)) + " " * depth + leaf + "\n"


@pytest.mark.parametrize("depth", range(MAX_DEPTH - 2, MAX_DEPTH + 3))
@pytest.mark.parametrize("leaf", ["x", "[]"])
def test_the_depth_limit_is_the_same_on_every_path(
    depth: int, leaf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = nested(depth, leaf)
    loaded = load_text(text, "x.yaml")

    def refuse(text: str) -> None:
        raise yamlsource._Unusual

    monkeypatch.setattr(yamlsource, "_load_rust", refuse)
    assert repr(loaded) == repr(load_text(text, "x.yaml"))
    assert (loaded[0] is None) == (depth > MAX_DEPTH)


def test_yaml_rs_reads_plain_documents_as_strictloader_does() -> None:
    text = (
        "code: '1.000097'\nname: 'Thủ tục: \"đăng ký\" 012'\namount: 50000\nrate: -1.25\n"
        "date: 2026-03-16\nflag: true\nnone: ~\nempty:\nlist: []\nmap: {}\n"
        "items:\n- kind: charge\n  amount: 0\n- Nghị định 15/2020/NĐ-CP, mục 2.\n"
    )
    assert isinstance(rust(text), dict)
    assert repr(rust(text)) == repr(strict(text))  # the same types too (1 is not 1.0 or True)


WORDS = "-- ... |- >+ null true yes no on 0o1 1_0 -1 .5 1e3 1. 012 1:3 2024-01-01 \\x41 = <<"
PIECES = [
    *"ab:-\n []{},#|>?'\"%@`\\ý.e01~&*!\t",
    *(": ", "- ", "\n  ", "\n    ", "\r\n", "x y"),
    *WORDS.split(),
]
PREFIXES = ["", "k: ", "k:\n  ", "k:\n- ", "k:\n  - ", "k: |\n  ", "a:\n  b:\n    ", "- "]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PREFIXES),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=10),
    st.sampled_from(["\n", "", "\nz: 1\n"]),
)
def test_yaml_rs_never_accepts_what_strictloader_refuses_nor_reads_otherwise(
    prefix: str, pieces: list[str], end: str
) -> None:
    text = prefix + "".join(pieces) + end
    fast = rust(text)
    if fast is not yamlsource._Unusual:
        assert repr(fast) == repr(strict(text)), text


def test_every_fixture_and_example_file_yaml_rs_reads_is_read_as_strictloader_reads() -> None:
    for path in yaml_files():
        text = path.read_text(encoding="utf-8")
        fast = rust(text)
        if fast is not yamlsource._Unusual:
            assert repr(fast) == repr(strict(text)), path


def test_text_is_read_composed_whatever_the_file_spells():
    decomposed = unicodedata.normalize("NFD", "name: Cổng dịch vụ công\n")
    data, problems = yamlsource.load_bytes(decomposed.encode(), "x.yaml")
    assert problems == []
    assert data == {"name": "Cổng dịch vụ công"}
    assert unicodedata.is_normalized("NFC", data["name"])
