"""The service units the project ships: hardened (systemd-analyze security) and valid (verify)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONTRIB = Path(__file__).resolve().parent.parent / "contrib"
UNITS = sorted(CONTRIB.glob("*.service"))
EXPOSURE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+)")
# Where the units expect newsarchive; the checks use this environment's instead.
INSTALLED = "/opt/newsarchive/.venv/bin/newsarchive"

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_every_shipped_unit_exposes_at_most_2_0(unit):
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(unit)],
        capture_output=True,
        text=True,
    )
    found = EXPOSURE.search(done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.0, done.stdout


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_every_shipped_unit_verifies_clean(unit, tmp_path):
    """As installed for the site chencang: the unit, its timer if it has one, newsarchive on
    the path the unit names (here: this environment's)."""
    executable = Path(sys.executable).with_name("newsarchive")
    for shipped in (unit, unit.with_suffix(".timer")):
        if shipped.exists():
            text = shipped.read_text(encoding="utf-8").replace(INSTALLED, str(executable))
            (tmp_path / shipped.name).write_text(text, encoding="utf-8")
    instances = [str(plain) for plain in tmp_path.iterdir() if "@." not in plain.name]
    for template in tmp_path.glob("*@.*"):
        instance = tmp_path / template.name.replace("@.", "@chencang.")
        instance.symlink_to(template.name)
        instances.append(str(instance))
    done = subprocess.run(["systemd-analyze", "verify", *instances], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
