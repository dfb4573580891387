"""buildlib/background.py: work done in a forked copy of the process, its answer sent back."""

import os
import signal

import pytest

from buildlib import background
from buildlib.background import BackgroundError, in_background
from buildlib.errors import BuildError, CatalogueError

pytestmark = pytest.mark.skipif(not background.can_fork(), reason="needs fork")


def _pid_and(value: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(value)


def _refuse(message: str) -> None:
    raise CatalogueError(message)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_the_work_runs_in_another_process_on_its_copy_and_its_answer_comes_back() -> None:
    big = list(range(100_000))  # reaches the process as its copy of memory, not through the pipe
    pid, total = in_background(_pid_and, big).result(timeout=60)
    assert pid != os.getpid()
    assert total == sum(big)


def test_what_the_work_raises_is_raised_by_result() -> None:
    running = in_background(_refuse, "Không dựng trang: 1 lỗi trong danh mục.")
    with pytest.raises(CatalogueError, match="1 lỗi trong danh mục"):
        running.result(timeout=60)


def test_a_process_that_dies_gives_a_build_error_naming_the_work() -> None:
    running = in_background(_die)
    with pytest.raises(BackgroundError, match=r"Tiến trình phụ \(_die\) dừng đột ngột") as raised:
        running.result(timeout=60)
    assert isinstance(raised.value, BuildError)  # build.py prints it as any other build error


def test_without_fork_the_work_is_done_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(background, "can_fork", lambda: False)
    running = in_background(_pid_and, [1, 2])
    assert running.done() and running.result() == (os.getpid(), 3)
    with pytest.raises(CatalogueError):
        in_background(_refuse, "x").result()
