"""The scenario suite: conversations stored as real mail files, run through the real CLI.

Each folder under ``tests/scenarios/`` is one conversation (or one piece of
noise) with its checkpoints in ``scenario.toml``; see ``tests/scenario_runner.py``
for the format. Every checkpoint runs ``followup-agent poll --once --now T``
and ``followup-agent status --json --now T`` as subprocesses against a fresh
Maildir, then checks the status object and the files in Drafts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenario_runner import MaildirHarness, load_scenario, run_scenario, scenario_names

# Scenarios whose correct POLICY outcome the agent does not reach yet: each is a
# bug report (see the reason), kept strict so that the fix turns it into a pass.
KNOWN_BUGS: dict[str, str] = {}  # scenario name -> a precise description of an agent bug (strict xfail)


def _params() -> list[object]:
    out: list[object] = []
    for name in scenario_names():
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name])] if name in KNOWN_BUGS else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


def test_suite_size() -> None:
    names = scenario_names()
    assert len(names) >= 32, names
    for name in names:
        scenario = load_scenario(name)
        assert scenario.description
        later = {str(p.relative_to(scenario.path)) for p in scenario.path.glob("later/*/*.eml")}
        delivered = {rel for check in scenario.checks for rel in check.deliver}
        assert later == delivered, f"{name}: files in later/ and deliver = [...] differ"


@pytest.mark.parametrize("name", _params())
def test_scenario(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(name)
    run_scenario(scenario, MaildirHarness(tmp_path), tmp_path)
