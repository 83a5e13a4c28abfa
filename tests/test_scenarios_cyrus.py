"""The whole scenario suite (tests/scenarios/) against a real Cyrus IMAP over IMAP, unchanged.

The same harness as on Dovecot (tests/test_scenarios_imap.py): Cyrus set up like
Fastmail has the same folder names (INBOX, Sent, Drafts), so only the user differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cyrus import CyrusUser
from tests.scenario_runner import load_scenario, run_cli_in_process, run_scenario
from tests.test_scenarios_imap import ImapHarness, scenario_params


@pytest.mark.parametrize("name", scenario_params())
def test_scenario_on_cyrus(name: str, cyrus_user: CyrusUser, tmp_path: Path) -> None:
    run_scenario(load_scenario(name), ImapHarness(cyrus_user), tmp_path, cli=run_cli_in_process)
