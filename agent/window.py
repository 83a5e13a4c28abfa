"""The first-sync window (``mailbox.lookback_days``), and which referenced messages it leaves out.

A first sync (and any full resync) lists only the mail of the last ``lookback_days`` days, so a
mailbox of 500,000 messages costs what its recent months cost. Later polls take every new message
whatever its date (a late delivery is new by UID or file name, not by its Date). A conversation
that started before the window and goes on inside it stays whole: :func:`missing_references`
names the earlier messages a message in the window points at and the store lacks, and the backend
fetches those by Message-ID (``Mailbox.fetch_by_message_id``), a bounded number per poll.

Pure: ``now`` is passed in, nothing here reads a clock, a file or the network.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from agent.model import Message

__all__ = ["MAX_REFERENCED", "Window", "imap_since", "in_window", "missing_references", "window_of"]

#: referenced messages fetched by Message-ID in one poll at most (the rest wait for the next poll's
#: new mail to ask again); a thread's References list rarely names more than a dozen
MAX_REFERENCED = 200


@dataclass(frozen=True)
class Window:
    """The window a full sync lists: ``days`` as configured (0: no window) and where it starts.

    A backend records ``days`` in its cursor: a cursor made with another window means a full
    resync (``start`` slides with the clock and is not recorded)."""

    days: int
    start: datetime | None  # aware; None when there is no window

    @property
    def open(self) -> bool:
        """True when there is no window: everything is listed."""
        return self.start is None


NO_WINDOW = Window(0, None)


def window_of(now: datetime, days: int) -> Window:
    """The window ``days`` back from ``now`` (0: none)."""
    if days <= 0:
        return NO_WINDOW
    return Window(days, now - timedelta(days=days))


def imap_since(window: Window) -> date | None:
    """The date for IMAP ``SEARCH SINCE``: one day before the window starts.

    ``SINCE`` compares the server's internal date, a whole day in the server's time zone, which
    may be a day off the user's; the spare day makes sure nothing inside the window is missed (a
    day too much costs a few messages, a day too little loses one)."""
    if window.start is None:
        return None
    return (window.start - timedelta(days=1)).date()


def in_window(when: datetime | None, window: Window) -> bool:
    """Whether a message dated ``when`` belongs to the first sync. A message without a readable
    date is taken: leaving out a message the user may need is worse than reading one more."""
    return window.start is None or when is None or when >= window.start


def missing_references(added: Iterable[Message], known: Callable[[Collection[str]], Collection[str]],
                       limit: int = MAX_REFERENCED) -> tuple[str, ...]:
    """The Message-IDs the ``added`` messages refer to (In-Reply-To, References) that neither
    they nor the store hold, newest reference first, at most ``limit``.

    ``known(ids)`` answers which of ``ids`` the store holds. A thread whose first message is in
    the window refers to nothing missing, so it costs nothing; only a conversation that started
    before the window asks for its earlier messages. Only the messages of this poll are asked
    about, so an id the mailbox does not hold (a reply to mail the user never had) is asked for
    once, not at every poll."""
    added = list(added)
    own = {m.message_id for m in added}
    wanted: dict[str, None] = {}
    for m in added:
        # In-Reply-To first, then References from the newest end: the nearest ancestors matter most
        for ref in (*m.in_reply_to, *reversed(m.references)):
            if ref and ref not in own:
                wanted.setdefault(ref, None)
    if not wanted:
        return ()
    held = set(known(list(wanted)))
    return tuple(r for r in wanted if r not in held)[:limit]
