"""Raw message bytes to :class:`agent.model.Message`.

Every mailbox holds some mail that breaks the rules: undeclared 8-bit
headers, charsets Python has never heard of, boundaries that never close,
attachments of many megabytes, bounces quoting other bounces. One such
message must never stop the agent from drafting for the good conversations
beside it, so :func:`parse_message` never raises; what it had to work around
is listed in ``Message.defects`` for ``explain`` and the logs.

How it stays robust:

* ``email.policy.compat32``: its parser records defects instead of raising,
  and we read headers through ``raw_items()`` (plain strings) and decode them
  ourselves (RFC 2047 words one by one, 8-bit bytes as UTF-8 or cp1252), so
  no header access can raise the way ``policy.default``'s lazy parsing does.
* Bodies: we walk the MIME tree ourselves, iteratively, with depth and part
  caps; non-text parts are never decoded; text parts are decoded from a
  capped prefix of their transfer-encoded payload, so a 15 MB part costs
  nothing beyond the parser's own pass.
* Every step is guarded; anything unexpected becomes a defect and the
  message keeps whatever was read so far.

Header blocks (a poll reads thousands) take a fast route when they are
ordinary: ``agent.mail.headers`` splits them as the stdlib would store them.
Anything unusual, and every full message, goes the stdlib route. Both routes
hand the same fields to :func:`_build`, the one place that holds the rules
(caps, defaults, decoding, defects), so they give the same Message
(``tests/test_parse_fast.py``).
"""

from __future__ import annotations

import binascii
import codecs
import functools
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from typing import NamedTuple

from agent.lazy_pattern import lazy
from agent.mail import dsn
from agent.mail.calendar import parse_calendar
from agent.mail.headers import split_header_block
from agent.model import Address, AutoMarkers, CalendarEvent, Message, RawMessage, build_message

__all__ = [
    "MARKER_HEADER",
    "MAX_DEPTH",
    "MAX_PARTS",
    "MAX_PART_TEXT",
    "MAX_REFERENCES",
    "MAX_TEXT",
    "html_to_text",
    "parse_message",
]

#: Characters of body text kept from one text part.
MAX_PART_TEXT = 64 * 1024
#: Characters of body text kept from the whole message (before quote stripping).
MAX_TEXT = 200 * 1024
#: Bytes of an HTML part converted to text (markup is much bigger than its text).
MAX_HTML_BYTES = 256 * 1024
#: Bytes of a calendar part handed to the calendar parser.
MAX_CALENDAR_BYTES = 2 * 1024 * 1024
#: MIME nesting depth walked; deeper parts are ignored.
MAX_DEPTH = 20
#: MIME parts walked per message.
MAX_PARTS = 200
#: Message ids kept from References (the root plus the most recent ones).
MAX_REFERENCES = 100
#: Addresses kept per address header.
MAX_ADDRESSES = 200
#: Defect notes kept per message.
MAX_DEFECTS = 50
#: Characters kept from a subject or other short header value.
MAX_HEADER_TEXT = 1000
#: Our own header on drafts we create.
MARKER_HEADER = "X-Followup-Agent"

