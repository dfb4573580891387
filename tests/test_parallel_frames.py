"""The render workers check the links of a page's frame once per depth, and every page's own
links (buildlib/site/parallel.py, _Frames)."""

from buildlib.site.links import check_links
from buildlib.site.parallel import CHUNK, _chunks, _Frames
from buildlib.site.shell import MARKER, SHELL_TITLE, Shell

FRAME = (
    f"<!doctype html><html><head><title>{SHELL_TITLE}</title></head>\n<body>\n"
    f'<header><a href="../gioi-thieu/">Giới thiệu</a><span>{SHELL_TITLE}</span></header>\n'
    f'<main>{MARKER}</main><footer><a href="../du-lieu-mo/">Dữ liệu mở</a></footer>\n'
    "</body></html>\n"
)


def test_the_frame_is_checked_in_the_first_page_and_the_content_in_every_page():
    shell = Shell.from_html(FRAME)
    frames = _Frames(shell)
    first, second = (
        shell.wrap(f'<a href="../../thu-tuc/{c}/in/">In</a>', title=f"Thủ tục {c}", depth=2)
        for c in ("1", "2")
    )
    assert frames.strip("thu-tuc/1/index.html", first) == first
    stripped = frames.strip("thu-tuc/2/index.html", second)
    assert "Thủ tục 2</title>" in stripped  # the <head> is kept
    assert check_links("thu-tuc/2/index.html", stripped, {"gioi-thieu/"}.__contains__) == [
        "thu-tuc/2/index.html: liên kết hỏng: ../../thu-tuc/2/in/"
    ]
    assert "gioi-thieu" not in stripped and "du-lieu-mo" not in stripped


def test_a_page_not_in_the_frame_is_checked_whole():
    frames = _Frames(Shell.from_html(FRAME))
    pointer = '<html><head></head><body><a href="../">Xem</a></body></html>\n'
    assert frames.strip("thu-tuc/1/2020-01-01/index.html", pointer) == pointer


def test_every_procedure_is_in_one_chunk_once_and_the_last_chunks_are_short():
    for count in (0, 1, 299, 300, 795, 2000, 10_000):
        for workers in (1, 2, 4):
            codes = [f"1.{i:06d}" for i in range(count)]
            chunks = _chunks(codes, workers)
            assert [c for chunk in chunks for c in chunk] == codes
            assert all(0 < len(chunk) <= CHUNK for chunk in chunks)
            if workers > 1 and count > workers * CHUNK:
                assert [len(c) for c in chunks[-workers * 5 :]] == [CHUNK // 5] * workers * 5


def test_a_frame_re_rooted_once_for_a_depth_is_its_own_at_that_depth():
    # Shell._at keeps each (frame, depth): another frame or depth is never served from it.
    one, other = Shell.from_html(FRAME), Shell.from_html(FRAME.replace("Giới thiệu", "Khác"))
    for _ in range(2):
        for depth in (1, 2, 3):
            page = one.wrap("x", title="T", depth=depth)
            assert f'href="{"../" * depth}gioi-thieu/"' in page and "Giới thiệu" in page
            assert "Khác" in other.wrap("x", title="T", depth=depth)
