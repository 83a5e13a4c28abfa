"""A poll that finds nothing new and nothing due answers from the last poll's record.

Why: most polls find nothing. Run as a fresh process (``poll --once`` from a
timer or by hand), such a poll spent most of its time starting up: importing
the engine and the pipeline behind it, loading the holiday tables, deciding
every conversation again, all to reach the answer the last poll gave. Here it
logs in, asks the mailbox for its fingerprint (IMAP: INBOX examined, one STATUS per other folder),
and when nothing can have changed it answers with the last poll's status
without importing any of that.

Nothing can have changed when all of these hold:

* a quick record stands: the last real poll had nothing to do (an empty plan),
  and nothing wrote to the state since (a trigger on every table deletes the
  record: a mark, a snooze, a closed conversation, a draft's story; see
  agent/store_schema.py);
* the config is the same, setting by setting, and so is the agent's version
  (:func:`config_key`);
* the mailbox's fingerprint is the record's (agent/backends/base.py
  ``Fingerprinted``): no mail came or went in the folders read, no draft was
  added, removed, rewritten or flagged;
* ``now`` is not before the record's moment, and before the moment its answer
  holds until: the earliest ``changes_at`` of its decisions (a step falling
  due, an interview starting or ending, moving on; agent/policy.py) and the
  next time the server's aliases are asked. And at most :data:`HOLDS_AT_MOST`
  after it, so that whatever this list forgot, a whole poll runs every day.

When all of these hold except that mail came or went (the drafts' part of the
fingerprint is the record's), the poll is :class:`Near` the record: the engine
reads what changed, as any poll does, and when none of it reaches a candidate
conversation (:func:`reaches_no_candidate`: no candidate's message came again
or went, and threading gives the same candidates, message for message) the
decisions are the record's, since everything they are made of is as it was:
the candidates and their bodies, the user's controls, the ledger, the drafts,
the config and the moment. The poll then keeps the record's answer
(:func:`keep`), and does not import, read, decide or plan anything more. Most
new mail is not the job search, so this is most polls that find something.

A dry run never answers from here: it is for looking, so it runs everything.
``poll --full`` skips the check. Pure, apart from the store and the mailbox it
is handed.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from agent import __version__
from agent.backends.base import Fingerprint, Fingerprinted, Mailbox
from agent.config import Config
from agent.model import ChangeSet, Conversation
from agent.poll_result import PollResult
from agent.store import CachedConversation, QuickRecord, Store

__all__ = ["HOLDS_AT_MOST", "Near", "answer", "config_key", "fingerprint_of", "keep", "reaches_no_candidate",
           "remember"]

#: the longest a quick record is trusted: a whole poll runs at least this often
HOLDS_AT_MOST = timedelta(days=1)


def config_key(config: Config) -> str:
    """Every setting of ``config`` and the agent's version, as one canonical text: any change
    to either makes the next poll a whole one. Kept whole rather than hashed: comparing a few
    kilobytes costs nothing, where importing hashlib's OpenSSL binding costs a fresh process
    2 ms. (The config holds no secret: passwords come from the credentials, the keyring or a
    command at login; the state file is private to the user, 0600.)"""
    return json.dumps([__version__, _plain(config)], sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data that is the same in every process (sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(json.dumps(_plain(v), sort_keys=True) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return f"{type(value).__name__}:{value}"


def fingerprint_of(mailbox: Mailbox) -> Fingerprint | None:
    """The mailbox's fingerprint, or None when its backend cannot give one cheaply."""
    return mailbox.fingerprint() if isinstance(mailbox, Fingerprinted) else None


@dataclasses.dataclass(frozen=True)
class Near:
    """A quick record that stands except that mail came or went since (see the module): the
    engine keeps its answer when the new mail reaches no candidate conversation."""

    record: QuickRecord
    #: the mailbox's fingerprint now, taken before the poll reads anything
    fingerprint: Fingerprint


