"""Real replies with quoted history (tests/corpus/quotes): the agent reads their new text.

Per file: the phrases of the new text are kept and those of the quoted part
are not (the source project's own expectation where it has one). Per
conversation: the user's message, then a real reply; the reply is a human
answer and nothing of its quoted part is read as a rejection or a timeline,
even when the quoted part says one.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.facts import DeadlineStated, Rejection
from agent.mail.parse import parse_message
from agent.model import Message, RawMessage
from agent.signals.events import extract_facts
from tests.helpers import conv, make_config, msg, t
from tests.real_quotes import (
    CORRESPONDENT,
    KNOWN_MISSES,
    USER,
    Case,
    cases,
    measure,
    problem,
    raw_message,
    read,
)

CFG = make_config()
CASES = cases()
QUOTED = [c for c in CASES if c.quoted]
REJECTION = "Unfortunately, we have decided to move forward with other candidates."
TIMELINE = "We will get back to you by Friday, November 13."


def _param(case: Case) -> object:
    why = KNOWN_MISSES.get(case.name)
    marks = [pytest.mark.xfail(reason=why, strict=True)] if why else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_new_text_read_right(case: Case) -> None:
    assert problem(case, read(case.name).text) is None


def test_share_and_misses() -> None:
    measured = measure()
    assert measured.total == len(CASES) >= 100
    assert len(QUOTED) >= 100
    assert measured.share >= 0.95
    assert {m.name for m in measured.misses} == set(KNOWN_MISSES)
    assert all("left:" in m.reason for m in measured.misses)


def _user_message() -> Message:
    text = "Hello Maya, I applied for the Senior Engineer role last week. Best, Jordan"
    return msg(USER, "Senior Engineer application", text, t(11, 2, 9), to=CORRESPONDENT, mid="u1")


def _as_reply(m: Message) -> Message:
    """The parsed reply as the correspondent's answer, a day after the user's message."""
    return replace(m, date=t(11, 3, 10), from_=replace(m.from_, email=CORRESPONDENT) if m.from_ else None)


def _facts_of_reply(m: Message) -> list[type]:
    facts = extract_facts(conv(_user_message(), _as_reply(m)), CFG)
    return [type(f) for f in facts if f.at is not None and f.at >= t(11, 3, 9)]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in QUOTED])
def test_real_reply_in_a_conversation_is_a_human_answer(case: Case) -> None:
    kinds = _facts_of_reply(read(case.name))
    assert Rejection not in kinds and DeadlineStated not in kinds


def _with_quoted_verdict(name: str) -> bytes:
    """The real message with a rejection and a timeline appended inside its quoted part.

    Only for top-posted files (the file ends in its quote); ``>`` quotes get
    ``>`` lines, unprefixed quotes plain lines. The corpus file is unchanged.
    """
    data = raw_message(name).rstrip(b"\r\n")
    last = data.rsplit(b"\n", 1)[-1]
    prefix = b"> " if last.lstrip().startswith(b">") else b""
    extra = b"\n" + prefix + REJECTION.encode() + b"\n" + prefix + TIMELINE.encode() + b"\n"
    return data + extra


def _top_posted(case: Case) -> bool:
    """A plain-text file that ends inside its quoted part: its last line is not in the new
    text (which test_new_text_read_right holds to the source's expectation). A file ending
    in an inline answer ("And my final thoughts.") is left out: text appended there is new."""
    if not case.name.endswith(".txt"):
        return False
    lines = [x for x in raw_message(case.name).decode("utf-8", "replace").splitlines() if x.strip()]
    last = lines[-1].strip().lstrip(">").strip()
    return bool(last) and last not in read(case.name).text


TOP_POSTED = [c for c in QUOTED if _top_posted(c)]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in TOP_POSTED])
def test_quoted_rejection_and_timeline_are_not_read(case: Case) -> None:
    raw = _with_quoted_verdict(case.name)
    m = parse_message(RawMessage(id=case.name, folder="INBOX", data=raw))
    assert REJECTION not in m.text and TIMELINE not in m.text
    kinds = _facts_of_reply(m)
    assert Rejection not in kinds and DeadlineStated not in kinds


def test_the_sentences_do_close_and_time_when_they_are_new_text() -> None:
    """The check above has teeth: the same words as new text close and give a timeline."""
    said = msg(CORRESPONDENT, "Re: Senior Engineer application", f"{REJECTION}\n{TIMELINE}")
    kinds = _facts_of_reply(said)
    assert Rejection in kinds and DeadlineStated in kinds
    assert len(TOP_POSTED) >= 60
