"""Plain data that flows through the pipeline.

Backends produce :class:`RawMessage`; ``agent.mail.parse`` turns bytes into
:class:`Message`; ``agent.mail.thread`` groups messages into
:class:`Conversation`; signals turn a conversation into facts (one frozen
subclass of :class:`agent.facts.Fact` per kind of event, in agent/facts.py);
the policy turns facts plus ``now`` into a decision. Every type here is frozen, holds only plain values
and aware datetimes, and can be round-tripped through JSON (the state store
caches parsed messages so a warm poll never parses the same mail twice, and
agent.facts_cache the facts of unchanged conversations).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

from agent.mail.subject import base_subject

_T = TypeVar("_T")

#: What a parsed :class:`Message` holds, as stored in the state. Bump it when the parser fills
#: a field it did not fill before: stored bodies are then read again (agent.store). 2: signature;
#: invitations' attendees, organizer name and description; 3: delivery reports' delayed recipients
#: and returned Message-IDs, invitations read event by event, new text cut in more languages.
MESSAGE_FORMAT = 3

# Folder roles. Backends map their own folder names onto these.
INBOX = "inbox"
SENT = "sent"
ALL = "all"  # Gmail's All Mail: both directions in one folder
DRAFTS = "drafts"


@dataclass(frozen=True)
class Address:
    """One mailbox; ``email`` is lower-cased so comparisons are exact."""

    email: str
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local(self) -> str:
        return self.email.rpartition("@")[0]

    def formatted(self) -> str:
        from email.utils import formataddr

        return formataddr((self.name, self.email)) if self.name else self.email


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT from a text/calendar part (an invitation, update or cancellation)."""

    summary: str
    start: datetime  # aware, UTC
    end: datetime | None = None  # aware, UTC
    tzid: str | None = None  # the zone the organiser wrote the time in, when known
    uid: str | None = None
    organizer: str | None = None  # email address, lower-case
    organizer_name: str | None = None  # the organizer's display name (CN), when given
    attendees: tuple[str, ...] = ()  # email addresses, lower-case
    description: str = ""  # capped like the summary
    method: str | None = None  # REQUEST | CANCEL | REPLY | PUBLISH ...
    status: str | None = None  # CONFIRMED | CANCELLED | TENTATIVE
    sequence: int = 0
    all_day: bool = False
    #: False for a cancellation that names only its UID and SEQUENCE (RFC 5546 allows it for a whole
    #: meeting): ``start`` is then its DTSTAMP, and the meeting it calls off is the one its UID names
    start_given: bool = True


