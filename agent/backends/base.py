"""The mailbox protocol: the only thing the engine knows about mail storage.

It is shaped by the hardest backend (IMAP), not the easiest:

* ``changes(cursor)`` returns what is new or gone since an opaque cursor the
  backend made earlier (Maildir: file names; IMAP: UIDVALIDITY/UID/MODSEQ per
  folder; Gmail: historyId). A cursor the backend no longer honours yields a
  full resync (``ChangeSet.full``). Messages may come as header blocks only.
* A first sync (and any full resync) lists only the mail inside the ``window`` it is given
  (``mailbox.lookback_days``, agent/window.py); later syncs take every new message whatever
  its date. The cursor records the window's length: another window means a full resync.
  ``fetch_by_message_id`` finds the older messages a conversation inside the window refers to.
* A backend may also offer :class:`StreamingMailbox`: the same answer, but a full sync's
  messages handed over in batches as they arrive (IMAP: one per header FETCH), so the caller
  parses and stores each and drops it instead of holding the whole mailbox's header blocks.
* ``fetch(ids)`` returns the full bytes of the few messages whose text the
  signals need (a backend may leave out large non-text parts).
* ``drafts()`` lists the drafts that exist now; ``create_draft`` and
  ``delete_draft`` are the only writes the agent ever makes. There is no send.

Reading never changes mail: no flags, no moves, read-only selects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from agent.model import ChangeSet, DraftInfo, RawMessage
from agent.window import Window

#: The header fields the parser and the signals read: what a backend must deliver in the
#: header blocks of ``changes`` (IMAP fetches exactly these; Gmail asks for them as metadata).
HEADER_FIELDS = (
    "From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
    "References", "Content-Type", "Auto-Submitted", "X-Autoreply", "X-Autorespond",
    "Precedence", "List-Id", "List-Unsubscribe", "X-Failed-Recipients", "Feedback-ID",
    "X-Followup-Agent",
)


# the Message-ID field at the start of a line, its value perhaps folded onto the next one
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(?:\r?\n[ \t]+)?(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def message_id_of(data: bytes) -> str | None:
    """The Message-ID of a draft the agent composed, or None: how a backend finds a draft it
    may have stored before a connection was lost, instead of storing it twice."""
    header = _HEADER_END.split(data, maxsplit=1)[0]
    found = _MESSAGE_ID.search(header)
    return found[1].decode("ascii", "replace") if found else None


def keywords(flags: Iterable[str]) -> frozenset[str]:
    """The keywords among a message's IMAP flags (``Follow-up/Pause``, ``$Label1``): the labels a
    user sets on a server that has no labels, which every backend hands over in
    ``RawMessage.labels`` (system flags such as ``\\Seen`` are not labels)."""
    return frozenset(f for f in flags if len(f) > 1 and not f.startswith("\\"))


@runtime_checkable
class BatchDrafter(Protocol):
    """Optional: a mailbox that saves several drafts in one request (IMAP MULTIAPPEND, RFC 3502).

    Why: a first poll writes a draft for every conversation that is owed one (60 at 20,000
    messages), and one APPEND each waits for the server's answer each time (about 1.6 ms
    apiece on a local Dovecot); one MULTIAPPEND saves them all at once, or none.
    """

    def create_drafts(self, drafts: Sequence[tuple[bytes, str | None]]) -> list[str] | None:
        """As :meth:`Mailbox.create_draft` for each ``(data, thread_hint)``, in one request;
        returns their ids in the same order, or None (nothing saved) when this server cannot
        save several at once: the caller then saves each on its own."""
        ...


@runtime_checkable
class Labeller(Protocol):
    """Optional: a mailbox that can put a label (Gmail) or keyword (IMAP) on messages.

    The agent uses it only for its own ``Follow-up/Queued`` label, when the user
    turned labels on, and only ever removes a label it set itself.
    """

    def set_label(self, ids: Sequence[str], label: str, present: bool) -> None:
        """Add (``present``) or remove ``label`` on these message ids; gone ids are skipped."""
        ...


@runtime_checkable
class AliasSource(Protocol):
    """Optional: a mailbox that knows other addresses of the user (Gmail's ``sendAs``).

    The answer joins ``account.addresses`` in the user's identity
    (agent/identity.py), so a message sent from an alias is the user's own.
    """

    def aliases(self) -> tuple[str, ...]:
        """The user's other addresses, lower-case."""
        ...


class BatchSink(Protocol):
    """Where :meth:`StreamingMailbox.stream_changes` puts a full sync's messages."""

    def begin(self) -> None:
        """A full listing starts, or starts again after a lost connection: forget the batches
        given so far (they may name messages that are gone by now)."""
        ...

    def add(self, batch: Sequence[RawMessage]) -> None:
        """One batch of mail (never a draft), in the terms of ``ChangeSet.added``."""
        ...


class Fingerprint(NamedTuple):
    """What :meth:`Fingerprinted.fingerprint` answers: two texts, each the same while nothing
    it covers changes. Equal texts promise that nothing covered changed; unequal ones only
    that something may have.

    Why two: most new mail is not the job search (agent/quick_poll.py reads only what came
    when the drafts are as they were, and keeps the last answer when the new mail reaches no
    candidate conversation); the drafts must be read whole again after any change to them.
    """

    #: everything a poll reads: the folders read (which they are, their messages, and the
    #: flags or labels a sync would notice) and the drafts
    whole: str
    #: the drafts alone: one added, gone, rewritten or flagged deleted. A backend that cannot
    #: tell them apart cheaply answers ``whole`` here too (any change then counts as theirs)
    drafts: str

    @property
    def text(self) -> str:
        """Both, as the state keeps them."""
        return json.dumps(list(self))

    @classmethod
    def of_text(cls, text: str) -> Fingerprint | None:
        """The fingerprint kept as ``text``, or None for a text of another shape."""
        try:
            whole, drafts = json.loads(text)
        except (ValueError, TypeError):
            return None
        return cls(whole, drafts) if isinstance(whole, str) and isinstance(drafts, str) else None


@runtime_checkable
class Fingerprinted(Protocol):
    """A mailbox that can tell cheaply whether anything a poll reads may have changed
    (agent/quick_poll.py: a poll that finds nothing new and nothing due skips the engine)."""

    def fingerprint(self) -> Fingerprint:
        """The mailbox's :class:`Fingerprint`, taken in one go (IMAP: INBOX examined, one STATUS per other folder)."""
        ...


@runtime_checkable
class StreamingMailbox(Protocol):
    """Optional: a mailbox that hands a full sync's messages over in batches as they arrive.

    Why: a cold sync of a large mailbox held every header block at once (100,000 messages,
    over 300 MB); in batches, each is parsed, written down and dropped. The Maildir, Gmail API
    and memory backends list their changes whole (``changes``), which the engine accepts too.
    """

    def stream_changes(self, cursor: str | None, window: Window | None, sink: BatchSink) -> ChangeSet:
        """As :meth:`Mailbox.changes`, except that when the answer is a full sync its messages
        go to ``sink`` (``begin`` first) and the ChangeSet's ``added`` is empty; an incremental
        answer leaves ``sink`` untouched and holds its messages in ``added`` as usual."""
        ...


@runtime_checkable
class Mailbox(Protocol):
    """A mail store the agent reads and drafts into."""

    #: short name for logs and ``status`` ("maildir", "imap", "gmail")
    name: str

    def changes(self, cursor: str | None, window: Window | None = None) -> ChangeSet:
        """New and removed messages since ``cursor`` (None: everything).

        A full sync lists only the messages inside ``window`` (None: no window); an
        incremental one every new message, whatever its date.

        What is handed over is already in the protocol's terms, so the engine
        decodes nothing backend-specific: ``added`` holds mail only (never a
        draft: :meth:`drafts` lists those, whatever flag or label marks them
        on the server), and ``RawMessage.labels`` holds every label the user
        can set, an IMAP server's keywords (``Follow-up/Pause``) included.
        ``RawMessage.flags`` are the server's flags as it reports them, for
        information only.
        """
        ...

    def fetch(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        """Full bytes for these ids; ids that no longer exist are left out."""
        ...

    def fetch_by_message_id(self, message_ids: Collection[str]) -> list[RawMessage]:
        """The header blocks (as ``changes`` hands them over) of the INBOX and Sent messages
        with these RFC Message-IDs (``<...>``); ids the mailbox does not hold are left out.

        How a conversation that started before the window stays whole (agent/window.py).
        """
        ...

    def drafts(self, seen: Collection[str] = ()) -> list[DraftInfo]:
        """Drafts in the Drafts folder now (the user's and the agent's).

        ``seen``: ids of drafts whose bytes the caller already has. A backend
        whose draft ids name unchanging content (IMAP: an edited draft is a new
        UID) may return those without ``data`` and with ``seen=True``; any
        other backend ignores the hint and always returns the bytes.
        """
        ...

    def create_draft(self, data: bytes, thread_hint: str | None = None) -> str:
        """Store ``data`` as a draft (threaded under ``thread_hint`` where the
        server has thread ids) and return its backend id."""
        ...

    def delete_draft(self, draft_id: str) -> None:
        """Remove one draft; a draft that is already gone is not an error."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