_MARKER_KEY = MARKER_HEADER.lower()
_SYNTHETIC_DOMAIN = "followup-agent.invalid"
_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "text/x-vcalendar"})
_AUTOREPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
_BULK_HEADERS = ("feedback-id", "x-sg-eid", "x-mc-user", "x-csa-complaints", "x-marketoid")
_BULK_PREFIXES = ("x-campaign", "x-mailchimp-", "x-mailgun-campaign", "x-hubspot")
_FALSY = frozenset({"no", "false", "0", "off"})
_MSGID = lazy(r"<([^<>\s]{1,998})>")
_ENCODED_WORD = lazy(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = lazy(r"\r?\n(?=[ \t])")
_CONTROL = lazy(r"[\x00-\x08\x0b-\x1f\x7f]")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_WS = lazy(r"\s+")
_SURROGATE = lazy("[\udc80-\udcff]")
_MIME_HEADER_LINE = lazy(r"^(?:content-[\w-]+|mime-version)\s*:", re.IGNORECASE)
_BLOB_LINE = lazy(r"^[A-Za-z0-9+/=]{60,}$")
_ASCII_ONLY = ("us-ascii", "ascii", "ansi_x3.4-1968", "646")
_UNKNOWN_CHARSETS = frozenset({"", "unknown-8bit", "x-unknown", "unknown", "x-user-defined"})


def parse_message(raw: RawMessage, *, default_tz: str | None = None) -> Message:
    """Parse a backend's raw message (full or headers only) into a Message.

    ``default_tz`` is only used for floating times in calendar invitations.
    Never raises: the worst input gives a Message with a synthetic Message-ID,
    empty fields and a defect saying why.
    """
    return _parse_message(raw, default_tz, fast=True)


def _parse_message(raw: RawMessage, default_tz: str | None, *, fast: bool) -> Message:
    """:func:`parse_message`; ``fast=False`` forces the stdlib parser (tests compare)."""
    defects: list[str] = []
    try:
        return _parse(raw, default_tz, defects, fast)
    except Exception as exc:  # a bug or a parser corner we did not foresee
        defects.append(f"parse failed: {type(exc).__name__}")
        data = raw.data if isinstance(raw.data, bytes) else b""
        return Message(
            id=raw.id,
            folder=raw.folder,
            message_id=_synthetic_id(_header_block(data)),
            thread_hint=raw.thread_hint,
            labels=frozenset(raw.labels),
            has_body=not raw.headers_only,
            defects=_dedupe(defects)[:MAX_DEFECTS],
        )


# --- the parse -------------------------------------------------------------------
#
# Two routes read a message's header fields; one place applies the rules.
#
# * The fast route: :func:`agent.mail.headers.split_header_block` splits an
#   ordinary header block (nearly every block a poll reads) the way the stdlib
#   parser would store it, without the feed parser's line machinery.
# * The stdlib route: ``BytesParser(policy=compat32)`` for anything unusual,
#   and for every full message (its body needs the MIME tree).
#
# Both end in the same :class:`_Fields`, and :func:`_build` turns fields (and,
# for a full message, what :func:`_read_body` found) into a Message: the caps,
# the defaults, the decoding and the order in which defects are noted live
# there only. ``tests/test_parse_fast.py`` holds the two routes to equal Messages.


class _Fields(NamedTuple):
    """A message's header fields by lower-case name: the one shape the rules read.

    ``first`` holds each field's first value, ``every`` all of them, or is
    ``None`` when no name occurs twice (then a field's only value is its
    first: nearly every block a poll reads, so nothing more is built). The
    values of ``_FIELDS_READ`` are cleaned (unfolded, 8-bit bytes turned into
    text); the others are as stored (Content-Type is read raw, as the stdlib
    reads it; Received is cleaned where it is read). A present field is one
    whose value is not ``None``, even when it is empty.
    """

    first: dict[str, str]
    every: dict[str, list[str]] | None


class _BodyRead(NamedTuple):
    """What the MIME walk of a full message found, with the defects it noted on the way."""

    text: str
    signature: str
    events: tuple[CalendarEvent, ...]
    calendar_part: bool
    failed_recipients: list[str]
    returned_ids: list[str]
    defects: list[str]
    delayed_recipients: list[str]
    quoted_ids: list[str]  # Message-IDs quoted in the text parts (a report's returned original)
    root: EmailMessage | None  # the parsed tree, read again only when the headers say "report"
    whole: str  # the text before the quotes were split off


def _parse(raw: RawMessage, default_tz: str | None, defects: list[str], fast: bool) -> Message:
    """Read the fields by the fast route where it applies, else by the stdlib; then :func:`_build`."""
    original = bytes(raw.data) if isinstance(raw.data, bytes | bytearray) else b""
    if fast and raw.headers_only:
        try:
            split = split_header_block(original)
        except Exception:  # never let the shortcut cost a message: the stdlib decides
            split = None
        if split is not None:
            try:
                return _build(raw, original, _fields_from_split(*split, defects), defects, None)
            except Exception:
                defects.clear()  # the stdlib route decides, from the start
    data = original
    if b"\x00" in data:
        defects.append("NUL bytes removed")
        data = data.replace(b"\x00", b"")
    msg = _load(data, raw.headers_only, defects)
    fields = _fields_from_message(msg, defects)
    body = None if raw.headers_only else _read_body(msg, default_tz)
    return _build(raw, original, fields, defects, body)


def _build(
    raw: RawMessage, original: bytes, fields: _Fields, defects: list[str], body: _BodyRead | None
) -> Message:
    """The rules, in one place: a Message from header fields and, for a full message, its body.

    Every field is read in a fixed order, because reading may note defects
    and ``Message.defects`` keeps their order: the body's defects come after
    the threading headers' and the Content-Type's, before the addresses'.
    """
    first, every = fields
    message_id = _message_id(first.get("message-id"), original, defects)
    in_reply_to, references = _threading_ids(first, every, defects)
    content_types = _every(first, every, "content-type")
    content_type = _fast_content_type(content_types)
    if len(content_types) > 1:
        defects.append("multiple Content-Type headers (first one used)")
    has_calendar = _fast_calendar_hint(content_types, first.get("content-class"), content_type)
    read = body or _NO_BODY
    if body is not None:
        defects.extend(body.defects)
        has_calendar = has_calendar or body.calendar_part
    from_list = _address_field(first, every, "from", defects)
    subject = _header_text(first.get("subject", ""), defects)
    report = _report(first, from_list, subject, content_type, body, defects)
    if report is not None and report.certain and not in_reply_to and body is not None:
        # a remote server's bounce carries no threading headers: the returned
        # message's own Message-ID is what ties it to its conversation
        in_reply_to = (body.returned_ids or body.quoted_ids)[:1]  # wherever the report shows the original
    to = _address_field(first, every, "to", defects)
    cc = _address_field(first, every, "cc", defects)
    reply_to = _address_field(first, every, "reply-to", defects)
    date = _date_of(fields, defects)
    auto = _auto(fields, content_type, report or _NO_REPORT, defects)
    marker = first.get(_MARKER_KEY)
    return build_message(
        id=raw.id,
        folder=raw.folder,
        message_id=message_id,
        subject=subject,
        from_=from_list[0] if from_list else None,
        to=to,
        cc=cc,
        reply_to=reply_to,
        date=date,
        in_reply_to=tuple(in_reply_to),
        references=tuple(references),
        # a report is read whole: what a quote splitter takes for quoted headers ("To: …",
        # "Subject: …") is where it names the recipient that failed
        text=read.whole if report is not None and report.certain else read.text,
        signature="" if report is not None and report.certain else read.signature,
        calendar=read.events,
        auto=auto,
        content_type=content_type,
        has_calendar_part=has_calendar,
        marker=(_header_text(marker, defects) or None) if marker else None,
        thread_hint=raw.thread_hint,
        labels=frozenset(raw.labels),
        has_body=body is not None,
        defects=_dedupe(defects)[:MAX_DEFECTS] if defects else (),
    )


_NO_BODY = _BodyRead("", "", (), False, [], [], [], [], [], None, "")
_NO_REPORT = dsn.Report(certain=False)


def _report(first: Mapping[str, str], from_list: tuple[Address, ...], subject: str, content_type: str,
            body: _BodyRead | None, defects: list[str]) -> dsn.Report | None:
    """A delivery report's failed and delayed recipients, when the headers say it may be one
    (agent/mail/dsn.py); None for every other message, whose body is not read as a report."""
    sender = from_list[0] if from_list else None
    local, name = (sender.local, sender.name) if sender is not None else ("", "")
    value = first.get("auto-submitted")
    auto_submitted = _header_text(value, defects).split(";", 1)[0].strip().lower() if value is not None else None
    evidence = dsn.report_evidence(first.get("from"), local, name, subject, content_type,
                                   "x-failed-recipients" in first, auto_submitted)
    if evidence is None:
        return None
    if body is None or body.root is None:
        return dsn.Report(certain=evidence == "headers")
    return dsn.read_report(body.root, body.failed_recipients, body.delayed_recipients, evidence, body.whole)


def _threading_ids(
    first: Mapping[str, str], every: Mapping[str, Sequence[str]] | None, defects: list[str]
) -> tuple[list[str], list[str]]:
    """In-Reply-To and References ids, capped: the last ones, and the root plus the last ones."""
    in_reply_to = _ids(_every(first, every, "in-reply-to"))
    if len(in_reply_to) > MAX_REFERENCES:
        in_reply_to = in_reply_to[-MAX_REFERENCES:]
        defects.append("In-Reply-To capped")
    references = _ids(_every(first, every, "references"))
    if len(references) > MAX_REFERENCES:
        defects.append(f"References capped from {len(references)} ids")
        references = [references[0], *references[-(MAX_REFERENCES - 1) :]]
    return in_reply_to, references


def _address_field(
    first: Mapping[str, str], every: Mapping[str, Sequence[str]] | None, name: str, defects: list[str]
) -> tuple[Address, ...]:
    """The addresses of every value of an address field (none when it is absent)."""
    value = first.get(name)
    if value is None:
        return ()
    return _address_tuple(every[name] if every else (value,), defects)


def _date_of(fields: _Fields, defects: list[str]) -> datetime | None:
    """The Date as aware UTC; unreadable or missing: the earliest Received hop's (see :func:`_date`)."""
    value = fields.first.get("date")
    date = _parse_date_fast(value) if value else None
    if date is None:  # _date notes why, and tries the Received stamps (cleaned only now)
        received = [_clean(v, defects) for v in _every(fields.first, fields.every, "received")]
        date = _date(value, received, defects)
    return date


def _read_body(msg: EmailMessage, default_tz: str | None) -> _BodyRead:
    """Walk a full message's MIME tree once (see :class:`_Body`); its defects kept apart."""
    defects: list[str] = []
    body = _Body(default_tz, defects)
    body.walk(msg)
    text, signature = body.text()
    return _BodyRead(text, signature, body.events, body.calendar_part, body.failed_recipients,
                     body.returned_ids, defects, body.delayed_recipients, body.quoted_ids(), msg, body.whole)


# The fields the rules read as text (Content-Type is read raw, Received only when
# there is no usable Date, the bulk-sender fields only for their presence).
_FIELDS_READ = frozenset(
    {"message-id", "in-reply-to", "references", "content-class", "from", "to", "cc", "reply-to"}
    | {"subject", "date", "auto-submitted", "x-autoreply", "x-autorespond", "x-autoresponder"}
    | {"precedence", "list-id", "x-failed-recipients", _MARKER_KEY}
)


def _fields_from_split(
    items: list[tuple[str, str]], newline: str, folded: bool, is_ascii: bool, defects: list[str]
) -> _Fields:
    """The fast route: :func:`split_header_block`'s fields.

    Its names are printable ASCII without spaces, its only line breaks are
    folds, and a block without folds or 8-bit bytes needs no cleaning at all.
    """
    del newline  # every break in a value is a fold, which _clean removes whatever its style
    return _field_values(items, folded, is_ascii, defects)


def _fields_from_message(msg: EmailMessage, defects: list[str]) -> _Fields:
    """The stdlib route: the fields the parser stored (``raw_items``), as plain strings."""
    try:
        items = [(str(name).strip(), str(value)) for name, value in msg.raw_items()]
    except Exception:
        items = []
        defects.append("headers unreadable")
    eight_bit = any(not v.isascii() and _SURROGATE.search(v) for _, v in items)
    return _field_values(items, True, not eight_bit, defects)


def _field_values(
    items: list[tuple[str, str]], folded: bool, is_ascii: bool, defects: list[str]
) -> _Fields:
    """:class:`_Fields` of ``(name, value)`` pairs.

    ``folded``: some value may hold a line break; ``is_ascii``: no value
    holds undeclared 8-bit bytes. The one defect cleaning notes is noted
    here, up front, before anything else is read.
    """
    if is_ascii and not folded and items:
        names, values = zip(*items, strict=True)
        keys = _lower_names(names)
        if keys is not None:
            return _Fields(dict(zip(keys, values, strict=True)), None)
    first: dict[str, str] = {}
    every: dict[str, list[str]] = {}
    for name, value in items:
        key = name.lower()
        found = every.get(key)
        if found is None:
            first[key] = value
            every[key] = [value]
        else:
            found.append(value)
    if not is_ascii:
        defects.append("8-bit header without encoding")
    if folded or not is_ascii:
        for key in _FIELDS_READ.intersection(every):
            found = every[key]
            for i, value in enumerate(found):
                if "\n" in value or "\r" in value or not value.isascii():
                    found[i] = _clean(value, defects)
            first[key] = found[0]
    return _Fields(first, every)


@functools.lru_cache(maxsize=1024)
def _lower_names(names: tuple[str, ...]) -> tuple[str, ...] | None:
    """The names lower-cased, or ``None`` when one occurs twice (in any spelling).

    Cached: a mailbox's mail comes from a few hundred mailers, each writing
    the same fields in the same order every time.
    """
    keys = tuple(name.lower() for name in names)
    return keys if len(set(keys)) == len(keys) else None


def _every(first: Mapping[str, str], every: Mapping[str, Sequence[str]] | None, name: str) -> Sequence[str]:
    """All values of a field, from :class:`_Fields`' two dicts."""
    value = first.get(name)
    return () if value is None else every[name] if every else (value,)


def _load(data: bytes, headers_only: bool, defects: list[str]) -> EmailMessage:
    """Run the stdlib parser; fall back to headers only if the body defeats it."""
    parser = BytesParser(policy=compat32)
    try:
        msg = parser.parsebytes(data, headersonly=headers_only)
    except RecursionError:
        defects.append("MIME structure too deep for the parser; headers only")
        msg = parser.parsebytes(_header_block(data), headersonly=True)
    except Exception as exc:
        defects.append(f"parser failed ({type(exc).__name__}); headers only")
        msg = parser.parsebytes(_header_block(data), headersonly=True)
    for defect in getattr(msg, "defects", ()):
        defects.append(type(defect).__name__)
    return msg


def _header_block(data: bytes) -> bytes:
    """The bytes before the first empty line (the whole input if there is none)."""
    ends = [i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0]
    return data[: min(ends)] if ends else data


def _synthetic_id(header_block: bytes) -> str:
    digest = hashlib.sha256(header_block).hexdigest()[:24]
    return f"<synthetic.{digest}@{_SYNTHETIC_DOMAIN}>"


def _message_id(value: str | None, data: bytes, defects: list[str]) -> str:
    """Normalise to "<...>"; synthesise a deterministic one when missing or unusable."""
    if value:
        found = _MSGID.search(value)
        if found:
            return f"<{found.group(1)}>"
        found = _MSGID.search(_WS.sub("", value))
        if found:
            defects.append("whitespace inside Message-ID removed")
            return f"<{found.group(1)}>"
        token = value.strip().strip("<>").strip()
        if token and not _WS.search(token) and len(token) <= 998:
            defects.append("Message-ID without angle brackets")
            return f"<{token}>"
        defects.append("unusable Message-ID; synthesised")
    else:
        defects.append("missing Message-ID; synthesised")
    return _synthetic_id(_header_block(data))


def _ids(values: Iterable[str]) -> list[str]:
    """All "<...>" ids in the values, deduplicated in order (bare ids with @ as a fallback)."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        found = [f"<{m}>" for m in _MSGID.findall(value)]
        if not found:
            found = [f"<{t.strip('<>,;')}>" for t in value.split() if "@" in t.strip("<>,;")]
        for mid in found:
            if mid not in seen:
                seen.add(mid)
                out.append(mid)
    return out


def _content_type(msg: EmailMessage) -> str:
    try:
        return str(msg.get_content_type()).lower()
    except Exception:
        return "text/plain"


def _fast_content_type(values: Sequence[str]) -> str:
    """``_content_type`` of a message whose raw Content-Type values are ``values``."""
    if not values:
        return "text/plain"  # the stdlib's default type of a top-level message
    if not values[0].isascii():  # the stdlib reads 8-bit values through a Header object
        return _content_type(_content_type_message(values))
    ctype = values[0].partition(";")[0].strip().lower()
    return ctype if ctype.count("/") == 1 else "text/plain"


def _fast_calendar_hint(values: Sequence[str], content_class: str | None, content_type: str) -> bool:
    """``_calendar_hint`` of a message whose raw Content-Type values are ``values``."""
    if content_type in _CALENDAR_TYPES:
        return True
    if "calendarmessage" in (content_class or "").lower():
        return True
    if not values or (values[0].isascii() and "method" not in values[0].lower()):
        return False  # no parameter can be named method (RFC 2231 names contain it too)
    try:
        return bool(_content_type_message(values).get_param("method", None))
    except Exception:
        return False


def _content_type_message(values: Iterable[str]) -> EmailMessage:
    """A stdlib message holding only these Content-Type values, for its parameter parsing."""
    msg = EmailMessage(policy=compat32)
    for value in values:
        msg.set_raw("Content-Type", value)
    return msg


# --- headers ---------------------------------------------------------------------


def _clean(value: str, defects: list[str]) -> str:
    """Unfold, turn undeclared 8-bit bytes into text; a line break left over becomes a space."""
    if "\n" in value or "\r" in value:
        value = _FOLD.sub("", value).replace("\r", " ").replace("\n", " ")
    if not value.isascii() and _SURROGATE.search(value):
        raw = value.encode("utf-8", "surrogateescape")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("cp1252", "replace")
        defects.append("8-bit header without encoding")
    return value


def _header_text(value: str, defects: list[str]) -> str:
    """A value as text: RFC 2047 words decoded, blanks and control characters one space, capped.

    Printable ASCII with single spaces (nearly every value) needs only ``strip``.
    """
    if "=?" not in value and value.isascii() and value.isprintable() and "  " not in value:
        return value.strip()[:MAX_HEADER_TEXT]
    decoded = _decode_words(value, defects)
    return _WS.sub(" ", _CONTROL.sub(" ", decoded)).strip()[:MAX_HEADER_TEXT]


def _decode_words(value: str, defects: list[str]) -> str:
    """Decode RFC 2047 encoded words one by one; a broken word stays as written.

    Adjacent words in the same charset are joined before decoding, because
    encoders split multi-byte characters across words.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = bytearray()
    pending_charset = ""
    previous_was_word = False
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        pos = match.end()
        charset = match.group(1).split("*", 1)[0].lower()
        decoded = _word_bytes(match.group(2), match.group(3))
        joins = previous_was_word and not between.strip()
        if decoded is None or not joins or charset != pending_charset:
            if pending:
                out.append(_decode_bytes(bytes(pending), pending_charset, defects))
            pending = bytearray()
        if decoded is None:
            defects.append("broken encoded word")
            out.append(between + match.group(0))
            previous_was_word = False
            continue
        if not joins:
            out.append(between)
        pending_charset = charset
        pending.extend(decoded)
        previous_was_word = True
    if pending:
        out.append(_decode_bytes(bytes(pending), pending_charset, defects))
    out.append(value[pos:])
    return "".join(out)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        data = payload.encode("ascii")
    except UnicodeEncodeError:
        return None
    try:
        if encoding in "qQ":
            return binascii.a2b_qp(data, header=True)
        cleaned = _B64_JUNK.sub(b"", data)
        if len(cleaned) % 4 == 1:
            return None
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return None


def _decode_bytes(data: bytes, charset: str | None, defects: list[str]) -> str:
    """Bytes to text in the declared charset; unknown or wrong charsets never raise."""
    name = (charset or "").strip().strip("\"'").lower()
    if name in _UNKNOWN_CHARSETS or name in _ASCII_ONLY:
        if name not in _ASCII_ONLY and name:
            defects.append(f"unknown charset {name[:40]!r}")
        return _guess(data)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        defects.append(f"unknown charset {name[:40]!r}")
        return _guess(data)
    if not getattr(info, "_is_text_encoding", True):
        defects.append(f"not a text charset {name[:40]!r}")
        return _guess(data)
    try:
        return data.decode(info.name, "replace")
    except Exception:
        defects.append(f"charset {name[:40]!r} failed to decode")
        return _guess(data)


def _guess(data: bytes) -> str:
    """Undeclared bytes: UTF-8 when valid, else cp1252 (what most such mail is)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _address_tuple(values: Sequence[str], defects: list[str]) -> tuple[Address, ...]:
    """``tuple(_addresses(values, defects))`` for non-empty ``values``, without the copies."""
    found, noted = _addresses_cached(tuple(values))
    if noted:
        defects.extend(noted)
    return found


@functools.lru_cache(maxsize=4096)
def _addresses_cached(values: tuple[str, ...]) -> tuple[tuple[Address, ...], tuple[str, ...]]:
    # a mailbox holds a few hundred distinct From/To values over thousands of messages,
    # and the standard library's address parser is the slowest step of a cold poll
    defects: list[str] = []
    return tuple(_parse_addresses(list(values), defects)), tuple(defects)


def _parse_addresses(values: list[str], defects: list[str]) -> list[Address]:
    out: list[Address] = []
    seen: set[str] = set()
    try:
        pairs = getaddresses([v[:100_000] for v in values])
    except Exception:
        defects.append("unparsable address header")
        return out
    for name, email in pairs:
        email = email.strip().strip("<>").lower()
        local, at, domain = email.rpartition("@")
        if (
            not at
            or not local
            or "." not in domain
            or _WS.search(email)
            or _CONTROL.search(email)
            or any(c in email for c in '<>,;:"()[]\\')
            or len(email) > 320
        ):
            if email or name:
                defects.append("unusable address skipped")
            continue
        if email in seen:
            continue
        seen.add(email)
        display = _WS.sub(" ", _CONTROL.sub(" ", _decode_words(name, defects)))
        display = display.strip().strip("\"'").strip()[:200]
        if display.lower() == email:
            display = ""
        out.append(Address(email=email, name=display))
        if len(out) >= MAX_ADDRESSES:
            defects.append("address list capped")
            break
    return out


def _parse_date(value: str) -> datetime | None:
    try:
        dt = parsedate_to_datetime(value.strip()[:200])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _date(value: str | None, received: Sequence[str], defects: list[str]) -> datetime | None:
    """The Date value as aware UTC; else the earliest Received hop's; else None."""
    if value:
        parsed = _parse_date_fast(value)
        if parsed is not None:
            return parsed
        defects.append("unparsable Date")
    else:
        defects.append("missing Date")
    for hop in reversed(received):
        stamp = hop.rpartition(";")[2]
        parsed = _parse_date_fast(stamp) if stamp else None
        if parsed is not None:
            defects.append("date taken from Received")
            return parsed
    return None


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
# "Mon, 3 Jun 2024 10:00:00 +0200 (CEST)": the shape nearly every mailer writes;
# the groups are the day, the clock and the zone
_USUAL_DATE = lazy(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2} [A-Z][a-z][a-z] [1-9][0-9]{3}) "
    r"([0-9]{2}:[0-9]{2}:[0-9]{2}) ([+-][0-9]{4})(?:[ \t].*)?",
    re.DOTALL,
)


