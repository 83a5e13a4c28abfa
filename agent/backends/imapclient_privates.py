"""Every use of imapclient's private parts, in one place.

imapclient has no public way to do four things the IMAP backend needs, so
these reach under it, into its ``_imap`` (the ``imaplib.IMAP4`` it wraps)
and its helpers. They were written against imapclient 4.1 (pyproject.toml
pins the 4.x line): a new major version is read here first.

* The cold sync's header scan sends its ``UID FETCH`` and reads the reply
  straight off the connection (:mod:`agent.backends.imap_wire`: imaplib's
  line-by-line reading costs several times what the server takes).
* QRESYNC's ``UID FETCH ... (CHANGEDSINCE m VANISHED)``: imapclient's
  ``fetch`` has no VANISHED modifier and drops the untagged ``VANISHED``
  responses that answer it.
* ``LIST (SPECIAL-USE)`` (RFC 6154): servers that show the attributes only
  when asked; ``list_folders`` cannot ask, ``_proc_folder_list`` reads the
  rows as ``list_folders`` would.
* Leaving a folder on a server without UNSELECT: imapclient tracks no
  selection state of its own, imaplib's ``state`` is the only record.
"""

from __future__ import annotations

from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from agent.backends.imap_wire import read_uid_fetch, send_uid_fetch, uid_fetch

__all__ = ["allow_long_lines", "changed_since_raw", "forget_selection", "is_selected", "list_special_use", "uid_fetch_raw",
           "uid_fetch_read", "uid_fetch_send"]


#: the longest response line accepted: a ``UID SEARCH ALL`` of 250,000 messages is about 1.7 MB
LONGEST_LINE = 64 * 1024 * 1024


def allow_long_lines() -> None:
    """Let imaplib read response lines up to :data:`LONGEST_LINE`.

    Why: imaplib refuses any line over 1,000,000 bytes (``_MAXLINE``, module-wide, a guard
    against a runaway server), and the answer to ``UID SEARCH ALL`` is one line: a folder of
    more than about 140,000 messages could not be listed at all. Raised, never lowered, when
    a connection is made (not at import)."""
    import imaplib

    imaplib._MAXLINE = max(imaplib._MAXLINE, LONGEST_LINE)  # type: ignore[attr-defined]


def uid_fetch_raw(c: IMAPClient, uid_set: str, items: str) -> list[Any]:
    """``UID FETCH uid_set (items)``, read by :func:`agent.backends.imap_wire.uid_fetch`."""
    return uid_fetch(c._imap, uid_set, items)


def uid_fetch_send(c: IMAPClient, uid_set: str, items: str) -> bytes:
    """Send ``UID FETCH uid_set (items)``, its reply to be read later (imap_wire.send_uid_fetch)."""
    return send_uid_fetch(c._imap, uid_set, items)


def uid_fetch_read(c: IMAPClient, tag: bytes) -> list[Any]:
    """The reply to a command :func:`uid_fetch_send` sent (imap_wire.read_uid_fetch)."""
    return read_uid_fetch(c._imap, tag)


def changed_since_raw(c: IMAPClient, last: int, modseq: int) -> tuple[list[Any], list[Any]]:
    """QRESYNC over UIDs ``1:last``: (the FETCH data of changed messages, the VANISHED lines)."""
    imap = c._imap
    imap.untagged_responses.pop("VANISHED", None)
    typ, data = imap.uid("FETCH", f"1:{last}", "(UID FLAGS)", f"(CHANGEDSINCE {modseq} VANISHED)")
    if typ != "OK":
        raise IMAPClientError(f"UID FETCH CHANGEDSINCE failed: {data!r}")
    return [d for d in data if d is not None], list(imap.untagged_responses.pop("VANISHED", []))


def list_special_use(c: IMAPClient) -> list[tuple[Any, Any, Any]]:
    """``LIST (SPECIAL-USE) "" "*"`` as ``list_folders`` rows (flags, delimiter, name); [] on NO."""
    imap = c._imap
    typ, data = imap._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
    if typ != "OK":
        return []
    typ, data = imap._untagged_response(typ, data, "LIST")
    return list(c._proc_folder_list(data))


def is_selected(c: IMAPClient) -> bool:
    """Whether a folder is selected on this connection."""
    return bool(c._imap.state == "SELECTED")


def forget_selection(c: IMAPClient) -> None:
    """Record that no folder is selected (after a failed EXAMINE deselected it, RFC 3501 6.3.1)."""
    c._imap.state = "AUTH"
