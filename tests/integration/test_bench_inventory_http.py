"""bench.inventory_http runs end to end at tiny sizes (a smoke test, so the benchmark
cannot silently rot; its figures mean nothing here)."""

from __future__ import annotations

from bench import inventory_http


def test_the_inventory_benchmark_runs_every_mode_and_reports_its_figures() -> None:
    results = inventory_http.main([
        "--seconds", "1", "--clients", "2", "--items", "4", "--rate", "20",
        "--connections", "2", "--open-seconds", "1", "--lots-per-item", "2",
        "--history", "2", "--scale", "2", "--pgbench-seconds", "1"])
    for phase in ("receive", "dispatch", "receive_scaled", "dispatch_scaled"):
        figures = results[phase]
        assert figures["ok"] > 0 and figures["refused"] == 0, (phase, figures)  # type: ignore[index]
        assert figures["statements_per_request"] > 1, (phase, figures)  # type: ignore[index]
    opened = results["open_loop"]
    assert opened["ok"] > 0 and opened["refused"] == 0, opened  # type: ignore[index]
    assert results["preloaded_scaled"]["lots"] >= 2 * results["preloaded"]["lots"]  # type: ignore[index]
    assert results["pgbench_tps"] > 0  # type: ignore[operator]
    assert "dispatch_cpu_total" in results["growth"]  # type: ignore[operator]
