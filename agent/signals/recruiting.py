"""Is this conversation about a job, and who is the company in it?

A thread is tracked when a person at a company (or a recruiting system acting
for one) writes to the user about a role. Evidence, strongest first: a user
label forcing it either way; a calendar invitation naming an interview; an
applicant-tracking-system sender that is not a bare "we received your
application"; recruiting vocabulary in the subject; recruiting vocabulary in
the body of a business sender's message that the user answered. Newsletters,
job alerts, marketing, automatic acknowledgements and personal mail are not.
"""

from __future__ import annotations

import re

from agent.config import Config
from agent.lazy_pattern import lazy
from agent.model import Address, Conversation, Message
from agent.signals.autoreply import _domain_in

# agent.signals.company, company_domain and recruiting_lang are imported in the functions below:
# the address tests here are what every poll needs (agent/recipients.py names a draft's
# recipient with them), and those modules were a large part of a warm poll's start-up (issue 15).

INTERVIEW_WORDS = lazy(
    r"\b(interview(s|ing|ed)?|phone screen(ing)?|screening call|technical screen|onsite|on-site|"
    r"panel|hiring manager|final round|next round|coding (challenge|exercise)|take-home|"
    r"virtual interview|video call with)\b",
    re.I,
)
_SUBJECT_WORDS = lazy(
    r"\b(interview|application|applied|candidacy|candidate|position|role|opening|opportunity|"
    r"recruit(er|ing|ment)?|hiring|talent|job|career[s]?|offer|screen(ing)?|onsite|"
    r"references?|next steps?|your (background|profile|resume|cv))\b",
    re.I,
)
_BODY_WORDS = lazy(
    r"\b(interview\w*|recruit\w*|hiring|hiring manager|position|role|candidate\w*|"
    r"application|resume|résumé|cv|talent acquisition|job description|salary|compensation|"
    r"opportunit\w+|team|offer|references?|onsite|phone screen)\b",
    re.I,
)
# A person writing from personal web-mail counts only when they write *as a recruiter*:
# "how did your interview go?" from family is personal mail, "your interview with the
# hiring manager is confirmed" from an independent recruiter is not.
RECRUITER_VOICE = lazy(
    r"\b(i'?m an? ([\w-]+ ){0,2}recruiter|i recruit|recruit(er|ing) (at|for|with)|talent partner|"
    r"your (background|profile|resume|résumé|cv|experience) (looks|seems|caught|stood)|"
    r"(is|are|we're|we are) (hiring|looking for)|(open|interested) (to|in) (a|the) "
    r"(chat|call|conversation|role|position|opportunity)|"
    r"your (interview|call|phone screen|screen|onsite)\b[^.?!]{0,60}\b(is|has been) (confirmed|scheduled|booked)|"
    r"(schedule|set up|book) (an|your|a) (interview|call|screen)|"
    r"(the|this|a) (role|position|opening|opportunity) (at|with|for)|job description|compensation range)",
    re.I,
)
_ACK = lazy(
    r"\b(we('ve| have)? received your application|thank you for (applying|your application|your interest)|"
    r"thanks for (applying|your interest)|application (has been )?(received|submitted)|"
    r"your application (to|for) .{0,80} (has been|was) (received|submitted))\b",
    re.I,
)
_NOREPLY = lazy(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|notifications?|notify|mailer|"
    r"automated|system|alerts?|info|news(letter)?|marketing|jobs-noreply|careers-noreply)"
    r"([-_.+]|$)",
    re.I,
)

def is_noreply(addr: Address) -> bool:
    """A no-reply style mailbox: never a recipient."""
    return bool(_NOREPLY.match(addr.local)) or "noreply" in addr.local or "no-reply" in addr.local


def is_user(addr: Address | None, config: Config) -> bool:
    """One of the user's addresses (plus-addresses and aliases too): see agent/identity.py."""
    return config.identity.is_user(addr)


def is_personal(addr: Address, config: Config) -> bool:
    return _domain_in(addr.domain, config.recruiting.personal_domains)


def is_ats(addr: Address, config: Config) -> bool:
    return _domain_in(addr.domain, config.recruiting.ats_domains)


def is_ack(msg: Message, config: Config) -> bool:
    """An automatic "we received your application" with no human in it."""
    if not msg.from_:
        return False
    text = f"{msg.subject}\n{msg.text[:3000]}"
    if not (is_noreply(msg.from_) or is_ats(msg.from_, config)):
        return False
    if _ACK.search(text) and not INTERVIEW_WORDS.search(text):
        return True
    from agent.signals.recruiting_lang import acknowledges, message_language

    return acknowledges(text, message_language(msg))  # "wir haben Ihre Bewerbung erhalten", …


def guess_company(conv: Conversation, config: Config) -> str | None:
    """The company's name as it writes it (see agent/signals/company.py), or None."""
    from agent.signals.company import company_name

    found = company_name(conv, config)
    return found.name if found else None


def company_from_domain(domain: str) -> str:
    """``talent.acme-robotics.com`` → ``Acme Robotics``; ``acme.co.uk`` → ``Acme`` (the last resort)."""
    from agent.signals.company_domain import name_from_domain

    return name_from_domain(domain)
