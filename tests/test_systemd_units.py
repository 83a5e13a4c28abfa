"""The shipped systemd units: `systemd-analyze verify` clean, `security --offline` exposure <= 1.5.

Nothing here runs systemd; these are the checks systemd itself offers without a
running manager. `verify` insists that ExecStart's program exists and is
executable, so each unit is checked as a copy whose ExecStart points at a stub
script in a temporary folder (the copy is otherwise byte-identical); the
template is verified as an instance (`followup-agent@alice.service`), the way
systemd loads it. `security --offline=true` reads the shipped files as they are.
A missing `systemd-analyze` fails the tests (install the `systemd` package;
.ci/run does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[1] / "systemd"
SHIPPED = {
    "followup-agent.service": ("%h/.local/bin/followup-agent", "--user"),
    "followup-agent@.service": ("/usr/local/bin/followup-agent", "--system"),
}
MAX_EXPOSURE = 1.5


def analyze() -> str:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail("systemd-analyze not found: install it with `apt-get install -y systemd` "
                    "(.ci/run does this), then run the tests again.", pytrace=False)
    return exe


def test_only_these_units_are_shipped() -> None:
    assert sorted(p.name for p in UNITS.iterdir()) == sorted(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_verify_is_clean(name: str, tmp_path: Path) -> None:
    program, manager = SHIPPED[name]
    text = (UNITS / name).read_text()
    assert f"ExecStart={program} " in text
    stub = tmp_path / "bin" / "followup-agent"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    copy_name = name.replace("@.", "@alice.")
    copy = tmp_path / copy_name
    copy.write_text(text.replace(f"ExecStart={program} ", f"ExecStart={stub} "))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_COLOR": "0"}
    proc = subprocess.run([analyze(), "verify", manager, "--man=false", str(copy)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and not proc.stderr.strip() and not proc.stdout.strip(), (
        proc.stdout + proc.stderr)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_security_exposure_at_most_1_5(name: str) -> None:
    proc = subprocess.run([analyze(), "security", "--offline=true", "--no-pager", str(UNITS / name)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SYSTEMD_COLORS": "0"})
    out = proc.stdout + proc.stderr
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    assert m is not None, out
    exposure = float(m.group(1))
    print(f"{name}: exposure {exposure}")
    assert exposure <= MAX_EXPOSURE, out


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_units_say_what_the_service_needs(name: str) -> None:
    text = (UNITS / name).read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID",
                 "UMask=0077", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n"):
        assert line in text, line
    assert "ProtectHome=yes" not in text if name == "followup-agent.service" else "ProtectHome=yes" in text
    if name == "followup-agent.service":
        # the keyring is reached over the session D-Bus and the state lives in the home folder
        assert "ProtectHome=read-only" in text
        assert "ReadWritePaths=%h/.local/state/followup-agent" in text
        assert "User=" not in text
    else:
        for line in ("User=%i", "StateDirectory=followup-agent/%i", "ConfigurationDirectory=followup-agent/%i",
                     "LoadCredentialEncrypted=imap-password:", "PrivateUsers=yes"):
            assert line in text, line