def _parse_date_fast(value: str) -> datetime | None:
    """``_parse_date`` for the usual RFC 5322 shape without the stdlib's general parser.

    Reads the fields the way ``email.utils.parsedate_to_datetime`` does
    (tokens after the zone ignored, -0000 and +0000 both UTC) and gives the
    same instant in UTC, as the start of the day in that zone plus the
    clock; anything else, or any doubt, goes to ``_parse_date``.
    """
    found = _USUAL_DATE.fullmatch(value.strip()[:200])
    if found is not None:
        day, clock, zone = found.groups()
        start = _day_start(day, zone)
        time = _clock(clock)
        if start is not None and time is not None:
            try:
                return start + time
            except OverflowError:  # past 9999 (the day's start never is: years from 1000)
                pass
    return _parse_date(value)


# Both caches: a mailbox's dates fall on a few hundred days in a few zones, and
# mailers and calendars often send on the minute, so most dates are two hits.
@functools.lru_cache(maxsize=4096)
def _day_start(day: str, zone: str) -> datetime | None:
    """The UTC instant "3 Jun 2024" began at offset "+0200"; ``None`` where the stdlib decides.

    That is an unknown month, a day the month does not have, or an offset of
    24 hours or more (which the stdlib refuses).
    """
    number, name, year = day.split(" ")
    month = _MONTHS.get(name)
    seconds = int(zone[1:3]) * 3600 + int(zone[3:]) * 60
    if month is None or seconds >= 86400:
        return None
    offset = timedelta(seconds=-seconds if zone[0] == "-" else seconds)
    try:
        return datetime(int(year), month, int(number), tzinfo=UTC) - offset
    except (ValueError, OverflowError):
        return None


