"""``explain``: which conversation a query names, and the text it prints, section by section.

The sample mailbox gives the sections the pipeline fills (evidence, events,
the next step, the drafts so far, the plan); a result built by hand gives the
exact text of the rarer ones (no events, bounced addresses, a step with no
recipient, the verdicts of conversations that are not tracked).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.app import run_poll
from agent.config import Config, load_config
from agent.demo import DEMO_TIMES, build_sample
from agent.errors import AgentError
from agent.explain import explain, find_conversation
from agent.policy import Decision, NextStep
from agent.poll_result import PollResult
from agent.signals.cues import Cue
from agent.signals.tracking import Tracking
from tests.helpers import conv, make_config, msg, t

# --- find_conversation --------------------------------------------------------------------

CONVS = {
    "c-aaa111": conv(msg("ann@acme.com", "Interview at Acme", date=t(11, 2)), cid="c-aaa111"),
    "c-aab222": conv(msg("bo@zeta.io", "Interview at Zeta", date=t(11, 3)), cid="c-aab222"),
    "c-bbb333": conv(msg("cy@omni.com", "Coffee next week?", date=t(11, 4)), cid="c-bbb333"),
}


def _decision(cid: str, company: str | None = None, **kw: Any) -> Decision:
    fields: dict[str, Any] = {"state": "open", "next": None, "reason": "why", **kw}
    return Decision(cid, CONVS[cid].subject, company, **fields)


@pytest.mark.parametrize(("query", "found"), [
    ("c-bbb333", "c-bbb333"),  # the id
    ("c-b", "c-bbb333"),  # a unique prefix of an id
    ("coffee", "c-bbb333"),  # a fragment of the subject, any case
    ("omnicorp", "c-bbb333"),  # a fragment of the company the decision names
    ("interview", "c-aab222"),  # two match; only one is tracked
])
def test_find_conversation_by_id_prefix_subject_or_company(query: str, found: str) -> None:
    decisions = [_decision("c-bbb333", "OmniCorp"), _decision("c-aab222", "Zeta")]
    assert find_conversation(query, CONVS, decisions) == found


def test_find_conversation_refuses_none_and_several() -> None:
    with pytest.raises(AgentError, match="No conversation matches 'nothing'"):
        find_conversation("nothing", CONVS)
    with pytest.raises(AgentError) as err:
        find_conversation("c-aa", CONVS)
    assert str(err.value) == ("'c-aa' matches 2 conversations: c-aaa111 (Interview at Acme); "
                              "c-aab222 (Interview at Zeta). Use the id.")


# --- the text, from a result built by hand ------------------------------------------------

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)


def _result(*decisions: Decision, untracked: tuple[tuple[str, Tracking], ...] = (),
            tracking: dict[str, Tracking] | None = None) -> PollResult:
    return PollResult(NOW, list(decisions), [], applied=False, conversations=CONVS,
                      untracked=[(CONVS[cid], tr) for cid, tr in untracked], tracking=tracking or {})


def test_a_tracked_conversation_with_no_events_a_bounce_and_no_recipient() -> None:
    config = make_config()
    step = NextStep("follow_up_1", datetime(2026, 12, 8, 14, tzinfo=UTC), None, "r1",
                    arithmetic=("your last message + 7 days",))
    dec = _decision("c-aab222", "Zeta Robotics", next=step, rules=("a rule", "another"),
                    unusable=("bo@zeta.io", "x@zeta.io"), no_recipient="every address bounced",
                    tracked_because="your own candidacy", reason="Waiting on the company.")
    assert explain("c-aab222", _result(dec), config) == (
        "Conversation c-aab222: 'Interview at Zeta'\n"
        "Company: Zeta Robotics\n"
        "Tracked because: your own candidacy.\n"
        "State: open. Waiting on the company.\n"
        "\n"
        "Messages:\n"
        f"  2026-11-03 12:00  {'bo@zeta.io':<36} Interview at Zeta\n"
        "\n"
        "Events (with evidence):\n"
        "  (none)\n"
        "\n"
        "Rules applied:\n"
        "  - a rule\n"
        "  - another\n"
        "\n"
        "Next: follow_up_1 due Tue 2026-12-08 09:00 EST to (nobody)\n"
        "  your last message + 7 days\n"
        "  No draft can be written: every address bounced.\n"
        "Unusable addresses (bounced): bo@zeta.io, x@zeta.io\n"
    )


def test_a_possible_conversation_says_why_and_how_to_settle_it() -> None:
    cue = Cue("candidacy", "a role named", 2, "<m@x>", "the Staff Engineer role " + "x" * 200)
    unsure = Tracking(False, "a role named, but no sign it is yours", possible=True, cues=(cue,))
    text = explain("coffee", _result(tracking={"c-bbb333": unsure}), make_config())
    assert text == (
        "Conversation c-bbb333: 'Coffee next week?'\n"
        "Possible, not tracked: a role named, but no sign it is yours. Nothing is drafted until you "
        "settle it:\n"
        "  followup-agent mark c-bbb333 recruiting\n"
        "  followup-agent mark c-bbb333 not-recruiting\n"
        "\n"
        "Evidence weighed (your own job search or something else):\n"
        f"  candidacy      +2  a role named: \u201c{cue.quote[:110]}\u201d\n"
        "\n"
        "Messages:\n"
        f"  2026-11-04 12:00  {'cy@omni.com':<36} Coffee next week?\n"
    )


def test_a_conversation_passed_over_says_why_and_how_to_track_it() -> None:
    ignored = Tracking(False, "it looks like a newsletter")
    text = explain("c-aaa", _result(untracked=(("c-aaa111", ignored),)), make_config())
    assert text.splitlines()[:3] == [
        "Conversation c-aaa111: 'Interview at Acme'",
        "Not tracked: it looks like a newsletter.",
        "  (wrong? followup-agent mark c-aaa111 recruiting)",
    ]
    bare = explain("c-aaa", _result(), make_config())  # no verdict at all
    assert bare.splitlines()[1] == "Not tracked: not a recruiting conversation."


# --- the text, from the sample mailbox -----------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[PollResult, Config]:
    """The demo's first poll (a thank-you drafted for Acme), then a dry run a week later."""
    config = load_config(build_sample(Path(tmp_path_factory.mktemp("explain"))))
    run_poll(config, DEMO_TIMES[0], dry_run=False)
    return run_poll(config, DEMO_TIMES[1], dry_run=True), config


