"""The benches keep up with the code: a small synthetic archive builds, verifies, and reads like a
crawled one; the extraction speed bench runs on a tiny site and prints its ratios (what the benches
time is never checked here)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli import as_json, newsarchive


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A small synthetic archive, built once for the tests that read it."""
    db = tmp_path_factory.mktemp("synthetic") / "synthetic.db"
    command = [sys.executable, "-m", "bench.synthetic", str(db)]
    sizes = ["--pages", "300", "--versions", "600", "--captures", "3000", "--workers", "1"]
    built = subprocess.run([*command, *sizes], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    return db


# What bench.history times, in the order it prints them (and their query plans).
HISTORY_QUERIES = (
    "baseline (one lookup)",
    "history",
    "show --at",
    "diff",
    "changes (one day)",
    "schedule planner (profile's budget)",
    "due revisits (all due)",
    "due revisits (count, 1,000 most overdue)",
    "budget planner (profile's budget)",
    "budget planner (none past the floor)",
    "budget planner (no delay, no limit)",
    "diff with comparison",
    "export (latest versions)",
    "verify",
)


def test_a_small_synthetic_archive_builds_verifies_and_reads(synthetic):
    db = synthetic
    verified = newsarchive("verify", db=db)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    exported = newsarchive("export", db=db)
    assert exported.returncode == 0, exported.stderr
    first = json.loads(exported.stdout.splitlines()[0])
    history = as_json("history", first["url"], db=db)
    assert history["versions"] and history["captures"]
    assert first["published_precision"] == "minute"


def test_the_history_bench_prints_each_query_its_plans_and_the_throughputs(synthetic):
    command = [sys.executable, "-m", "bench.history", "--db", str(synthetic), "--samples", "4"]
    runs = ["--planner-samples", "2", "--unlimited-samples", "1", "--export-runs", "1"]
    runs += ["--command-runs", "1"]
    done = subprocess.run([*command, *runs], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    commands = ("  newsarchive history URL", "  newsarchive changes (one day)")
    for name in (*HISTORY_QUERIES, *commands):
        assert any(line.startswith(name + " ") for line in lines), (name, done.stdout)
    assert "all intact" in done.stdout
    plans = lines[lines.index("EXPLAIN QUERY PLAN of each statement, per query:") :]
    assert any("SEARCH page_url USING" in line for line in plans), done.stdout
    headings = [line[:-1] for line in plans if line.endswith(":") and not line.startswith(" ")]
    assert headings[1:] == list(HISTORY_QUERIES)


def test_the_extraction_speed_bench_prints_its_ratios_on_a_tiny_site():
    command = [sys.executable, "-m", "bench.extraction_speed", "--pages", "40"]
    sizes = ["--rounds", "1", "--reparses", "1"]
    done = subprocess.run([*command, *sizes], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    for ratio in ("generic / profile:", "reparse / profile extraction:", "reparse / crawl:"):
        assert any(line.startswith(ratio) for line in lines), done.stdout
    assert "40 stored answers read" in done.stdout
    figures = json.loads(lines[-1])
    assert all(value > 0 for value in figures.values()), figures


def test_the_crawl_throughput_bench_prints_wall_and_cpu_ratios_on_a_small_site():
    command = [sys.executable, "-m", "bench.crawl_throughput", "--articles", "60", "--rounds", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("round ")] == [
        "round 1",
        "round 2",
    ]
    for heading in (
        "full stack / bare spider:",
        "CPU a capture, bare / full stack:",
        "full stack CPU a capture by process:",
        "incremental crawl requests / first crawl:",
    ):
        assert any(line.startswith(heading) for line in lines), done.stdout
    figures = json.loads(lines[-1])
    assert figures["articles"] == 60 and figures["ratio"] > 0 and figures["cpu_ratio"] > 0
    assert figures["by_process_ms"]["crawl"] > 0, figures


def test_the_postgresql_payload_bench_compares_three_storages_and_reads_every_byte_back():
    command = [sys.executable, "-m", "bench.pg_blobs", "--pages", "40", "--rounds", "1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    kinds = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert kinds == ["zlib", "lz4", "pglz"], done.stdout


def test_the_memory_bench_prints_the_peak_rss_of_a_small_crawls_processes():
    command = [sys.executable, "-m", "bench.memory", "--articles", "120"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "peak RSS of its" in done.stdout and "floor 1,024 MiB" in done.stdout, done.stdout
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["articles"] == 120 and figures["peak_rss"] >= figures["largest_process_rss"] > 0
    assert figures["processes"] >= 2, figures  # the crawler and its writer at least


def test_the_freshness_bench_simulates_both_edit_models_for_each_planner():
    command = [sys.executable, "-m", "bench.daily_crawls", "--simulate", "--articles", "300"]
    done = subprocess.run([*command, "--days", "10"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split()[:2] for line in done.stdout.splitlines()[2:]]
    planners = ["shipped", "shipped-capped", "budget"]
    assert rows == [[model, p] for model in ("uniform", "decaying") for p in planners]
