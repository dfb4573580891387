"""A timeline of one `build.py build`: when each phase starts and ends, in which process, with
its CPU seconds, and how many cores the build's processes kept busy, second by second.

python -m bench.build_timeline --catalogue DIR [--full] [--site-dir D] [--cache-dir D]
                               [--today DATE] [--out timeline.json]

The build runs in this process (`build_command`) with its phases wrapped: each wrapper notes
(process role, phase, wall start and end since the build's start, CPU seconds of its process)
into a file every process appends to (the render workers, the load's workers and the background
processes are forked from this one and inherit the wrappers). A sampler process reads the CPU
time of the build's process tree from /proc every 0.1 s: the "cores busy" line is what the build
used of the machine, whatever else ran. Also counted per process: the CPU seconds spent in the
garbage collector (`gc.callbacks`). Prints the phases in order and the busy cores per second;
`--out` keeps the events.
"""

import argparse
import functools
import gc
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")

_started = time.perf_counter()
_log_fd = -1
_gc = {"time": 0.0, "count": 0, "at": 0.0}


def _forked() -> None:  # a child counts its own collections and calls
    _gc.update(time=0.0, count=0)
    _sums.clear()


def _note(**event: Any) -> None:
    event.setdefault("pid", os.getpid())
    line = json.dumps(event, ensure_ascii=False) + "\n"
    os.write(_log_fd, line.encode())  # O_APPEND: whole lines from every process


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc["at"] = time.process_time()
    else:
        _gc["time"] += time.process_time() - _gc["at"]
        _gc["count"] += 1


def _wrap(module: Any, name: str, label: str, *, summary: bool = False) -> None:
    """module.name timed; `summary`: also the process's gc time so far (end of a worker's job).
    A name the module does not have (an older checkout's build) is left out."""
    inner = getattr(module, name, None)
    if inner is None:
        return

    @functools.wraps(inner)
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0, c0, g0 = time.perf_counter(), time.process_time(), _gc["time"]
        try:
            return inner(*args, **kwargs)
        finally:
            event = {
                "phase": label,
                "start": t0 - _started,
                "end": time.perf_counter() - _started,
                "cpu": time.process_time() - c0,
                "gc": _gc["time"] - g0,
            }
            if summary:
                event["gc"] = _gc["time"]
                event["gc_count"] = _gc["count"]
                event["sums"] = dict(_sums)
            _note(**event)

    setattr(module, name, timed)


_sums: dict[str, float] = {}