@functools.lru_cache(maxsize=4096)
def _clock(clock: str) -> timedelta | None:
    """A clock ("10:00:00") as the time since midnight; ``None`` if ``datetime`` refuses it."""
    hours, minutes, seconds = int(clock[:2]), int(clock[3:5]), int(clock[6:])
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


_NO_AUTO = AutoMarkers()
_AUTO_NAMES = frozenset(
    {"auto-submitted", "precedence", "list-id", "list-unsubscribe", "x-failed-recipients"}
    | set(_AUTOREPLY_HEADERS)
)
_BULK_NAMES = frozenset(_BULK_HEADERS)


def _auto(
    fields: _Fields, content_type: str, report: dsn.Report, defects: list[str]
) -> AutoMarkers:
    """Header evidence of automatic or bulk mail (and the recipients a delivery report names).

    Headers a message does not have cost nothing: mail with no evidence at
    all shares one empty AutoMarkers. The reads come in a fixed order (they
    may note defects).
    """
    first, every = fields
    feedback, relevant = _header_shape(tuple(first))
    if not (relevant or feedback or report.certain or content_type == "multipart/report"):
        return _NO_AUTO
    auto_submitted = None
    value = first.get("auto-submitted")
    if value is not None:
        auto_submitted = _header_text(value, defects).split(";", 1)[0].strip().lower() or None
    x_autoreply = False
    for name in _AUTOREPLY_HEADERS:
        value = first.get(name)
        if value is not None and _header_text(value, defects).strip().lower() not in _FALSY:
            x_autoreply = True
            break
    precedence = None
    value = first.get("precedence")
    if value is not None:
        precedence = _header_text(value, defects).split(";", 1)[0].strip().lower() or None
    value = first.get("list-id")
    list_id = (_header_text(value, defects) or None) if value is not None else None
    failed: list[str] = []
    if "x-failed-recipients" in first:
        found = _every(first, every, "x-failed-recipients")
        failed = [a.email for a in _address_tuple(found, defects)]
    for email in report.failed if report.certain else ():
        if email not in failed:
            failed.append(email)
    delayed = tuple(a for a in report.delayed if a not in failed and report.certain)[:MAX_ADDRESSES]
    return _auto_markers(
        auto_submitted,
        x_autoreply,
        precedence,
        list_id,
        "list-unsubscribe" in first,
        content_type == "multipart/report" or report.certain,
        tuple(failed[:MAX_ADDRESSES]),
        feedback,
        delayed,
    )


