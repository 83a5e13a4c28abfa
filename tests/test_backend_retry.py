"""agent/backends/retry.py, the one retry policy of the network backends, and the backends'
shared pieces: the draft Message-ID, the imapclient privates in one module, the pinned version."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from agent.backends.base import message_id_of
from agent.backends.retry import Backoff, GaveUp, TryAgain, retry_after_seconds

ROOT = Path(__file__).resolve().parent.parent


def backoff(attempts: int = 5, *, jitter: float = 1.0, base: float = 0.5, cap: float = 30.0
            ) -> tuple[Backoff, list[float]]:
    sleeps: list[float] = []
    return Backoff(attempts, base, cap, sleeps.append, lambda: jitter), sleeps


def run(policy: Backoff, outcomes: list[BaseException | str]) -> tuple[str, list[int]]:
    """Try until an outcome is a value; (the value, the try numbers the attempts were given)."""
    tries: list[int] = []

    def attempt(n: int) -> str:
        tries.append(n)
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return policy.run(attempt), tries


def test_delay_doubles_to_its_cap_spread_over_the_upper_half() -> None:
    policy, _ = backoff(jitter=1.0, base=0.5, cap=3.0)
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    low, _ = backoff(jitter=0.0, base=1.0)
    assert [low.delay(n) for n in range(3)] == [0.5, 1.0, 2.0]


def test_a_longer_retry_after_wins_a_shorter_one_does_not() -> None:
    policy, _ = backoff(jitter=1.0, base=1.0)
    assert policy.delay(0, 7.0) == 7.0 and policy.delay(3, 2.0) == 8.0 and policy.delay(0, None) == 1.0


def test_tries_again_with_waits_between_and_none_after_the_last() -> None:
    policy, sleeps = backoff(attempts=4)
    with pytest.raises(GaveUp) as info:
        run(policy, [TryAgain("reset"), TryAgain("timeout"), TryAgain("rate", after=9.0), TryAgain("gone")])
    assert sleeps == [0.5, 1.0, 9.0]
    assert info.value.reason == "gone"


def test_success_after_failures_and_other_errors_end_at_once() -> None:
    policy, sleeps = backoff()
    assert run(policy, [TryAgain("reset"), "ok"]) == ("ok", [0, 1]) and sleeps == [0.5]
    policy, sleeps = backoff()
    with pytest.raises(ValueError, match="refused"):
        run(policy, [ValueError("refused"), "never"])
    assert sleeps == []


def test_retry_after_seconds_or_http_date() -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert retry_after_seconds("12", now) == 12.0 and retry_after_seconds(" 1.5 ", now) == 1.5
    assert retry_after_seconds(format_datetime(now + timedelta(minutes=2), usegmt=True), now) == 120.0
    assert retry_after_seconds(format_datetime(now - timedelta(minutes=2), usegmt=True), now) == 0.0
    assert retry_after_seconds("-3", now) == 0.0
    for unreadable in (None, "", "soon"):
        assert retry_after_seconds(unreadable, now) == 0.0


@pytest.mark.parametrize(("data", "expected"), [
    (b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody", "<a@b>"),
    (b"Subject: x\nmessage-id:\n <folded@b>\n\nbody", "<folded@b>"),
    (b"Subject: x\r\n\r\nMessage-ID: <in-the-body@b>\r\n", None),
    (b"X-Message-ID: <not-this@b>\r\n\r\n", None),
    (b"Message-ID: no-brackets@b\r\n\r\n", None),
])
def test_the_draft_message_id_both_backends_look_for(data: bytes, expected: str | None) -> None:
    assert message_id_of(data) == expected


def test_only_one_module_touches_imapclient_privates() -> None:
    private = re.compile(r"\._imap\b|_simple_command|_untagged_response|_proc_folder_list")
    users = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "agent").rglob("*.py")
                   if private.search(p.read_text(encoding="utf-8")))
    assert users == ["agent/backends/imapclient_privates.py"]


def test_imapclient_is_pinned_to_the_major_version_installed_and_tested() -> None:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [Requirement(d) for d in doc["project"]["dependencies"] if d.lower().startswith("imapclient")]
    assert len(pins) == 1
    installed = version("imapclient")
    assert pins[0].specifier.contains(installed)
    major = int(installed.split(".")[0])
    assert not pins[0].specifier.contains(f"{major + 1}.0")  # an upper bound: the next major is read first