def _sections(text: str) -> list[str]:
    """The first line of each section (a section starts after a blank line)."""
    lines = text.splitlines()
    return [lines[0]] + [lines[i + 1] for i, line in enumerate(lines[:-1]) if not line]


def test_a_tracked_conversation_shows_its_next_step_and_the_drafts_so_far(sample: tuple[PollResult, Config]) -> None:
    result, config = sample
    text = explain("Acme", result, config)
    assert _sections(text) == [
        "Conversation c-c90cdd6b60b4dcea: 'Interview for the Senior Platform Engineer role'",
        "Evidence weighed (your own job search or something else):",
        "Messages:",
        "Events (with evidence):",
        "Rules applied:",
        "Next: thank_you due Tue 2026-12-01 09:00 EST to ann.park@acmerobotics.com",
        "Drafts so far:",
    ]
    ledger = result.history["c-c90cdd6b60b4dcea"][0]
    assert text.endswith(f"Drafts so far:\n  thank_you    created       2026-12-01 10:00  {ledger.message_id}\n")
    assert "State: open. Interview held Mon Nov 30 2026 15:00 EST; a thank-you is owed.\n" in text
    assert ("  2026-11-30 15:00  interview            \u201cinvitation: Interview: Jordan Lee / Acme "
            "Robotics (Senior Platform Engineer)\u201d  (start=2026-11-30 14:00, end=2026-11-30 15:00, "
            "arranged=2026-11-23 11:00)\n") in text
    assert "  snapped to Tue Dec 1 2026 09:00 EST (after business hours)\n" in text


def test_what_this_poll_would_do_closes_the_text(sample: tuple[PollResult, Config]) -> None:
    result, config = sample
    text = explain("Globex", result, config)
    (action,) = [a for a in result.plan if a.conversation == "c-37566ab5073797fb"]
    assert text.endswith(f"\n\nThis poll would:\n  create follow_up_1: {action.reason}\n")
    assert "Drafts so far" not in text  # none yet for Globex