@functools.lru_cache(maxsize=1024)
def _header_shape(names: tuple[str, ...]) -> tuple[bool, bool]:
    """(bulk-sender header present, any header ``_auto`` reads present), per set of names.

    A mailbox's mail comes from a few hundred senders whose software writes
    the same header names every time: this is nearly always a cache hit.
    """
    feedback = any(h in names for h in _BULK_HEADERS) or any(
        n.startswith(_BULK_PREFIXES) for n in names
    )
    return feedback, not _AUTO_NAMES.isdisjoint(names)


@functools.lru_cache(maxsize=4096)
def _auto_markers(
    auto_submitted: str | None,
    x_autoreply: bool,
    precedence: str | None,
    list_id: str | None,
    list_unsubscribe: bool,
    is_report: bool,
    failed_recipients: tuple[str, ...],
    feedback_id: bool,
    delayed_recipients: tuple[str, ...] = (),
) -> AutoMarkers:
    """One shared (frozen) AutoMarkers per distinct value: list mail repeats them."""
    return AutoMarkers(
        auto_submitted=auto_submitted,
        x_autoreply=x_autoreply,
        precedence=precedence,
        list_id=list_id,
        list_unsubscribe=list_unsubscribe,
        is_report=is_report,
        failed_recipients=failed_recipients,
        feedback_id=feedback_id,
        delayed_recipients=delayed_recipients,
    )


