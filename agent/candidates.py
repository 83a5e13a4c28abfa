"""Which conversations might be the job search: threading under the config's rules, and a
cheap header-only test that decides whose bodies are fetched. Pure.

The test errs on the side of yes for anything that is not plainly bulk mail:
the tracking verdict (agent/signals/tracking.py) reads the bodies and has the
last word; a conversation left out here is never seen again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from agent.config import Config
from agent.lazy_pattern import lazy
from agent.mail.thread import CompanyKeys, build_conversations, company_keys, link_keys
from agent.model import Conversation, Message

# The signal readers (agent/signals/*) and agent.mail.related are imported inside the functions
# that read messages, not here: a warm poll with nothing new takes its candidates from the cache
# (it needs only selection_key) and importing the readers was most of its start-up (issue 15, item 3).

__all__ = ["THREADING_RULES", "HeaderTests", "candidates_of", "header_tests", "is_candidate", "links", "new_keys", "related_threads",
           "selection_key", "thread_messages"]

#: the threading's rules: raised whenever they group the same mail differently, so that candidates
#: cached under older rules are threaded again (2: a message reusing another's Message-ID is no
#: longer collapsed into it, which had cached conversations without their invitation; 3: an ATS
#: tenant is read from a local part with role words around it, "careers-corbel@…"; 4: a delivery report is
#: always a candidate, and one naming no Message-ID joins by its recipient)
THREADING_RULES = 4

_RECRUITER_ADDRESS = lazy(r"recruit|talent|search|staffing|hiring|careers|headhunt|placement", re.I)


def selection_key(config: Config) -> str:
    """What candidate selection depends on besides the mail: a change re-threads everything."""
    rc = config.recruiting
    parts = ("links-v1", THREADING_RULES, sorted(config.user_addresses), rc.ats_domains, rc.personal_domains,
             rc.job_alert_domains, rc.track_label, rc.ignore_label, config.policy.thread_window.total_seconds())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def new_keys(config: Config) -> CompanyKeys:
    """One memo of company keys per poll, shared by the link index and the threading."""
    return company_keys(config.identity, config.recruiting.ats_domains, config.recruiting.personal_domains)


def links(messages: list[Message], config: Config, keys: CompanyKeys | None = None) -> dict[str, frozenset[str]]:
    """Each message's thread keys, for the store's link index (which messages to re-thread together)."""
    return link_keys(messages, user_addresses=config.user_addresses, ats_domains=config.recruiting.ats_domains,
                     personal_domains=config.recruiting.personal_domains,
                     keys=keys if keys is not None else new_keys(config))


def thread_messages(messages: list[Message], config: Config, keys: CompanyKeys | None = None) -> list[Conversation]:
    """``messages`` grouped into conversations under this config's threading rules."""
    return build_conversations(
        messages,
        user_addresses=config.user_addresses,
        ats_domains=config.recruiting.ats_domains,
        window=config.policy.thread_window,
        personal_domains=config.recruiting.personal_domains,
        keys=keys if keys is not None else new_keys(config),
    )


def candidates_of(messages: list[Message], config: Config, forced: Collection[str], keys: CompanyKeys | None,
                  tests: HeaderTests | None = None) -> tuple[list[Conversation], int]:
    """The candidate conversations among ``messages`` (``forced``: marked as recruiting by the
    user) and how many conversations there are; ``tests``: :func:`header_tests` of exactly
    these messages, made beforehand (a cold sync makes them batch by batch)."""
    convs = thread_messages(messages, config, keys)
    return [c for c in convs if c.id in forced or is_candidate(c, config, tests)], len(convs)


@dataclass
class HeaderTests:
    """The one-message parts of :func:`is_candidate`, worked out ahead for a set of messages.

    Why: on a cold poll they are most of the candidate test's time (about 0.2 s at 20,000
    messages), and the cold sync can work them out for each batch while the server prepares
    the next one; the threading then only combines them. Only the ids for which a test
    holds are kept (sets, not a row per message), so the contract is that the tests were
    made over every message they are asked about. Bulk mail is most of a mailbox and its
    test is cheap (a few header fields), so it is not kept (250,000 ids would cost about
    17 MB): it is asked again, and whether a bulk message looks recruiting is left until a
    conversation asks (rarely: only one that is not all bulk), as in :func:`is_candidate`.
    """

    user: set[str] = field(default_factory=set)  # sent by the user
    recruiting: set[str] = field(default_factory=set)  # not bulk, and its headers say recruiting

    def add(self, messages: Iterable[Message], config: Config) -> None:
        """Test these messages (the same tests :func:`is_candidate` makes on its own)."""
        from agent.signals.autoreply import is_bulk
        from agent.signals.recruiting import is_user

        alerts = config.recruiting.job_alert_domains
        for m in messages:
            if m.from_ and is_user(m.from_, config):
                self.user.add(m.id)
            elif is_bulk(m, alerts) is not None:  # asked of the others only, as is_candidate does
                continue
            if _looks_recruiting(m, config):
                self.recruiting.add(m.id)

    def looks_recruiting(self, m: Message, config: Config) -> bool:
        """:func:`_looks_recruiting`, from the tests where they hold the answer."""
        from agent.signals.autoreply import is_bulk

        if m.id in self.recruiting:
            return True
        if m.id in self.user or is_bulk(m, config.recruiting.job_alert_domains) is None:
            return False  # tested ahead, and it does not
        return _looks_recruiting(m, config)


