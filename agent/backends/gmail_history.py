"""What Gmail's ``history.list`` records say happened since a history id (pure: dicts in, dicts out).

The Gmail backend's incremental sync pages through the records and hands
each to :meth:`HistoryReader.read`; what comes out is, per message id, the
latest of "changed" (its headers are read again) and "removed", and whether
the drafts changed (then they are listed again instead of taken from the
cursor's snapshot). The rules:

* a message added with the ``DRAFT`` label is a draft, not mail: only the
  drafts changed; added to spam or trash: removed; else: changed;
* a message deleted: removed (and the drafts changed when it was one of
  theirs);
* a label added or removed: the drafts changed when ``DRAFT`` is involved
  or the message is a draft; spam or trash added: removed; any other
  meaningful label (not read/unread, stars, importance or categories):
  changed. Labels that mean nothing to the pipeline read nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["CHAT", "DRAFT", "GONE", "SPAM", "TRASH", "HistoryReader", "meaningful"]

DRAFT, SPAM, TRASH, CHAT = "DRAFT", "SPAM", "TRASH", "CHAT"
#: labels that take a message out of the mailbox the agent reads
GONE = frozenset({SPAM, TRASH})
_NOISE = frozenset({"UNREAD", "STARRED", "IMPORTANT"})


def meaningful(label_id: str) -> bool:
    """Whether a label says something to the pipeline (not read/unread, stars, categories)."""
    return label_id not in _NOISE and not label_id.startswith("CATEGORY_")


class HistoryReader:
    """Reads history records in order (see the module docstring).

    ``draft_mids``: the message ids of the drafts in the cursor's snapshot;
    ``drafts_dirty``: the drafts must be listed again whatever the records
    say (the cursor had no snapshot).
    """

    def __init__(self, draft_mids: Collection[str], drafts_dirty: bool) -> None:
        self.draft_mids = frozenset(draft_mids)
        self.drafts_dirty = drafts_dirty
        #: message id -> "changed" | "removed", the latest record wins
        self.events: dict[str, str] = {}

    def read(self, record: Mapping[str, Any]) -> None:
        """One record: its added messages, deleted messages, then label changes."""
        for item in record.get("messagesAdded", ()):
            self._added(item.get("message", {}))
        for item in record.get("messagesDeleted", ()):
            self._deleted(item.get("message", {}))
        for key in ("labelsAdded", "labelsRemoved"):
            for item in record.get(key, ()):
                self._relabelled(item, added=key == "labelsAdded")

    def ids(self, what: str) -> list[str]:
        """The message ids whose latest event is ``what``, in the order first seen."""
        return [m for m, event in self.events.items() if event == what]

    def _added(self, msg: Mapping[str, Any]) -> None:
        labels = set(msg.get("labelIds", ()))
        if DRAFT in labels:
            self.drafts_dirty = True
        else:
            self.events[msg["id"]] = "removed" if labels & GONE else "changed"

    def _deleted(self, msg: Mapping[str, Any]) -> None:
        if msg["id"] in self.draft_mids or DRAFT in msg.get("labelIds", ()):
            self.drafts_dirty = True
        self.events[msg["id"]] = "removed"

    def _relabelled(self, item: Mapping[str, Any], *, added: bool) -> None:
        msg = item.get("message", {})
        changed = set(item.get("labelIds", ()))
        if DRAFT in changed or DRAFT in msg.get("labelIds", ()) or msg["id"] in self.draft_mids:
            self.drafts_dirty = True
        if added and changed & GONE:
            self.events[msg["id"]] = "removed"
        elif any(meaningful(label) for label in changed):
            self.events[msg["id"]] = "changed"
