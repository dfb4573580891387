"""The fast YAML path (documents built from libyaml's nodes) gives what PyYAML's StrictLoader
gives, and leaves everything unusual to it, so values and messages stay the same."""

import pytest
import yaml

from buildlib.catalogue import yamlsource
from buildlib.catalogue.yamlsource import StrictLoader, load_text

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

    monkeypatch.setattr(yamlsource, "_load_fast", refuse)
    assert fast == load_text(text, "x.yaml")