def answer(config: Config, now: datetime, store: Store, fingerprint: Fingerprint | None
           ) -> PollResult | Near | None:
    """The last poll's answer when nothing can have changed since (see the module); :class:`Near`
    when only mail came or went; else None."""
    t0 = time.perf_counter()  # for the figures in ``stats`` only, as the engine's laps
    rec = store.load_quick()
    if rec is None or fingerprint is None or not _holds(rec, config, now):
        return None
    kept = Fingerprint.of_text(rec.fingerprint)
    if kept is None or kept.drafts != fingerprint.drafts:
        return None
    if kept.whole != fingerprint.whole:
        return Near(rec, fingerprint)
    return _answer(rec, config, store, now, {"quick": True, "added": 0, "removed": 0}, t0)


def _answer(rec: QuickRecord, config: Config, store: Store, now: datetime, stats: dict[str, Any], t0: float
            ) -> PollResult | None:
    """The record's answer at ``now``: the last whole poll's status, as its snapshot holds it
    (None when the snapshot is not the record's)."""
    snap = store.load_snapshot()
    if snap is None or len(snap.tracked) != rec.tracked:
        return None
    stats.update(unchanged_since=rec.at.isoformat(), holds_until=rec.until.isoformat() if rec.until else None,
                 seconds=round(time.perf_counter() - t0, 3))
    return PollResult(now, [], [], True, stats, status=list(snap.tracked), config=config,
                      possible=list(snap.possible), steady_until=rec.until)


def _holds(rec: QuickRecord, config: Config, now: datetime) -> bool:
    until = min(rec.until or rec.at + HOLDS_AT_MOST, rec.at + HOLDS_AT_MOST)
    return rec.at <= now < until and rec.config == config_key(config)


def reaches_no_candidate(before: Sequence[CachedConversation] | None, changes: ChangeSet,
                         after: Sequence[Conversation]) -> bool:
    """Whether the mail that came or went (``changes``) left the candidates as they were: none
    of their messages came again (a flag or label changed) or went, and threading gives the
    same candidates, message for message (``before``: the last poll's, as the state kept
    them; ``after``: this poll's). A full sync, or no candidates kept, reaches everything."""
    if before is None or changes.full:
        return False
    held = {i for c in before for i in c.message_ids}
    if any(r.id in held for r in changes.added) or not held.isdisjoint(changes.removed):
        return False
    return sorted((c.id, c.message_ids) for c in before) == sorted(
        (c.id, tuple(m.id for m in c.messages)) for c in after)


def keep(near: Near, config: Config, store: Store, backend: str, cursor: str | None, now: datetime,
         stats: dict[str, Any]) -> PollResult | None:
    """After a sync whose mail reached no candidate: the record's answer, and the new cursor
    and the record kept with the mailbox's new fingerprint (its moment and its limits as they
    were, so that a whole poll still runs at least every :data:`HOLDS_AT_MOST`). None, with
    nothing written, when the state no longer holds that answer (the engine then goes on)."""
    t0 = time.perf_counter()
    rec = dataclasses.replace(near.record, fingerprint=near.fingerprint.text)
    result = _answer(rec, config, store, now, {"quick": "kept", **stats}, t0)
    if result is not None:
        with store.transaction():  # the cursor's write deletes the record (a trigger): both or neither
            store.set_cursor(backend, cursor)
            store.save_quick(rec)
    return result


def remember(config: Config, store: Store, result: PollResult, fingerprint: Fingerprint | None) -> bool:
    """After a whole poll: keep its answer for the next, when it had nothing to do (no action,
    nothing the user was told, no label left unset) and the mailbox gave a fingerprint, taken
    before the poll read anything (so mail that came meanwhile shows as a change next time).
    A poll that kept the last record's answer (:func:`keep`) has kept the record already."""
    idle = result.applied and not result.plan and not result.notices and "label_error" not in result.stats
    if not idle or fingerprint is None or result.stats.get("quick"):
        return False
    store.save_quick(QuickRecord(result.now, result.steady_until, config_key(config), fingerprint.text,
                                 len(result.status)))
    return True