def header_tests(messages: Iterable[Message], config: Config) -> HeaderTests:
    """:class:`HeaderTests` of ``messages``."""
    tests = HeaderTests()
    tests.add(messages, config)
    return tests


def related_threads(candidates: list[Conversation], config: Config) -> list[Conversation]:
    """The company's answers, notices and invitations in other threads joined to their conversation
    (agent/mail/related.py)."""
    from agent.mail.related import join_related
    from agent.signals import bounces
    from agent.signals.autoreply import is_bulk
    from agent.signals.bounces import bounce

    rc = config.recruiting
    return join_related(candidates, keys=new_keys(config), users=config.identity,
                        window=config.policy.thread_window, employer_domains=config.employer_domains,
                        skip=lambda m: is_bulk(m, rc.job_alert_domains) is not None or bounce(m) is not None,
                        reported=bounces.addresses)


def is_candidate(conv: Conversation, config: Config, tests: HeaderTests | None = None) -> bool:
    """A cheap, header-only test: could this be a recruiting conversation? (``tests``: its
    messages' :class:`HeaderTests`, made beforehand; else they are made now.)"""
    from agent.signals import recruiting_lang
    from agent.signals.autoreply import is_bulk
    from agent.signals.recruiting import INTERVIEW_WORDS, is_user

    if any(m.auto.is_report for m in conv.messages):
        return True  # a bounce (even from the empty sender, even marked bulk): its body says whose
    if tests is None:
        others = [m for m in conv.messages if m.from_ and not is_user(m.from_, config)]
    else:
        others = [m for m in conv.messages if m.from_ and m.id not in tests.user]
    if not others:
        return False
    labels = frozenset().union(*(m.labels for m in conv.messages))
    if config.recruiting.track_label in labels or config.labels.track in labels:
        return True
    if all(is_bulk(m, config.recruiting.job_alert_domains) for m in others):
        return False
    if any(tests.looks_recruiting(m, config) if tests is not None else _looks_recruiting(m, config)
           for m in conv.messages):
        return True
    if _answered_outreach(conv, others, config):
        return True
    # text read whatever has_body says: a body stored by an older parser is marked header-only
    # to be read again (agent.store) and keeps its text, so it stays the candidate it was
    return any(INTERVIEW_WORDS.search(m.text[:3000]) or recruiting_lang.mentions_interview(m.text[:3000])
               for m in others)


def _looks_recruiting(m: Message, config: Config) -> bool:
    """One message's headers say recruiting: an invitation, an ATS sender, a hiring subject."""
    from agent.signals import recruiting_lang
    from agent.signals.candidacy import JOB_SUBJECT
    from agent.signals.recruiting import _SUBJECT_WORDS, INTERVIEW_WORDS, is_ats

    if m.has_calendar_part or m.calendar:
        return True
    if m.from_ and is_ats(m.from_, config):
        return True
    return bool(INTERVIEW_WORDS.search(m.subject) or _SUBJECT_WORDS.search(m.subject)
                or JOB_SUBJECT.search(m.subject) or recruiting_lang.subject_words(m.subject))


def _answered_outreach(conv: Conversation, others: list[Message], config: Config) -> bool:
    """Recruiter outreach with an unassuming subject that the user answered: from a business, or
    from web-mail under a recruiter's name ("rosa.quintero.search@gmail.com")."""
    from agent.signals.recruiting import is_personal, is_user

    if not any(is_user(m.from_, config) for m in conv.messages):
        return False
    return any(not is_personal(m.from_, config) or _RECRUITER_ADDRESS.search(f"{m.from_.local} {m.from_.name}")
               for m in others if m.from_)