# --- bodies ----------------------------------------------------------------------


class _Body:
    """Walks the MIME tree once: text parts, calendar parts, DSN recipients."""

    def __init__(self, default_tz: str | None, defects: list[str]) -> None:
        self._default_tz = default_tz
        self._defects = defects
        self.plain: list[str] = []
        self.html: list[str] = []
        self.events: tuple[CalendarEvent, ...] = ()
        self.calendar_part = False
        self.failed_recipients: list[str] = []
        self.delayed_recipients: list[str] = []
        self.part_ids: list[str] = []  # Message-ID fields of inner parts (a returned original's, in a report)
        self.returned_ids: list[str] = []  # Message-IDs of the mail a report returns
        self.salvage = ""  # text of a multipart whose parts could not be split
        self.whole = ""  # the text before quotes were split off (a report's is read whole)

    def walk(self, root: EmailMessage) -> None:
        """Iterative depth-first walk; message/rfc822 parts are not entered.

        An attached or bounced message is someone else's words (a forward,
        the mail that bounced): it is never evidence for this message.
        """
        stack: list[tuple[EmailMessage, int]] = [(root, 0)]
        count = 0
        depth_noted = False
        while stack:
            part, depth = stack.pop()
            count += 1
            if count > MAX_PARTS:
                self._defects.append(f"more than {MAX_PARTS} MIME parts; rest ignored")
                return
            try:
                self._visit(part, depth, stack)
            except RecursionError:
                self._defects.append("part too deep to read")
            except Exception as exc:
                self._defects.append(f"unreadable part ({type(exc).__name__})")
            if depth >= MAX_DEPTH and not depth_noted and part.is_multipart():
                depth_noted = True
                self._defects.append(f"MIME nesting deeper than {MAX_DEPTH}; inner parts ignored")

    def _visit(self, part: EmailMessage, depth: int, stack: list[tuple[EmailMessage, int]]) -> None:
        ctype = _content_type(part)
        if depth > 0:
            for defect in getattr(part, "defects", ()):
                self._defects.append(type(defect).__name__)
            inner_id = part.get("Message-ID") if len(self.part_ids) < 10 else None
            if inner_id:
                self.part_ids.extend(_ids([str(inner_id)])[:1])
        payload = _raw_payload(part)
        if ctype == "message/delivery-status":
            self._dsn(payload)
            return
        if ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/rfc822"):
            self._returned(payload)
            return
        if ctype.startswith("message/"):
            return
        if isinstance(payload, str) and ctype.startswith("multipart/"):
            # boundary missing or never used: the parser left the body as one string
            if not self.salvage:
                data = _bytes(payload[: MAX_PART_TEXT * 2])
                self.salvage = _salvage(_decode_bytes(data, _charset(part), self._defects))
            return
        if isinstance(payload, list):
            if depth < MAX_DEPTH:
                children = [p for p in payload if isinstance(p, EmailMessage)]
                stack.extend((child, depth + 1) for child in reversed(children))
            return
        if not isinstance(payload, str):
            return
        filename = _filename(part)
        if ctype in _CALENDAR_TYPES or filename.endswith((".ics", ".vcs")):
            self.calendar_part = True
            self._calendar(part, payload)
            return
        if ctype not in ("text/plain", "text/html") or _is_attachment(part):
            return  # never decode anything else
        if ctype == "text/plain":
            data = _transfer_decode(part, payload, MAX_PART_TEXT * 4, self._defects)
            text = _decode_bytes(data, _charset(part), self._defects)
            self.plain.append(text[:MAX_PART_TEXT])
        else:
            data = _transfer_decode(part, payload, MAX_HTML_BYTES, self._defects)
            markup = _decode_bytes(data, _charset(part), self._defects)
            self.html.append(html_to_text(markup)[:MAX_PART_TEXT])

    def _calendar(self, part: EmailMessage, payload: str) -> None:
        data = _transfer_decode(part, payload, MAX_CALENDAR_BYTES, self._defects)
        events = parse_calendar(data, self._default_tz)
        if not events:
            self._defects.append("calendar part without readable events")
            return
        method = ""
        try:
            method = str(part.get_param("method", "") or "").upper()
        except Exception:
            method = ""
        if method:
            events = tuple(e if e.method else replace(e, method=method) for e in events)
        known = set(self.events)
        self.events = self.events + tuple(e for e in events if e not in known)

    def _returned(self, payload: object) -> None:
        """The Message-ID of the mail a delivery report sends back (never read as evidence)."""
        if isinstance(payload, list) and payload and isinstance(payload[0], EmailMessage):
            value = str(payload[0].get("Message-ID", "") or "")
        elif isinstance(payload, str):
            found = _RETURNED_ID.search(payload[:MAX_PART_TEXT])
            value = found.group(1) if found else ""
        else:
            value = ""
        ids = _ids([value]) if value else []
        if ids and len(self.returned_ids) < 10:
            self.returned_ids.append(ids[0])

    def _dsn(self, payload: object) -> None:
        """Final-Recipient of each failed or delayed recipient block in a delivery-status part.

        Read field by field: some servers write the recipient blocks without the blank line
        between them, so one parsed block holds several Final-Recipient / Action pairs.
        """
        blocks = payload if isinstance(payload, list) else []
        for block in blocks[:MAX_ADDRESSES]:
            if isinstance(block, EmailMessage):
                for email, action in _recipient_actions(block):
                    found = self.failed_recipients if action.startswith("failed") else (
                        self.delayed_recipients if action.startswith("delayed") else None)
                    if found is not None and email not in found:
                        found.append(email)

    def quoted_ids(self) -> list[str]:
        """Message-IDs of a returned original shown other than as an attached message: the
        headers of a part that are the original's (a report whose boundaries are broken), then
        its headers quoted in the text (a plain-text report)."""
        quoted = dsn.returned_ids_in_text("\n".join([*self.plain, self.salvage]))
        return list(dict.fromkeys([*self.part_ids, *quoted]))[:10]

    def text(self) -> tuple[str, str]:
        """Prefer text/plain; else HTML as text; then strip quotes; capped; with the signature cut."""
        plain = "\n\n".join(p for p in self.plain if p.strip())
        body = plain if plain.strip() else "\n\n".join(h for h in self.html if h.strip())
        if not body.strip() and self.salvage.strip():
            self._defects.append("multipart body without readable parts; read as text")
            body = self.salvage
        body = _CONTROL.sub("", body)
        if len(body) > MAX_TEXT:
            self._defects.append("body text capped")
            body = body[:MAX_TEXT]
        self.whole = body
        from agent.mail.quotes import split_reply  # bodies only: a header block never loads it

        text, signature = split_reply(body)
        return text[:MAX_TEXT], signature


