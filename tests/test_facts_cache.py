"""Facts remembered between polls (agent/facts_cache.py) and the engine's use of them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent import engine, facts_cache
from agent.model import (
    FACT_TYPES,
    Ack,
    AutoReply,
    Bounce,
    Deadline,
    DeadlineStated,
    Evidence,
    Fact,
    HumanReply,
    Interview,
    InterviewCancelled,
    NoFollowUp,
    Offer,
    References,
    Rejection,
    UserWrote,
    Withdrawn,
)
from agent.signals.events import extract_facts
from agent.store import Store
from tests.helpers import ME, conv, make_config, msg, t

ACME = "ann.park@acme.com"


def _thread() -> tuple[object, ...]:
    first = msg(ACME, "Interview for the Platform Engineer role",
                "Thanks for your time today. We hope to decide by the end of next week.", t(11, 24, 9),
                mid="a1")
    mine = msg(ME, "Re: Interview for the Platform Engineer role", "Thank you!", t(11, 24, 15), to=ACME,
               mid="a2")
    return first, mine


def _one_of_each() -> list[Fact]:
    """A fact of every kind, with values whose types and zones must survive the JSON."""
    ny, plus2 = ZoneInfo("America/New_York"), timezone(timedelta(hours=2))
    at = datetime(2026, 11, 24, 14, tzinfo=UTC)
    ev = Evidence("<a@x>", "the words", datetime(2026, 11, 24, 9, tzinfo=ny))
    start, end = datetime(2026, 12, 1, 13, tzinfo=ny), datetime(2026, 12, 1, 15, tzinfo=plus2)
    return [
        Interview(end, ev, start=start, end=end, source="calendar", summary="Interview", tzid="Europe/Berlin",
                  arranged=at),
        Interview(end, ev, start=start, end=end, source="mark"),
        InterviewCancelled(end, ev, start=start, end=end, source="calendar", summary="Interview"),
        DeadlineStated(at, ev, deadline=Deadline(date(2026, 11, 27), "by Friday, 5pm PT", "America/Los_Angeles")),
        DeadlineStated(at, Evidence("(your mark)", "you marked it", None), deadline=Deadline(date(2026, 12, 4), "q")),
        HumanReply(at, ev, sender="ann@acme.com"),
        AutoReply(at, ev, return_date=date(2026, 12, 7), sender="ann@acme.com"),
        AutoReply(None, ev, return_date=None, sender="ann@acme.com"),
        Bounce(at, ev, addresses=("a@x", "b@x")),
        Rejection(at, ev, rule="they decided on someone else"),
        Offer(at, ev, rule="an offer made to you"),
        Withdrawn(at, ev, rule="you withdrew"),
        NoFollowUp(at, ev, rule="asked not to be contacted"),
        References(at, ev),
        UserWrote(at, ev, to=("ann@acme.com", "bo@acme.com")),
        UserWrote(at, ev, to=()),
        Ack(at, ev),
    ]


def test_every_kind_of_fact_comes_back_as_it_was() -> None:
    facts = _one_of_each()
    assert {type(f) for f in facts} == set(FACT_TYPES)
    back = [facts_cache._fact(d) for d in json.loads(json.dumps([facts_cache._doc(f) for f in facts]))]
    assert back == facts
    assert [type(f) for f in back] == [type(f) for f in facts]
    iv = back[0]
    assert isinstance(iv, Interview) and iv.start.tzinfo == ZoneInfo("America/New_York")
    assert iv.end.utcoffset() == timedelta(hours=2) and iv.arranged is not None and iv.arranged.tzinfo == UTC
    stated = back[3]
    assert isinstance(stated, DeadlineStated) and isinstance(stated.deadline.last_day, date)
    assert stated.at is not None and stated.at.tzinfo == UTC
    assert stated.evidence.date is not None and stated.evidence.date.tzinfo == ZoneInfo("America/New_York")
    bounce = back[8]
    assert isinstance(bounce, Bounce) and isinstance(bounce.addresses, tuple)


def test_every_kind_has_a_name_of_its_own_and_can_be_cached() -> None:
    """A new kind of fact must be listed in FACT_TYPES, or the cache could not read it back."""

    def concrete(cls: type[Fact]) -> set[type[Fact]]:
        below = {c for sub in cls.__subclasses__() for c in concrete(sub)}
        return below | ({cls} if "kind" in vars(cls) else set())

    assert concrete(Fact) == set(FACT_TYPES)
    assert len({t.kind for t in FACT_TYPES}) == len(FACT_TYPES)


def test_a_kind_it_does_not_know_is_extracted_again() -> None:
    config = make_config()
    first, _ = _thread()
    c1 = conv(first, cid="c-1")
    cache = facts_cache.FactsCache(None, config)
    found = cache.facts(c1, lambda: extract_facts(c1, config))
    raw = cache.dump()
    assert raw is not None and '"human_reply"' in raw
    calls: list[int] = []
    again = facts_cache.FactsCache(raw.replace('"human_reply"', '"a_kind_from_elsewhere"'), config)
    assert again.facts(c1, lambda: calls.append(1) or extract_facts(c1, config)) == found  # type: ignore[func-returns-value]
    assert calls == [1]


def test_a_value_it_cannot_keep_is_refused() -> None:
    with pytest.raises(TypeError):
        facts_cache._value({1, 2})


def test_remembered_until_the_conversation_changes() -> None:
    config = make_config()
    first, mine = _thread()
    calls: list[str] = []

    def extract(c: object) -> list[Fact]:
        calls.append("x")
        return extract_facts(c, config)  # type: ignore[arg-type]

    c1 = conv(first, cid="c-1")
    cache = facts_cache.FactsCache(None, config)
    fresh = cache.facts(c1, lambda: extract(c1))
    raw = cache.dump()
    assert raw is not None and fresh
    again = facts_cache.FactsCache(raw, config)
    assert again.facts(c1, lambda: extract(c1)) == fresh and len(calls) == 1
    assert again.dump() is None  # nothing changed: nothing to write
    c2 = conv(first, mine, cid="c-1")  # the user answered: extracted again
    assert again.facts(c2, lambda: extract(c2)) == extract_facts(c2, config) and len(calls) == 2


def test_another_setting_or_a_damaged_row_starts_afresh() -> None:
    config = make_config()
    first, _ = _thread()
    c1 = conv(first, cid="c-1")
    cache = facts_cache.FactsCache(None, config)
    cache.facts(c1, lambda: extract_facts(c1, config))
    raw = cache.dump()
    other = make_config(account={"timezone": "Europe/Berlin"})
    calls: list[int] = []
    for cfg, text in ((other, raw), (config, "{not json"), (config, '{"config": 1, "conversations": 5}')):
        cache = facts_cache.FactsCache(text, cfg)
        cache.facts(c1, lambda cfg=cfg: calls.append(1) or extract_facts(c1, cfg))  # type: ignore[func-returns-value]
    assert len(calls) == 3


def test_conversations_no_longer_asked_about_are_dropped() -> None:
    config = make_config()
    first, mine = _thread()
    a, b = conv(first, cid="c-a"), conv(mine, cid="c-b")
    cache = facts_cache.FactsCache(None, config)
    cache.facts(a, lambda: extract_facts(a, config))
    cache.facts(b, lambda: extract_facts(b, config))
    later = facts_cache.FactsCache(cache.dump(), config)
    later.facts(a, lambda: extract_facts(a, config))
    raw = later.dump()
    assert raw is not None and "c-b" not in raw and "c-a" in raw


def test_a_warm_poll_extracts_nothing_and_a_new_message_only_its_conversation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.samples import deliver, message
    from tests.test_engine import Env  # the engine's Maildir fixture

    env = Env(tmp_path)
    deliver(env.inbox, message("Bo Chen <bo@globex.com>", "Jordan Lee <jordan.lee@gmail.com>",
                               "Interview for the Data Engineer role", "Hi Jordan, could we meet next week?",
                               t(11, 24, 10), "globex-1@globex.com"))
    seen: list[str] = []
    real = engine.extract_facts

    def counting(c: object, cfg: object) -> list[Fact]:
        seen.append(c.id)  # type: ignore[attr-defined]
        return real(c, cfg)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "extract_facts", counting)
    first = env.poll(t(11, 25, 9))
    assert len(seen) == 2
    seen.clear()
    warm = env.poll(t(11, 25, 10))
    assert seen == [] and [d.state for d in warm.decisions] == [d.state for d in first.decisions]
    env.reply(t(11, 25, 11))
    env.poll(t(11, 25, 12))
    assert len(seen) == 1  # only the conversation that got a message
    with Store.open(env.config.state.path) as store:
        assert store.get_meta("facts")


def test_the_tracking_verdict_is_remembered_like_the_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Weighing the tracking rules is done again only for a conversation whose mail changed."""
    from tests.test_engine import Env

    env = Env(tmp_path)
    seen: list[str] = []
    real = engine.classify

    def counting(c: object, cfg: object) -> object:
        seen.append(c.id)  # type: ignore[attr-defined]
        return real(c, cfg)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "classify", counting)
    first = env.poll(t(11, 25, 9))
    assert len(seen) == 1 and first.decisions
    seen.clear()
    warm = env.poll(t(11, 25, 10))
    assert seen == [] and warm.tracking == first.tracking
    env.reply(t(11, 25, 11))
    again = env.poll(t(11, 25, 12))
    assert len(seen) == 1 and again.decisions[0].tracked_because == first.decisions[0].tracked_because
