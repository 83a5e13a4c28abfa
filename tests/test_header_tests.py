"""The candidate test's one-message parts made ahead (agent/candidates.py HeaderTests), as a cold
sync makes them batch by batch: the same candidates as the test made on its own."""

from __future__ import annotations

import sys
from pathlib import Path

from agent.backends.maildir import MaildirMailbox
from agent.candidates import HeaderTests, candidates_of, header_tests, is_candidate, thread_messages
from agent.config import Config, load_config
from agent.mail.parse import parse_message
from agent.model import Message, RawMessage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from poll_maildir import build  # noqa: E402 (the benches' mailbox: list mail, personal mail, recruiting)


def _mailbox(tmp_path: Path) -> tuple[list[Message], Config]:
    config = load_config(build(tmp_path / "mail", 600))
    assert config.maildir is not None
    added = MaildirMailbox.from_config(config.maildir).changes(None, None).added
    scenarios = sorted((ROOT / "tests" / "scenarios").glob("*/inbox/*"))
    extra = [RawMessage(id=f"s{i}", folder="INBOX", data=p.read_bytes()) for i, p in enumerate(scenarios)]
    return [parse_message(r) for r in [*added, *extra]], config


def test_tests_made_ahead_pick_the_same_candidates(tmp_path: Path) -> None:
    messages, config = _mailbox(tmp_path)
    ahead = HeaderTests()
    for start in range(0, len(messages), 97):  # batch by batch, as the cold sync makes them
        ahead.add(messages[start:start + 97], config)
    convs = thread_messages(messages, config)
    alone = [c.id for c in convs if is_candidate(c, config)]
    made = [c.id for c in convs if is_candidate(c, config, ahead)]
    assert made == alone
    assert 40 < len(alone) < len(convs)  # some are candidates, most are not
    assert ahead.user and ahead.recruiting
    assert candidates_of(messages, config, (), None, ahead) == candidates_of(messages, config, (), None)


def test_each_test_names_exactly_the_messages_it_holds_for(tmp_path: Path) -> None:
    from agent.candidates import _looks_recruiting
    from agent.signals.autoreply import is_bulk
    from agent.signals.recruiting import is_user

    messages, config = _mailbox(tmp_path)
    tests = header_tests(messages, config)
    alerts = config.recruiting.job_alert_domains
    assert tests.user == {m.id for m in messages if m.from_ and is_user(m.from_, config)}
    bulk = {m.id for m in messages if m.id not in tests.user and is_bulk(m, alerts) is not None}
    assert bulk and tests.recruiting == {m.id for m in messages if m.id not in bulk and _looks_recruiting(m, config)}
    assert all(tests.looks_recruiting(m, config) == _looks_recruiting(m, config) for m in messages)
