"""The facts and the tracking verdict of each candidate conversation, remembered between polls.

Why: a poll decides every tracked conversation again (time passes, so a
follow-up can fall due with no new mail), but the *facts* of a conversation
(interviews, replies, stated timelines) only change when its messages do.
Extracting them runs every timeline rule over every body: on a warm poll with
nothing new it was the largest part of the engine's own time. So they are
kept in the state, keyed by a signature of the conversation's messages, and
extracted again only for conversations whose messages changed, or when the
settings they depend on or the agent's version change. The tracking verdict
(agent/signals/tracking.py, with the company's name) depends on nothing else
either, and weighing a hundred rules over every candidate's text was most of
a warm poll's time once there were a few hundred candidates: it is kept the
same way.

Each conversation is one row of the state's ``facts`` table
(:meth:`agent.store_caches.Caches.facts`): its signature, and its facts and
verdict as JSON text that only this module writes and reads. A fact is stored
as the name of its kind and its fields, whose values keep their types (aware
datetimes with their zone, dates, tuples, a stated deadline). A poll writes
only the rows of conversations it extracted again, and drops those it no
longer asked about.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from agent import __version__
from agent.config import Config
from agent.facts import FACT_TYPES, Deadline, Evidence, Fact
from agent.model import Conversation
from agent.signals.cues import Cue
from agent.signals.verdict import Tracking
from agent.store_caches import CachedFacts

if TYPE_CHECKING:
    from agent.store import Store

# 2: messages carry their signature (facts may read it); 3: instructions read by structure;
# 4: the tracking verdict is kept too; 5: interviews agreed in words, said after the fact, or
# accepted by the user (agent.signals.interviews); 6: a fact's fields by its type (agent.model);
# 7: bounces, automatic replies, invitations and quoted text as real mail has them (issue 12)
_FORMAT = 7
_TYPES: dict[str, type[Fact]] = {t.kind: t for t in FACT_TYPES}


def config_key(config: Config) -> str:
    """What extraction depends on besides the mail: any change starts the cache afresh."""
    parts = (_FORMAT, __version__, repr(config.account), repr(config.policy), repr(config.recruiting))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def signature(conv: Conversation) -> str:
    """Changes whenever a message of ``conv`` comes, goes, or gains its body."""
    h = hashlib.sha256()
    for m in conv.messages:
        h.update(repr((m.id, m.message_id, m.has_body, m.folder, m.date, m.subject, len(m.text),
                       len(m.calendar), sorted(m.labels))).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:20]


class FactsCache:
    """Facts by conversation id, loaded from and saved to the state's facts table.

    ``stored``: the rows kept under this config's key (``Caches.facts``); each
    is decoded when its conversation is first asked about.
    """

    def __init__(self, stored: Mapping[str, CachedFacts], config: Config) -> None:
        self.key = config_key(config)
        self._stored = dict(stored)
        self._entries: dict[str, list[Any]] = {}
        self._changed: set[str] = set()
        self._used: set[str] = set()

    def _entry(self, conv: Conversation) -> list[Any]:
        """``[signature, facts or None, tracking or None]`` for ``conv``, fresh when its mail changed."""
        sig = signature(conv)
        self._used.add(conv.id)
        entry = self._entries.get(conv.id)
        if entry is None and conv.id in self._stored:
            entry = self._entries[conv.id] = _decoded(self._stored[conv.id])
        if not isinstance(entry, list) or len(entry) != 3 or entry[0] != sig:
            entry = self._entries[conv.id] = [sig, None, None]
        return entry

    def facts(self, conv: Conversation, extract: Callable[[], list[Fact]]) -> list[Fact]:
        """The facts of ``conv``: remembered when its messages are unchanged, else ``extract()``."""
        entry = self._entry(conv)
        if entry[1] is not None:
            try:
                return [_fact(f) for f in entry[1]]
            except (ValueError, KeyError, TypeError, IndexError):
                pass  # written by something else: extract again
        found = extract()
        entry[1] = [_doc(f) for f in found]
        self._changed.add(conv.id)
        return found

    def tracking(self, conv: Conversation, classify: Callable[[], Tracking]) -> Tracking:
        """The tracking verdict of ``conv``: remembered when its messages are unchanged."""
        entry = self._entry(conv)
        if entry[2] is not None:
            try:
                return _tracking(entry[2])
            except (ValueError, KeyError, TypeError, IndexError):
                pass
        verdict = classify()
        entry[2] = _tracking_doc(verdict)
        self._changed.add(conv.id)
        return verdict

    def changes(self) -> tuple[list[CachedFacts], set[str]]:
        """The rows to write (conversations extracted again) and the conversations to forget
        (not asked about by this poll): both empty when nothing changed."""
        put = [CachedFacts(cid, e[0], _text(e[1]), _text(e[2]))
               for cid, e in self._entries.items() if cid in self._changed]
        return put, (set(self._stored) | set(self._entries)) - self._used


def _decoded(row: CachedFacts) -> list[Any]:
    """A stored row as ``[signature, facts or None, tracking or None]``; text that does not
    decode reads as not remembered (extracted again)."""
    try:
        return [row.signature, None if row.facts is None else json.loads(row.facts),
                None if row.tracking is None else json.loads(row.tracking)]
    except ValueError:
        return [row.signature, None, None]


def _text(doc: list[Any] | None) -> str | None:
    return None if doc is None else json.dumps(doc, separators=(",", ":"))


# --- encoding ---------------------------------------------------------------------------


def _tracking_doc(t: Tracking) -> list[Any]:
    return [t.tracked, t.reason, t.company, t.message_id, t.possible, t.looks_like,
            [[c.kind, c.name, c.weight, c.message_id, c.quote] for c in t.cues]]


def _tracking(d: list[Any]) -> Tracking:
    tracked, reason, company, message_id, possible, looks_like, cues = d
    return Tracking(bool(tracked), str(reason), company, message_id, bool(possible), looks_like,
                    tuple(Cue(str(k), str(n), int(w), str(mid), str(q)) for k, n, w, mid, q in cues))


def _doc(f: Fact) -> list[Any]:
    ev = f.evidence
    fields = {x.name: _value(getattr(f, x.name)) for x in dataclasses.fields(f) if x.name not in ("at", "evidence")}
    return [f.kind, _value(f.at), [ev.message_id, ev.quote, _value(ev.date)], fields]


def _fact(d: list[Any]) -> Fact:
    kind, at, ev, fields = d
    return _TYPES[kind](_back(at), Evidence(ev[0], ev[1], _back(ev[2])), **{k: _back(v) for k, v in fields.items()})


def _value(v: Any) -> Any:
    if isinstance(v, datetime):
        tz = v.tzinfo
        zone = tz.key if isinstance(tz, ZoneInfo) else None
        return {"$dt": v.isoformat(), "zone": zone}
    if isinstance(v, date):
        return {"$d": v.isoformat()}
    if isinstance(v, Deadline):
        return {"$deadline": [v.last_day.isoformat(), v.phrase, v.tz]}
    if isinstance(v, tuple):
        return {"$t": [_value(x) for x in v]}
    if isinstance(v, list):
        return [_value(x) for x in v]
    if v is None or isinstance(v, str | int | float | bool):
        return v
    raise TypeError(f"a fact value of type {type(v).__name__} cannot be cached")


def _back(v: Any) -> Any:
    if isinstance(v, dict):
        if "$dt" in v:
            dt = datetime.fromisoformat(v["$dt"])
            return dt.astimezone(ZoneInfo(v["zone"])) if v.get("zone") else dt
        if "$d" in v:
            return date.fromisoformat(v["$d"])
        if "$t" in v:
            return tuple(_back(x) for x in v["$t"])
        if "$deadline" in v:
            last_day, phrase, tz = v["$deadline"]
            return Deadline(date.fromisoformat(last_day), phrase, tz)
        raise ValueError("unknown tagged value")
    if isinstance(v, list):
        return [_back(x) for x in v]
    return v


def load(store: Store, config: Config) -> FactsCache:
    return FactsCache(store.caches.facts(config_key(config)), config)


def save(store: Store, cache: FactsCache) -> None:
    """Write what this poll changed; a poll that extracted nothing and dropped nothing writes nothing."""
    put, drop = cache.changes()
    if put or drop:
        store.caches.save_facts(cache.key, put, drop)
