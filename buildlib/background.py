"""Work done in a forked copy of this process while this one goes on.

The build makes its frame, checks the catalogue, publishes the open data and writes the gzip
copies this way, and `build.py check` writes its cache and runs some cross-checks: each is work
that needs the data this process holds (the whole catalogue) and would leave a core idle.
"""

import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from buildlib.errors import BuildError

T = TypeVar("T")


class BackgroundError(BuildError):
    """The process doing a piece of work ended without an answer (killed, out of memory)."""


def in_background(work: Callable[..., T], *args: Any) -> "Future[T]":
    """`work(*args)` in a forked process of its own: `.result()` waits for it and returns what
    it returned (sent back pickled) or raises what it raised. The process gets `work` and `args`
    as its copy of this one's memory, not through the pipe: they may be the whole catalogue.
    Where processes cannot be forked, it is done at once."""
    if not can_fork():
        done: Future[T] = Future()
        try:
            done.set_result(work(*args))
        except Exception as error:  # raised again by .result(), as from the process
            done.set_exception(error)
        return done
    import multiprocessing

    for stream in (sys.stdout, sys.stderr):  # or the child may write its copy of them again
        stream.flush()
    key = len(_waiting)
    _waiting[key] = (work, args)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        running = pool.submit(_run, key)  # forks here (a pool of fork starts at once)
    finally:
        del _waiting[key]
        pool.shutdown(wait=False)  # the process ends when the work is done
    answer: Future[T] = Future()
    running.add_done_callback(lambda ran: _settle(answer, ran, work))
    return answer


def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


_waiting: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}


def _run(key: int) -> Any:
    work, args = _waiting[key]
    return work(*args)


def _settle(answer: "Future[T]", ran: "Future[T]", work: Callable[..., T]) -> None:
    error = ran.exception()
    if error is None:
        answer.set_result(ran.result())
    elif isinstance(error, BrokenProcessPool):
        name = getattr(work, "__name__", None) or getattr(
            getattr(work, "func", None), "__name__", ""
        )
        failed = BackgroundError(f"Tiến trình phụ ({name}) dừng đột ngột, không trả kết quả.")
        failed.__cause__ = error
        answer.set_exception(failed)
    else:
        answer.set_exception(error)
