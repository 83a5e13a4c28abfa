"""Facts remembered between polls (agent/facts_cache.py) and the engine's use of them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent import facts_cache
from agent.facts import (
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
from agent.signals import events, tracking
from agent.signals.events import extract_facts
from agent.signals.tracking import classify
from agent.store import CachedFacts, Caches, Store
from tests.helpers import ME, conv, make_config, msg, t

ACME = "ann.park@acme.com"
ACME_OTHER = msg("bo@globex.com", "Interview for the Data Engineer role", "Could we meet next week?",
                 t(11, 24, 10), mid="g1")


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
    cache = facts_cache.FactsCache({}, config)
    found = cache.facts(c1, lambda: extract_facts(c1, config))
    [row], _ = cache.changes()
    assert row.facts is not None and '"human_reply"' in row.facts
    calls: list[int] = []
    elsewhere = replace(row, facts=row.facts.replace('"human_reply"', '"a_kind_from_elsewhere"'))
    again = facts_cache.FactsCache({"c-1": elsewhere}, config)
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
    cache = facts_cache.FactsCache({}, config)
    fresh = cache.facts(c1, lambda: extract(c1))
    put, drop = cache.changes()
    assert [r.conversation for r in put] == ["c-1"] and not drop and fresh
    again = facts_cache.FactsCache({r.conversation: r for r in put}, config)
    assert again.facts(c1, lambda: extract(c1)) == fresh and len(calls) == 1
    assert again.changes() == ([], set())  # nothing changed: nothing to write
    c2 = conv(first, mine, cid="c-1")  # the user answered: extracted again
    assert again.facts(c2, lambda: extract(c2)) == extract_facts(c2, config) and len(calls) == 2


def test_another_setting_or_a_damaged_row_starts_afresh(tmp_path: Path) -> None:
    config = make_config()
    first, _ = _thread()
    c1 = conv(first, cid="c-1")
    with Store.open(tmp_path / "s.db") as store:
        cache = facts_cache.load(store, config)
        cache.facts(c1, lambda: extract_facts(c1, config))
        facts_cache.save(store, cache)
        other = make_config(account={"timezone": "Europe/Berlin"})
        assert facts_cache.config_key(other) != cache.key
        calls: list[int] = []
        facts_cache.load(store, other).facts(c1, lambda: calls.append(1) or extract_facts(c1, other))  # type: ignore[func-returns-value]
        [row] = store.caches.facts(cache.key).values()
        for text in ("{not json", "5", '[["interview"]]'):
            damaged = facts_cache.FactsCache({"c-1": replace(row, facts=text)}, config)
            damaged.facts(c1, lambda: calls.append(1) or extract_facts(c1, config))  # type: ignore[func-returns-value]
        assert len(calls) == 4
        assert facts_cache.load(store, config).facts(c1, lambda: calls.append(1) or [])  # type: ignore[func-returns-value]
        assert len(calls) == 4  # the intact row is still remembered


def test_conversations_no_longer_asked_about_are_dropped() -> None:
    config = make_config()
    first, mine = _thread()
    a, b = conv(first, cid="c-a"), conv(mine, cid="c-b")
    cache = facts_cache.FactsCache({}, config)
    cache.facts(a, lambda: extract_facts(a, config))
    cache.facts(b, lambda: extract_facts(b, config))
    put, _ = cache.changes()
    later = facts_cache.FactsCache({r.conversation: r for r in put}, config)
    later.facts(a, lambda: extract_facts(a, config))
    assert later.changes() == ([], {"c-b"})  # c-a unchanged: not written again; c-b forgotten


def test_a_poll_writes_only_the_rows_it_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config()
    first, mine = _thread()
    a, b = conv(first, cid="c-a"), conv(ACME_OTHER, cid="c-b")
    with Store.open(tmp_path / "s.db") as store:
        cache = facts_cache.load(store, config)
        for c in (a, b):
            cache.tracking(c, lambda c=c: classify(c, config))
            cache.facts(c, lambda c=c: extract_facts(c, config))
        facts_cache.save(store, cache)
        kept = store.caches.facts(cache.key)
        assert set(kept) == {"c-a", "c-b"} and all(r.facts and r.tracking for r in kept.values())
        writes: list[str] = []
        real = Caches.save_facts

        def counted(self: Caches, key: str, put: Iterable[CachedFacts], drop: Iterable[str] = ()) -> None:
            put = list(put)
            writes.extend(f.conversation for f in put)
            real(self, key, put, drop)

        monkeypatch.setattr(Caches, "save_facts", counted)
        warm = facts_cache.load(store, config)
        for c in (a, b):
            warm.tracking(c, lambda: pytest.fail("remembered"))
            warm.facts(c, lambda: pytest.fail("remembered"))
        facts_cache.save(store, warm)
        assert writes == []  # nothing changed: nothing written
        a2 = conv(first, mine, cid="c-a")  # the user answered in c-a
        again = facts_cache.load(store, config)
        again.tracking(a2, lambda: classify(a2, config))
        again.facts(a2, lambda: extract_facts(a2, config))
        again.tracking(b, lambda: pytest.fail("remembered"))
        facts_cache.save(store, again)
        assert writes == ["c-a"]  # only the conversation that changed is written
        now = store.caches.facts(cache.key)
        assert now["c-b"] == kept["c-b"] and now["c-a"].signature == facts_cache.signature(a2) != kept["c-a"].signature


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
    real = events.extract_facts

    def counting(c: object, cfg: object) -> list[Fact]:
        seen.append(c.id)  # type: ignore[attr-defined]
        return real(c, cfg)  # type: ignore[arg-type]

    monkeypatch.setattr(events, "extract_facts", counting)  # agent.reading imports it when it reads
    first = env.poll(t(11, 25, 9))
    assert len(seen) == 2
    seen.clear()
    warm = env.poll(t(11, 25, 10))
    assert seen == [] and [d.state for d in warm.decisions] == [d.state for d in first.decisions]
    env.reply(t(11, 25, 11))
    env.poll(t(11, 25, 12))
    assert len(seen) == 1  # only the conversation that got a message
    with Store.open(env.config.state.path) as store:
        assert store.caches.facts(facts_cache.config_key(env.config))


def test_the_tracking_verdict_is_remembered_like_the_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Weighing the tracking rules is done again only for a conversation whose mail changed."""
    from tests.test_engine import Env

    env = Env(tmp_path)
    seen: list[str] = []
    real = tracking.classify

    def counting(c: object, cfg: object) -> object:
        seen.append(c.id)  # type: ignore[attr-defined]
        return real(c, cfg)  # type: ignore[arg-type]

    monkeypatch.setattr(tracking, "classify", counting)  # agent.reading imports it when it weighs
    first = env.poll(t(11, 25, 9))
    assert len(seen) == 1 and first.decisions
    seen.clear()
    warm = env.poll(t(11, 25, 10))
    assert seen == [] and warm.tracking == first.tracking
    env.reply(t(11, 25, 11))
    again = env.poll(t(11, 25, 12))
    assert len(seen) == 1 and again.decisions[0].tracked_because == first.decisions[0].tracked_because
