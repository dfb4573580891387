"""What every page is rendered with (buildlib/site/pagedata.py): the browse lists' links."""

import pytest
from jinja2 import Environment, StrictUndefined, UndefinedError
from markupsafe import Markup

from buildlib.site.pagedata import environment, list_items

# What list.html.j2 wrote with a Jinja loop before the filter, autoescape on.
LOOP = Environment(autoescape=True).from_string(
    '{% for item in items %}<li><a href="{{ item.href }}">{{ item.text }}</a>'
    "{% if item.meta %} <small>{{ item.meta }}</small>{% endif %}</li>\n{% endfor %}"
)


def test_the_list_filter_writes_what_the_template_loop_wrote_escaped_the_same_way():
    items = [
        {"href": "../../thu-tuc/1.001193/", "text": "Đăng ký khai sinh", "meta": "1.001193"},
        {"href": 'a?b=1&c="2"', "text": "<b>Tên</b> & 'x'", "meta": "áp dụng từ 01/01/2027"},
        {"href": "../", "text": "Theo lĩnh vực", "meta": ""},
    ]
    written = list_items(items)
    assert str(written) == LOOP.render(items=items)
    assert "<b>" not in written and "&lt;b&gt;" in written
    assert written.count("<small>") == 2


class _Record:
    """Not a dict: an attribute, and a `get` of its own."""

    name = "thuộc tính"

    def get(self, key: str, default: object = None) -> object:
        return f"get({key}, {default})"


class _Mapping(dict):
    """A dict subclass: Jinja's own lookups."""


COMPILED = (
    "{{ v.name }}|{{ v.get('note', 'không có') }}|{{ v.get('review', {}).get('status') }}|"
    "{% for c in v.get('cases', []) %}{{ loop.index }}:{{ c.name }}:{{ c.get('x') }};{% endfor %}|"
    "{% macro m(a) %}{{ a.get('name') }}/{{ a.items }}{% endmacro %}{{ m(v) }}|"
    "{% set w = v.get %}{{ w('name') }}"
)


def test_dict_lookups_compiled_inline_give_what_jinja_gives() -> None:
    # pagedata._CodeGenerator reads `a.b` and calls `a.get(...)` at once on a plain dict.
    ours = environment()
    assert "_d :=" in ours.compile(COMPILED, raw=True)
    plain = Environment(autoescape=True, undefined=StrictUndefined)
    values = [
        {
            "name": "<Tên>",
            "review": {"status": "imported"},
            "cases": [{"name": "a"}, {"name": "b", "x": 1}],
        },
        _Mapping(name="lớp con", cases=[_Mapping(name="c")]),
        {"name": "không có mục", "note": None},
    ]
    for v in values:
        assert ours.from_string(COMPILED).render(v=v) == plain.from_string(COMPILED).render(v=v)
    record = "{{ v.name }}|{{ v.get('a') }}|{{ v.get('a', 1) }}"
    expected = "thuộc tính|get(a, None)|get(a, 1)"
    assert ours.from_string(record).render(v=_Record()) == expected


def test_a_missing_dict_item_is_still_an_error() -> None:
    ours = environment()
    with pytest.raises(UndefinedError):
        ours.from_string("{{ v.name }}").render(v={})
    with pytest.raises(UndefinedError):
        ours.from_string("{{ v.get('a').name }}").render(v={})


class _Html:
    def __html__(self) -> str:
        return "<b>đậm</b>"


class _Text(str):
    """A str subclass: escaped as Jinja escapes it."""


def test_output_is_escaped_as_jinja_escapes_it() -> None:
    # pagedata._CodeGenerator escapes a str to a str at once, anything else with escape().
    template = (
        "{% for x in xs %}[{{ x }}]{% endfor %}"
        "{% macro m(a) %}<{{ a }}>{% endmacro %}{{ m(xs[0]) }}"
    )
    xs = ["<a href=\"x\">'&'</a>", _Text("<i>"), Markup("<b>an toàn</b>"), 3, None, _Html(), 1.5]
    ours = environment().from_string(template)
    plain = Environment(autoescape=True).from_string(template)
    assert ours.render(xs=xs) == plain.render(xs=xs)
    assert "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;" in ours.render(xs=xs)


def test_templates_compiled_here_are_kept_apart_from_jinjas_own(tmp_path) -> None:
    # A build of before _CodeGenerator keeps Jinja's code in the same folder: neither reads the
    # other's (its code has no `escape_text`; that of before would be correct, only slower).
    environment(tmp_path).from_string("x")  # no file: only named templates are kept
    environment(tmp_path).get_template("list.html.j2")
    kept = [p.name for p in tmp_path.iterdir()]
    assert kept and all(name.endswith(".inline-dict.cache") for name in kept)
