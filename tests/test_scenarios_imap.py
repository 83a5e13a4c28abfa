"""The whole scenario suite (tests/scenarios/) against a real Dovecot over IMAP, unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dovecot import DovecotUser
from tests.scenario_runner import load_scenario, run_cli_in_process, run_scenario, scenario_names
from tests.test_scenarios import KNOWN_BUGS


class ImapHarness:
    """A Dovecot user's INBOX, Sent and Drafts, set by the test as mail clients would."""

    SENT, DRAFTS = "Sent", "Drafts"

    def __init__(self, user: DovecotUser) -> None:
        self.user = user

    def deliver(self, folder: str, data: bytes) -> None:
        name = {"inbox": "INBOX", "sent": self.SENT}[folder]
        self.user.deliver(name, data, flags=(b"\\Seen",) if folder == "sent" else ())

    def drafts(self) -> list[tuple[str, bytes]]:
        c = self.user.admin
        c.select_folder(self.DRAFTS, readonly=True)
        uids = sorted(c.search("ALL"))
        out = []
        if uids:
            for uid, item in sorted(c.fetch(uids, ["BODY.PEEK[]", "FLAGS"]).items()):
                assert b"\\Draft" in item[b"FLAGS"], f"a draft without the \\Draft flag: {uid}"
                out.append((str(uid), item[b"BODY[]"]))
        self._leave(c)
        return out

    def _leave(self, c: Any) -> None:
        c.unselect_folder()

    def add_draft(self, data: bytes) -> None:
        self.user.deliver(self.DRAFTS, data, flags=(b"\\Draft", b"\\Seen"))

    def delete_draft(self, draft_id: str) -> None:
        self.user.expunge(self.DRAFTS, [int(draft_id)])

    def config_sections(self) -> dict[str, dict[str, Any]]:
        s = self.user.server
        return {
            "mailbox": {"backend": "imap"},
            "imap": {"host": s.host, "port": s.port, "security": "none", "username": self.user.username,
                     "password_command": f"printf %s {self.user.password}"},
        }


def scenario_params() -> list[object]:
    """Every scenario, the known bugs as strict xfails (shared by the suites on each server)."""
    return [pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n])]
                         if n in KNOWN_BUGS else []) for n in scenario_names()]


@pytest.mark.parametrize("name", scenario_params())
def test_scenario_on_dovecot(name: str, dovecot_user: DovecotUser, tmp_path: Path) -> None:
    run_scenario(load_scenario(name), ImapHarness(dovecot_user), tmp_path, cli=run_cli_in_process)
