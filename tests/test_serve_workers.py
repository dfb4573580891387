"""serve.py's default number of serving processes: two per core, at most eight."""

import pytest


@pytest.mark.parametrize(("cores", "workers"), [(None, 2), (1, 2), (2, 4), (3, 6), (4, 8), (32, 8)])
def test_two_serving_processes_a_core_at_most_eight(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: int
) -> None:
    import serve

    monkeypatch.setattr(serve.os, "cpu_count", lambda: cores)
    assert serve.default_workers() == workers
