"""Reading one big ``UID FETCH`` reply straight off the connection.

Why this exists: imaplib reads a reply one line at a time through a stack of
Python calls and regular expressions per line (``_get_line``, ``_match``,
``_append_untagged``), and imapclient's general parser then walks every item
again. For a cold sync of 20,000 header blocks that reading costs several
times what Dovecot and the socket take together (measured: a plain reader
needs about 0.15 s for the 11 MB that imaplib takes about 0.9 s over). So the
header scan sends its command itself and reads the reply here, with one
``readline`` per response line and one ``read`` per literal.

The result has exactly the shape ``imaplib.IMAP4.uid("FETCH", ...)`` returns
(``b"12 (UID 5 ... {n}"`` + literal as a tuple, the rest of the line after
it as bytes), so everything downstream, imapclient's ``parse_fetch_response``
included, reads it unchanged.

:func:`read_reply` is pure over two callables (``readline`` and ``read``), so
the tests feed it transcripts; :func:`uid_fetch` ties it to an imaplib
connection through imaplib's documented ``send``/``readline``/``read``.
"""

from __future__ import annotations

import imaplib
import itertools
import re
from collections.abc import Callable
from typing import Any

# "* 12 FETCH (...)": the message number and what follows FETCH
_FETCH = re.compile(rb"\* (\d+) FETCH (.*)", re.IGNORECASE | re.DOTALL)
# a line that ends in a literal announcement: {123} (or the non-synchronizing {123+})
_LITERAL = re.compile(rb"\{(\d+)\+?\}$")

_tags = itertools.count(1)


class ReplyError(imaplib.IMAP4.error):
    """The server answered the command with NO or BAD (the connection is fine)."""


def read_reply(
    readline: Callable[[], bytes], read: Callable[[int], bytes], tag: bytes
) -> list[Any]:
    """The FETCH data of the reply to the command tagged ``tag``, as imaplib hands it over.

    Untagged responses other than FETCH (EXISTS, EXPUNGE, RECENT, FLAGS, OK
    [...]) may come in between; they are read past, literals and all. A
    ``BYE`` or the end of the stream raises ``imaplib.IMAP4.abort`` (the
    caller reconnects); a tagged NO or BAD raises :class:`ReplyError`.
    """
    data: list[Any] = []
    prefix = tag + b" "
    while True:
        line = _strip(readline())
        if line.startswith(prefix):
            status, _, text = line[len(prefix):].partition(b" ")
            if status.upper() != b"OK":
                raise ReplyError(f"{status.decode(errors='replace')} {text.decode(errors='replace')}")
            return data or [None]
        fetch = _FETCH.match(line)
        if fetch is not None:
            dat = fetch[1] + b" " + fetch[2]
            while (lit := _LITERAL.search(dat)) is not None:
                data.append((dat, _read_exactly(read, int(lit[1]))))
                dat = _strip(readline())
            data.append(dat)
            continue
        if line[:6].upper() == b"* BYE ":
            raise imaplib.IMAP4.abort(line[6:].decode(errors="replace"))
        if line.startswith(b"+"):
            raise imaplib.IMAP4.abort("unexpected continuation request in a FETCH reply")
        while (lit := _LITERAL.search(line)) is not None:  # another untagged response with literals
            _read_exactly(read, int(lit[1]))
            line = _strip(readline())


def uid_fetch(imap: imaplib.IMAP4, uid_set: str, items: str) -> list[Any]:
    """``UID FETCH uid_set (items)`` on an imaplib connection, read by :func:`read_reply`."""
    return read_uid_fetch(imap, send_uid_fetch(imap, uid_set, items))


def send_uid_fetch(imap: imaplib.IMAP4, uid_set: str, items: str) -> bytes:
    """Send ``UID FETCH uid_set (items)`` and return its tag, without waiting for the reply: a
    caller may send the next batch's command before reading this one's (pipelining, RFC 3501
    5.5), so the server prepares a reply while the client works on the previous one. The
    replies must then be read in the order sent (:func:`read_uid_fetch`)."""
    tag = b"fa%d" % next(_tags)
    imap.send(tag + b" UID FETCH " + uid_set.encode("ascii") + b" (" + items.encode("ascii") + b")\r\n")
    return tag


def read_uid_fetch(imap: imaplib.IMAP4, tag: bytes) -> list[Any]:
    """The reply to the command :func:`send_uid_fetch` sent under ``tag``."""
    return read_reply(imap.readline, imap.read, tag)


def _strip(line: bytes) -> bytes:
    if not line:
        raise imaplib.IMAP4.abort("socket error: EOF")
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n"):
        return line[:-1]
    raise imaplib.IMAP4.abort("socket error: unterminated line")


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes:
    got = read(size)
    if len(got) != size:
        raise imaplib.IMAP4.abort("socket error: EOF inside a literal")
    return got
