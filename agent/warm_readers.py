"""Make the mail readers ready while a cold poll's parent waits for its threading child.

Why: on a cold poll the parent process has nothing to do between writing the
mailbox down and receiving the candidate conversations from the child that
threads them (agent/forked.py): about 0.4 s at 20,000 messages, one core
idle. The stages that follow (bodies, reading, deciding) then spent about
0.3 s of their own on first use: importing the signal readers and icalendar,
and compiling a few hundred regular expressions that are compiled on first
use (agent/lazy_pattern.py, the rule tables of agent/signals/cues.py). Done
in the wait instead, the same work costs the poll nothing.

The warm-up is a list of small steps (one import, one module's patterns) and
stops as soon as ``stop()`` says the child has answered, so it never delays
the poll by more than one step. It changes no result: an import or a
compiled pattern is the same whenever it happens. Nothing here runs in the
service (which threads in-process and has no wait).

:func:`warm_sync` does the same, on a smaller scale, for a command-line poll while its
login and fingerprint wait for the server (agent/backends/open.py's ``HeadStart``): what a
poll after new mail needs to sync it and tell whether it reaches a candidate.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.config import Config

__all__ = ["READERS", "SYNC_READERS", "warm_readers", "warm_sync"]

#: the modules the bodies, reading and deciding stages import on a cold poll, in the order they
#: first need them (importing one imports the readers it uses)
READERS = (
    "agent.mail.parse",
    "agent.mail.html_text",
    "agent.mail.quotes",
    "icalendar",
    "agent.signals.tracking",
    "agent.signals.events",
    "agent.signals.company",
    "agent.mail.related",
    "agent.policy",
)

#: the modules a poll after new mail imports to sync it and tell whether it reaches a candidate
#: conversation (agent/quick_poll.py keeps the last answer when it does not), in that order
SYNC_READERS = (
    "agent.quick_poll",
    "agent.engine",
    "agent.syncing",
    "agent.mail.parse",
    "agent.candidates",
    "agent.signals.recruiting_lang",
    "agent.signals.autoreply",
    "agent.signals.recruiting",
    "agent.signals.candidacy",
    "agent.notify",
)

#: the packages whose module-level patterns are compiled ahead
_PACKAGES = ("agent.signals.", "agent.mail.")


def warm_readers(stop: Callable[[], bool], config: Config) -> int:
    """Import the readers and compile their patterns until ``stop()``; returns the steps done."""
    return _until(stop, _steps(config))


def warm_sync(stop: Callable[[], bool], config: Config) -> int:
    """The same for a poll in a fresh process while its mailbox logs in and takes the
    fingerprint (agent/backends/open.py's HeadStart): import :data:`SYNC_READERS`, then run
    one header block through the parser and the candidate test, as the first new message
    would; returns the steps done. On a poll that turns out to have nothing new, the steps
    it did were done in a wait, and it stops when the wait ends."""
    return _until(stop, [*(functools.partial(_import, name) for name in SYNC_READERS),
                         functools.partial(_test_header, PERSONAL, config),
                         functools.partial(_test_header, SAMPLE.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n",
                                           config)])


def _until(stop: Callable[[], bool], steps: Iterable[Callable[[], None]]) -> int:
    """Run ``steps`` one by one until ``stop()`` says enough; returns how many ran."""
    done = 0
    for step in steps:
        if stop():
            break
        step()
        done += 1
    return done


#: a friend's mail, the commonest new message: the candidate test runs all its checks on it
PERSONAL = b"""From: Alex Kim <alex.kim@example.net>\r
To: Sam Doe <sam@example.org>\r
Subject: Dinner on Friday?\r
Date: Tue, 03 Nov 2026 18:00:00 +0000\r
Message-ID: <warm-up.3@example.net>\r
MIME-Version: 1.0\r
Content-Type: text/plain; charset="utf-8"\r
\r
"""


def _test_header(head: bytes, config: Config) -> None:
    """A header block parsed and tested as a new message's is (the answer is not kept)."""
    from agent.candidates import is_candidate
    from agent.mail.parse import parse_message
    from agent.model import Conversation, RawMessage

    m = parse_message(RawMessage(id="warm-up", folder="inbox", data=head, headers_only=True))
    is_candidate(Conversation("warm-up", (m,)), config)


def _steps(config: Config) -> Iterator[Callable[[], None]]:
    """The imports first (each a step), then one sample message read through the parser and the
    readers, the other languages' tables, then each reader module's patterns (a step per
    module, the modules listed when the imports are done)."""
    for name in READERS:
        yield functools.partial(_import, name)
    yield functools.partial(_read_sample, config)
    yield _language_tables
    for module in [m for n, m in list(sys.modules.items()) if n.startswith(_PACKAGES) and m is not None]:
        yield functools.partial(_compile_patterns, module)


def _import(name: str) -> None:
    with contextlib.suppress(ImportError):  # not installed: its first use will say so
        importlib.import_module(name)


#: an invitation with a quoted reply and a signature: its reading takes the paths a recruiter's
#: message takes (the MIME parser, the calendar part, the quote and signature cutters, the
#: language detector's models, which load on their first question, and the signal readers)
SAMPLE = b"""From: Rosa Quintero <rosa@acme.example>\r
To: Sam Doe <sam@example.org>\r
Subject: Re: Interview for the Platform Engineer role\r
Date: Tue, 03 Nov 2026 10:00:00 +0000\r
Message-ID: <warm-up.2@acme.example>\r
In-Reply-To: <warm-up.1@example.org>\r
References: <warm-up.1@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/alternative; boundary="b"\r
\r
--b\r
Content-Type: text/plain; charset="utf-8"\r
\r
Hi Sam, thank you for applying. Could we schedule a 30 minute call with the hiring manager on\r
Thursday, November 5 at 2:00 pm EST? Please let me know if another time works better.\r
\r
Best regards,\r
Rosa Quintero\r
Recruiter | Acme\r
\r
On Mon, Nov 2, 2026 at 9:00 AM Sam Doe <sam@example.org> wrote:\r
> I would love to talk about the role.\r
--b\r
Content-Type: text/calendar; charset="utf-8"; method=REQUEST\r
\r
BEGIN:VCALENDAR\r
VERSION:2.0\r
METHOD:REQUEST\r
BEGIN:VEVENT\r
UID:warm-up@acme.example\r
DTSTAMP:20261103T100000Z\r
DTSTART;TZID=America/New_York:20261105T140000\r
DTEND;TZID=America/New_York:20261105T143000\r
SUMMARY:Interview: Sam Doe\r
ORGANIZER;CN=Rosa Quintero:mailto:rosa@acme.example\r
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:sam@example.org\r
END:VEVENT\r
END:VCALENDAR\r
--b--\r
"""


def _read_sample(config: Config) -> None:
    """Read :data:`SAMPLE` as a candidate conversation is read (the answer is not kept)."""
    from agent.lang import detect
    from agent.mail.parse import parse_message
    from agent.model import Conversation, RawMessage
    from agent.signals.events import extract_facts
    from agent.signals.tracking import classify

    m = parse_message(RawMessage(id="warm-up", folder="inbox", data=SAMPLE))
    detect(m.text)
    conv = Conversation("warm-up", (m,))
    classify(conv, config)
    extract_facts(conv, config)


def _language_tables() -> None:
    """The other languages' date grammars and recruiting words (built and compiled once per
    process, on the first message read in any language)."""
    from agent.signals import recruiting_lang, slots_lang

    slots_lang.languages()
    for code in recruiting_lang.languages():
        vocabulary = recruiting_lang.vocabulary(code)
        for rule in vocabulary.rules if vocabulary is not None else ():
            rule.pattern  # noqa: B018 (kept by the rules' own cache)


def _compile_patterns(module: ModuleType) -> None:
    """Compile the module's lazy patterns and rule tables (a module-level pattern, or a tuple or
    list of them, or of rules; the same objects their first use would compile)."""
    from agent.lazy_pattern import LazyPattern
    from agent.signals.cues import Rule

    for item in _values(vars(module).values()):
        if isinstance(item, LazyPattern):
            item.compiled  # noqa: B018 (compiled and kept by the pattern itself)
        elif isinstance(item, Rule):
            item.pattern  # noqa: B018 (kept by the rules' own cache)


def _values(values: Iterable[object], depth: int = 0) -> Iterator[object]:
    """The values, and the items of the tuples and lists among them, two levels deep (a table of
    rules, a table of (pattern, flag, name) rows)."""
    for value in list(values):
        if isinstance(value, tuple | list) and depth < 2:
            yield from _values(value, depth + 1)
        else:
            yield value