def _recipient_actions(block: EmailMessage) -> list[tuple[str, str]]:
    """(recipient, action) pairs of one delivery-status block, in order: each Final-Recipient
    (or an Original-Recipient before it) opens a recipient, each Action closes it."""
    out: list[tuple[str, str]] = []
    final = original = ""
    for name, value in block.items():
        key = name.lower()
        if key == "final-recipient":
            final = str(value)
        elif key == "original-recipient":
            original = str(value)
        elif key == "action":
            email = (final or original).rpartition(";")[2].strip().strip("<>").lower()
            if "@" in email and not _WS.search(email):
                out.append((email[:320], str(value).strip().lower()))
            final = original = ""
    return out


def _salvage(text: str) -> str:
    """Best-effort text of an unsplittable multipart: drop boundaries, MIME headers, blobs."""
    kept = [
        line
        for line in text.splitlines()
        if not line.startswith("--")
        and not _MIME_HEADER_LINE.match(line)
        and not _BLOB_LINE.match(line.strip())
    ]
    return "\n".join(kept)[:MAX_PART_TEXT]


_RETURNED_ID = lazy(r"^Message-ID:[ \t]*(<[^>\s]+>)", re.I | re.M)


def _raw_payload(part: EmailMessage) -> object:
    """The payload as the parser stored it: str with 8-bit bytes as surrogates, or a list.

    ``get_payload()`` would already decode 8-bit text with the declared
    charset (and ``decode=True`` would decode a whole 15 MB part); we want the
    bytes, capped, and our own charset handling. compat32 keeps them in
    ``_payload``, a long-standing attribute; fall back to the public call.
    """
    payload = getattr(part, "_payload", None)
    if isinstance(payload, str | list):
        return payload
    return part.get_payload()


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename() or part.get_param("name", "") or ""
    except Exception:
        return ""
    if not isinstance(name, str):
        return ""
    return _decode_words(name, []).strip().strip('"').lower()