def _count(module: Any, name: str, label: str) -> None:
    """module.name's CPU summed per process (calls too many and short for an event each)."""
    inner = getattr(module, name)

    @functools.wraps(inner)
    def counted(*args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            _sums[label] = _sums.get(label, 0.0) + time.process_time() - c0

    setattr(module, name, counted)


def instrument() -> None:
    from buildlib.catalogue import load
    from buildlib.site import browse, build, feeds, frame, opendata, parallel, search

    for name in (
        "last_build",
        "plan",
        "start_frame",
        "load_catalogue",
        "frame",
        "write_feeds",
        "_site_data",
        "environment",
        "pages",
        "application_pages",
        "backoffice_pages",
        "_write_browse_pages",
        "search_index",
        "statistics_page",
        "publish",
        "precompress",
        "save_cache",
        "load",
        "_check",
    ):
        _wrap(build, name, name)
    _wrap(browse, "pages", "browse.pages")
    _wrap(frame, "run_mkdocs", "run_mkdocs")
    _wrap(load, "_load_batch_marshalled", "load batch", summary=True)
    _wrap(parallel, "_render_chunk", "render chunk", summary=True)
    _count(parallel, "procedure_pages", "procedure_pages")
    _count(parallel, "check_links", "check_links")
    _count(parallel, "write_with_copy", "write_with_copy")
    _count(parallel._Frames, "strip", "frames.strip")
    _count(feeds, "write_procedure", "feed")
    _count(opendata, "fragment", "opendata.fragment")
    _count(opendata, "write_single", "opendata.write_single")
    _count(search, "record", "search.record")


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return pids


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def sampler(root: int, out: int) -> None:
    """Every 0.1 s until `root` ends: (seconds since start, CPU s of the tree and of the
    processes gone since, summed). A process ending takes its CPU with it: the ended ones'
    last readings are kept."""
    last: dict[int, float] = {}
    while True:
        try:
            os.kill(root, 0)
        except OSError:
            break
        now = {pid: _cpu(pid) for pid in _tree(root)}
        last.update(now)
        line = f"{time.perf_counter() - _started:.3f} {sum(last.values()):.2f}\n"
        os.write(out, line.encode())
        time.sleep(0.1)


def busy(samples: list[tuple[float, float]], step: float = 1.0) -> list[float]:
    out, at, i = [], step, 0
    previous = (0.0, 0.0)
    while i < len(samples):
        while i < len(samples) and samples[i][0] < at:
            i += 1
        here = samples[min(i, len(samples) - 1)]
        out.append((here[1] - previous[1]) / max(here[0] - previous[0], 1e-9))
        previous, at = here, at + step
    return out


def main(argv: list[str] | None = None) -> int:
    global _log_fd
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalogue", type=Path, required=True)
    parser.add_argument("--site-dir", type=Path)
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--today")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="timeline-")
    log = Path(scratch, "events.jsonl")
    samples = Path(scratch, "samples.txt")
    _log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    me = os.getpid()
    sampler_pid = os.fork()
    if sampler_pid == 0:
        fd = os.open(samples, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            sampler(me, fd)
        finally:
            os._exit(0)
    gc.callbacks.append(_on_gc)
    os.register_at_fork(after_in_child=_forked)
    t0 = time.perf_counter()
    from buildlib.site.build import build_command

    instrument()
    _note(phase="imports", start=t0 - _started, end=time.perf_counter() - _started, cpu=0.0)
    out = io.StringIO()
    c0 = time.process_time()
    code = build_command(
        args.catalogue,
        out=out,
        today=args.today,
        site_dir=args.site_dir or Path(scratch, "site"),
        cache_dir=args.cache_dir or Path(scratch, "cache"),
        full=args.full,
    )
    end = time.perf_counter() - _started
    _note(
        phase="build_command",
        start=0.0,
        end=end,
        cpu=time.process_time() - c0,
        gc=_gc["time"],
        gc_count=_gc["count"],
    )
    time.sleep(0.25)
    os.kill(sampler_pid, 15)
    os.waitpid(sampler_pid, 0)
    print(out.getvalue(), file=sys.stderr)
    report(log, samples, me, args.out)
    return code


def report(log: Path, samples_file: Path, main_pid: int, keep: Path | None) -> None:
    events = [json.loads(line) for line in log.read_text().splitlines()]
    roles: dict[int, str] = {main_pid: "main"}
    for e in events:
        if e["pid"] in roles:
            continue
        kind = {"render chunk": "render", "load batch": "load"}.get(e["phase"], "bg")
        roles[e["pid"]] = f"{kind}{sum(r.startswith(kind) for r in roles.values()) + 1}"
    workers: dict[int, dict[str, float]] = {}
    for e in sorted(events, key=lambda e: (e["pid"], e["start"])):
        if e["phase"] in ("render chunk", "load batch"):
            w = workers.setdefault(e["pid"], {"first": e["start"], "cpu": 0.0, "n": 0})
            w.update(last=e["end"], gc=e["gc"], cpu=w["cpu"] + e["cpu"], n=w["n"] + 1)
            w["sums"] = e.get("sums", {})  # cumulative per process
    print(f"{'process':8} {'phase':22} {'start':>7} {'end':>7} {'wall':>6} {'CPU':>6}")
    for e in sorted(events, key=lambda e: e["start"]):
        if e["phase"] in ("render chunk", "load batch"):
            continue
        wall = e["end"] - e["start"]
        print(
            f"{roles[e['pid']]:8} {e['phase']:22} {e['start']:7.2f} {e['end']:7.2f} "
            f"{wall:6.2f} {e['cpu']:6.2f}" + (f"  gc {e['gc']:.2f}" if e.get("gc") else "")
        )
    for pid, w in sorted(workers.items(), key=lambda kv: roles[kv[0]]):
        sums = " ".join(f"{k} {v:.2f}" for k, v in sorted(w["sums"].items()))
        print(
            f"{roles[pid]:8} {int(w['n'])} jobs {w['first']:7.2f} {w['last']:7.2f} "
            f"CPU {w['cpu']:.2f} gc {w['gc']:.2f}  {sums}"
        )
    samples = [tuple(map(float, line.split())) for line in samples_file.read_text().splitlines()]
    cores = busy(samples)  # type: ignore[arg-type]
    print("cores busy, second by second:")
    print(" ".join(f"{c:.1f}" for c in cores))
    total = samples[-1][1] if samples else 0.0
    print(f"build's processes: {total:.1f} CPU s in {samples[-1][0] if samples else 0:.1f} s")
    if keep:
        named = {str(pid): role for pid, role in roles.items()}
        keep.write_text(json.dumps({"events": events, "roles": named, "samples": samples}))


if __name__ == "__main__":
    raise SystemExit(main())