@dataclass(frozen=True)
class AutoMarkers:
    """Header evidence that a message was not written by a person, or is bulk mail."""

    auto_submitted: str | None = None  # value of Auto-Submitted, lower-case
    x_autoreply: bool = False  # X-Autoreply / X-Autorespond present
    precedence: str | None = None  # bulk | list | junk | auto_reply
    list_id: str | None = None
    list_unsubscribe: bool = False
    is_report: bool = False  # a delivery report: multipart/report, or one by its headers (agent/mail/dsn.py)
    failed_recipients: tuple[str, ...] = ()  # X-Failed-Recipients
    feedback_id: bool = False  # bulk senders' Feedback-ID / X-Campaign style headers
    delayed_recipients: tuple[str, ...] = ()  # a delivery report's "not yet delivered, will retry"


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed message: everything the signals read, nothing they don't.

    Slotted: a cold poll of a large mailbox holds every parsed message until it is threaded,
    and without an instance dictionary each takes about half the memory (1,476 bytes against
    796 for a header-only message; 170 MB less at 250,000 messages, issue 15)."""

    id: str  # the backend's stable id (see RawMessage.id)
    folder: str  # role: INBOX | SENT | ALL | DRAFTS
    message_id: str  # "<...>"; synthesised from a content hash when missing
    subject: str = ""
    from_: Address | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    date: datetime | None = None  # aware, UTC; None when missing or unreadable
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # capped to a sane length by the parser
    text: str = ""  # body text, quoted replies and signatures stripped, capped
    #: the sign-off block cut off ``text`` ("Best,\nMaya Okafor\nRecruiter | Corvid Labs"),
    #: capped (agent.mail.quotes.MAX_SIGNATURE); never quoted text; "" when headers only
    signature: str = ""
    calendar: tuple[CalendarEvent, ...] = ()
    auto: AutoMarkers = field(default_factory=AutoMarkers)
    content_type: str = ""  # top-level type, lower-case (e.g. "multipart/mixed")
    has_calendar_part: bool = False  # seen from headers/structure even before bodies
    marker: str | None = None  # our own X-Followup-Agent header, if present
    thread_hint: str | None = None  # server thread id (X-GM-THRID, Gmail threadId)
    labels: frozenset[str] = frozenset()
    has_body: bool = True  # False when parsed from headers only
    defects: tuple[str, ...] = ()  # what the parser had to work around

    def to_json(self) -> dict[str, Any]:
        # written out by hand: the generic walk is the slowest part of a cold poll
        def addr(a: Address) -> dict[str, str]:
            return {"email": a.email, "name": a.name}

        d: dict[str, Any] = {
            "id": self.id,
            "folder": self.folder,
            "message_id": self.message_id,
            "subject": self.subject,
            "from_": addr(self.from_) if self.from_ else None,
            "to": [addr(a) for a in self.to],
            "cc": [addr(a) for a in self.cc],
            "reply_to": [addr(a) for a in self.reply_to],
            "date": self.date.isoformat() if self.date else None,
            "in_reply_to": list(self.in_reply_to),
            "references": list(self.references),
            "text": self.text,
            "signature": self.signature,
            "calendar": [_to_json(c) for c in self.calendar],
            "auto": _to_json(self.auto) if self.auto != _NO_MARKERS else {},
            "content_type": self.content_type,
            "has_calendar_part": self.has_calendar_part,
            "marker": self.marker,
            "thread_hint": self.thread_hint,
            "labels": sorted(self.labels),
            "has_body": self.has_body,
            "defects": list(self.defects),
        }
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return _message_from_json(data)


_NO_MARKERS = AutoMarkers()


def build_message(**fields: Any) -> Message:
    """``Message(**fields)`` for the parser's hot path, given every field.

    Why: a frozen dataclass's ``__init__`` sets each of its 22 fields through
    ``object.__setattr__`` after checking its arguments; a cold poll builds
    20,000 messages. Here a slotted class (Message) gets its fields set in one
    loop, an unslotted one (RawMessage) its ``__dict__`` filled at once.
    The result is the same object (tests/test_parse_fast.py compares); with any
    field missing or unknown it is simply the constructor.
    """
    return _filled(Message, fields)


def build_raw(**fields: Any) -> RawMessage:
    """``RawMessage(**fields)`` for a backend's header scan, given every field (see build_message)."""
    return _filled(RawMessage, fields)


_FIELD_NAMES: dict[type, frozenset[str]] = {}
_SLOT_BUILDERS: dict[type, Callable[..., Any]] = {}


def _filled(cls: type[_T], fields: dict[str, Any]) -> _T:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    if fields.keys() != names:
        return cls(**fields)
    if "__slots__" in cls.__dict__:  # slotted (Message): every slot set by one generated function
        build = _SLOT_BUILDERS.get(cls) or _SLOT_BUILDERS.setdefault(cls, _slot_builder(cls))
        return cast(_T, build(**fields))
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _slot_builder(cls: type) -> Callable[..., Any]:
    """A function taking every field of the slotted frozen dataclass ``cls`` by name and
    returning the instance, each slot set through its descriptor.

    Why generated, as :mod:`dataclasses` generates ``__init__``: one straight-line call per
    field, with no loop and no ``__setattr__`` lookup, builds a Message in half the time of a
    loop over ``object.__setattr__`` (20,000 messages: 0.035 s against 0.081 s), and a cold
    poll's parser builds one per message while the sync is bound by this process's CPU."""
    names = [f.name for f in dataclasses.fields(cls)]
    setters = {f"_set_{n}": cls.__dict__[n].__set__ for n in names}  # the slots' member descriptors
    body = "".join(f"    _set_{n}(obj, {n})\n" for n in names)
    source = f"def build(*, {', '.join(names)}):\n    obj = _new(_cls)\n{body}    return obj\n"
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **setters}
    exec(source, namespace)  # the source is made above from the class's own field names
    return cast(Callable[..., Any], namespace["build"])


