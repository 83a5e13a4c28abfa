"""The drafts in the mailbox, described: ours (for which step and round) or the user's, and edited or not.

:func:`describe_draft` is pure; :func:`describe_drafts` is the poll's load step
for them, which parses only drafts not seen before (descriptions are cached in
the state by a hash of the draft's bytes, so an edit is always parsed afresh).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from agent.backends.base import Mailbox
from agent.model import DraftInfo, RawMessage
from agent.store import DescribedDrafts, DraftDescription, Store

__all__ = ["ExistingDraft", "describe_draft", "describe_drafts"]


@dataclass(frozen=True)
class ExistingDraft:
    """One draft in the mailbox: ``marker`` holds our ``X-Followup-Agent`` fields (empty for the
    user's own drafts), ``refs`` the Message-IDs it answers, ``fingerprint`` its content's."""

    info: DraftInfo
    message_id: str
    marker: dict[str, str]
    refs: frozenset[str]
    fingerprint: str


def describe_draft(d: DraftInfo) -> ExistingDraft:
    """What one draft is, read from its bytes."""
    # imported here: only a draft not seen before is parsed, and most polls see none
    from agent.drafts import fingerprint
    from agent.mail.parse import parse_message

    msg = parse_message(RawMessage(id=d.id, folder="drafts", data=d.data, thread_hint=d.thread_hint))
    marker = {}
    if msg.marker:
        for part in msg.marker.split(";"):
            k, _, v = part.strip().partition("=")
            if k:
                marker[k] = v
    refs = frozenset((*msg.in_reply_to, *msg.references))
    return ExistingDraft(d, msg.message_id, marker, refs, fingerprint(d.data))


def describe_drafts(mailbox: Mailbox, store: Store) -> list[ExistingDraft]:
    """Every draft in the mailbox, described, parsing only the drafts not seen before.

    Descriptions are kept by a hash of the draft's bytes, and by draft id, which
    the mailbox is given as "seen": a backend whose ids name unchanging bytes
    (IMAP) then lists those drafts without fetching them again.
    """
    known = store.caches.described_drafts()
    cache = known.by_digest
    ids = {i: h for i, h in known.by_id.items() if h in cache}
    drafts = mailbox.drafts(seen=ids.keys())
    if any(d.seen and d.id not in ids for d in drafts):  # a backend answering a question not asked
        drafts = mailbox.drafts()
    out: list[ExistingDraft] = []
    fresh: dict[str, DraftDescription] = {}
    fresh_ids: dict[str, str] = {}
    for d in drafts:
        digest = ids[d.id] if d.seen else hashlib.sha256(d.data).hexdigest()
        hit = cache.get(digest)
        if hit is None:
            described = describe_draft(d)
            hit = DraftDescription(described.message_id, described.marker, described.refs, described.fingerprint)
        fresh[digest] = hit
        fresh_ids[d.id] = digest
        out.append(ExistingDraft(d, hit.message_id, dict(hit.marker), hit.refs, hit.fingerprint))
    if fresh.keys() != cache.keys() or fresh_ids != ids:
        store.caches.save_described_drafts(DescribedDrafts(fresh, fresh_ids))
    return out