def _is_attachment(part: EmailMessage) -> bool:
    disposition = str(part.get("Content-Disposition", "") or "")
    return disposition.split(";", 1)[0].strip().lower() == "attachment"


def _charset(part: EmailMessage) -> str:
    try:
        value = part.get_param("charset", "")
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value or "")


def _transfer_decode(part: EmailMessage, payload: str, limit: int, defects: list[str]) -> bytes:
    """Undo the transfer encoding of at most ``limit`` output bytes of ``payload``."""
    cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
    if cte == "base64":
        head = _bytes(payload[: limit * 4 // 3 + limit // 16 + 64])
        stripped = re.sub(rb"\s+", b"", head)
        cleaned = _B64_JUNK.sub(b"", stripped.rstrip(b"="))
        if len(cleaned) != len(stripped.rstrip(b"=")):
            defects.append("invalid characters in base64 body")
        if len(cleaned) % 4 == 1:
            cleaned = cleaned[:-1]
        try:
            return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))[:limit]
        except (binascii.Error, ValueError):
            defects.append("undecodable base64 body")
            return b""
    if cte == "quoted-printable":
        head = _bytes(payload[: limit * 3])
        try:
            return binascii.a2b_qp(head)[:limit]
        except (binascii.Error, ValueError):
            defects.append("undecodable quoted-printable body")
            return head[:limit]
    if cte not in ("", "7bit", "8bit", "binary"):
        defects.append(f"unknown transfer encoding {cte[:40]!r}")
    if len(payload) > limit:
        defects.append("text part capped")
    return _bytes(payload[:limit])


def _bytes(payload: str) -> bytes:
    """The parser's str payload back to its original bytes (8-bit kept as surrogates)."""
    return payload.encode("utf-8", "surrogateescape")


def html_to_text(markup: str, limit: int = MAX_PART_TEXT) -> str:
    """Visible text of an HTML body (:func:`agent.mail.html_text.html_to_text`, loaded at the
    first HTML part a poll reads: header blocks alone never need it)."""
    from agent.mail import html_text

    return html_text.html_to_text(markup, limit)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return tuple(out)
