"""What every page is rendered with (buildlib/site/pagedata.py): the browse lists' links."""

from jinja2 import Environment

from buildlib.site.pagedata import list_items

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