@dataclass(frozen=True)
class RawMessage:
    """What a backend hands over: stable id, folder role, bytes, server hints.

    ``data`` may be the header block only (``headers_only=True``) when the
    backend can fetch bodies lazily; the engine then asks ``fetch`` for the
    messages in candidate conversations.
    """

    id: str
    folder: str
    data: bytes
    headers_only: bool = False
    thread_hint: str | None = None
    labels: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ChangeSet:
    """The answer to ``Mailbox.changes``: what is new since the cursor.

    ``full=True`` means the cursor was not honoured (first run, UIDVALIDITY
    change, expired Gmail history): ``added`` is then the whole mailbox and
    any stored message not in it is gone.
    """

    added: tuple[RawMessage, ...]
    removed: tuple[str, ...]
    cursor: str
    full: bool = False


@dataclass(frozen=True)
class DraftInfo:
    """A draft that exists in the mailbox now."""

    id: str  # backend id, used by delete_draft
    data: bytes  # the draft as stored (drafts are few; the engine fingerprints them)
    thread_hint: str | None = None
    #: True when ``data`` was left out because the caller named this id as already seen
    #: and the backend's ids name unchanging content (see ``Mailbox.drafts``)
    seen: bool = False


@dataclass(frozen=True)
class Conversation:
    """A thread: messages in date order plus a stable id that survives resyncs.

    A conversation may also hold the company's messages from other threads (an
    answer under a new subject, an automatic reply Gmail shows on its own, an
    invitation): ``outside`` names them (backend ids). They count as evidence
    and as answers; the conversation's own thread is where its drafts go.
    """

    id: str
    messages: tuple[Message, ...]
    outside: frozenset[str] = frozenset()

    @property
    def own_messages(self) -> tuple[Message, ...]:
        """The messages of the conversation's own thread (all of them when nothing came from outside)."""
        if not self.outside:
            return self.messages
        return tuple(m for m in self.messages if m.id not in self.outside) or self.messages

    @property
    def subject(self) -> str:
        for m in self.own_messages:
            if m.subject:
                return base_subject(m.subject)
        return ""


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive input is taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


# --- JSON round trip -----------------------------------------------------------


def _to_json(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, frozenset):
        return sorted(obj)
    if isinstance(obj, tuple | list):
        return [_to_json(x) for x in obj]
    return obj


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _addr(value: dict[str, Any] | None) -> Address | None:
    return Address(**value) if value else None


def _message_from_json(d: dict[str, Any]) -> Message:
    cal = tuple(
        CalendarEvent(
            **{
                **c,
                "start": datetime.fromisoformat(c["start"]),
                "end": _dt(c.get("end")),
                "attendees": tuple(c.get("attendees", ())),
            }
        )
        for c in d.get("calendar", ())
    )
    auto = d.get("auto") or {}
    return Message(
        id=d["id"],
        folder=d["folder"],
        message_id=d["message_id"],
        subject=d.get("subject", ""),
        from_=_addr(d.get("from_")),
        to=tuple(Address(**a) for a in d.get("to", ())),
        cc=tuple(Address(**a) for a in d.get("cc", ())),
        reply_to=tuple(Address(**a) for a in d.get("reply_to", ())),
        date=_dt(d.get("date")),
        in_reply_to=tuple(d.get("in_reply_to", ())),
        references=tuple(d.get("references", ())),
        text=d.get("text", ""),
        signature=d.get("signature", ""),  # absent in what older agents stored
        calendar=cal,
        auto=AutoMarkers(
            **{**auto, "failed_recipients": tuple(auto.get("failed_recipients", ())),
               "delayed_recipients": tuple(auto.get("delayed_recipients", ()))}
        ),
        content_type=d.get("content_type", ""),
        has_calendar_part=d.get("has_calendar_part", False),
        marker=d.get("marker"),
        thread_hint=d.get("thread_hint"),
        labels=frozenset(d.get("labels", ())),
        has_body=d.get("has_body", True),
        defects=tuple(d.get("defects", ())),
    )
