"""The benches' own builders keep up with the schema: a small synthetic archive builds, verifies,
and reads like a crawled one (the benches themselves time things and are never run here)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cli import as_json, newsarchive


def test_a_small_synthetic_archive_builds_verifies_and_reads(tmp_path):
    db = tmp_path / "synthetic.db"
    command = [sys.executable, "-m", "bench.synthetic", str(db)]
    sizes = ["--pages", "300", "--versions", "600", "--captures", "3000", "--workers", "1"]
    built = subprocess.run([*command, *sizes], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    verified = newsarchive("verify", db=db)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    exported = newsarchive("export", db=db)
    assert exported.returncode == 0, exported.stderr
    first = json.loads(exported.stdout.splitlines()[0])
    history = as_json("history", first["url"], db=db)
    assert history["versions"] and history["captures"]
    assert first["published_precision"] == "minute"
