"""Is this conversation the user's own job search? Tracked, possible, or not.

POLICY: a conversation is tracked only when it is about the user's own
candidacy with an employer — directly, through an agency, or through an
applicant-tracking system. Everything that merely looks like it (the user on
an interview panel at their own employer, a podcast booking, an admissions
interview, a dental appointment, a landlord's viewing, a vendor's demo, …)
is never tracked, whatever words it uses; and when the evidence is weak the
agent does not guess: the conversation is *possible*, gets no draft, and
``status --possible`` lists it with the reason and the command that settles
it.

The verdict weighs all the evidence there is, in this order:

1. The user's word: a label or ``mark`` forces it either way (the engine
   applies marks).
2. Plain structure: only the user's own messages; only bulk or list mail;
   only automatic acknowledgements with no person behind them.
3. Who writes for whom: mail from the user's own employer (``account.
   employer_domains``, the domains of the user's work addresses, the
   employer named in the user's own signature) or through the employer's ATS
   tenant, invitations organised there, a candidate named who is not the
   user; an ATS acting for another company; personal web-mail without a
   recruiter's voice; recruiter mail the user never answered.
4. Words, as weighted rules: candidacy (agent/signals/candidacy.py) against
   each look-alike category (agent/signals/lookalike.py).

Then: clear candidacy evidence that outweighs every look-alike → tracked;
a look-alike at least as strong as the candidacy evidence → not tracked
("it looks like a podcast booking"); anything in between → possible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.config import Config
from agent.lazy_pattern import lazy
from agent.mail.thread import registrable_name
from agent.model import Conversation, Message
from agent.signals import candidacy, lookalike, recruiting_lang
from agent.signals.autoreply import auto_reply, is_bulk
from agent.signals.bounces import bounce
from agent.signals.cues import Cue, scan, total
from agent.signals.lookalike import DESCRIBED
from agent.signals.recruiting import (
    INTERVIEW_WORDS,
    guess_company,
    is_ack,
    is_ats,
    is_personal,
    is_user,
)
from agent.signals.verdict import SETTLE as SETTLE
from agent.signals.verdict import Tracking as Tracking

#: candidacy evidence at least this strong can be tracked ...
TRACK_AT = 4
#: ... when it outweighs the strongest look-alike by this much (one less will do when nothing at all
#: says it is something else; and evidence twice as strong as TRACK_AT need only outweigh it: a
#: podcast network's recruiter talks of podcasts, and says "your application for the role" too)
MARGIN = 3
@dataclass(frozen=True)
class _Parties:
    """A conversation's messages by who wrote them."""

    user: tuple[Message, ...]
    others: tuple[Message, ...]  # not the user's, with a sender
    people: tuple[Message, ...]  # others that are not bulk, bounces or automatic replies

    @classmethod
    def of(cls, conv: Conversation, config: Config) -> _Parties:
        user = tuple(m for m in conv.messages if is_user(m.from_, config))
        others = tuple(m for m in conv.messages if m.from_ and not is_user(m.from_, config))
        rc, tz = config.recruiting, config.account.tz
        people = tuple(m for m in others if not is_bulk(m, rc.job_alert_domains) and bounce(m) is None
                       and auto_reply(m, tz) is None)
        return cls(user, others, people)


def classify(conv: Conversation, config: Config) -> Tracking:
    """Decide whether ``conv`` is the user's own job search (see the module docstring)."""
    company = guess_company(conv, config)
    by_label = _by_label(conv, config, company)
    if by_label is not None:
        return by_label
    parties = _Parties.of(conv, config)
    plain = _plainly_not(parties, config)
    if plain is not None:
        return plain
    cues = (*scan(candidacy.RULES + lookalike.RULES, parties.people, parties.user),
            *recruiting_lang.cues(parties.people, parties.user),  # German, French, Spanish words
            *_structural_cues(conv, parties, config))
    cues = _without_mass_mail_if_answered(cues, parties)
    cues = (*cues, *_unsolicited(cues, parties))
    return _verdict(cues, company, parties, config)


def _by_label(conv: Conversation, config: Config, company: str | None) -> Tracking | None:
    rc = config.recruiting
    labels = frozenset().union(*(m.labels for m in conv.messages))
    for label in (config.labels.ignore, rc.ignore_label):
        if label in labels:
            return Tracking(False, f"the label {label!r} says to ignore it")
    for label in (config.labels.track, rc.track_label):
        if label in labels:
            return Tracking(True, f"the label {label!r} says to track it", company)
    return None


def _plainly_not(parties: _Parties, config: Config) -> Tracking | None:
    if not parties.others:
        return Tracking(False, "only your own messages")
    rc = config.recruiting
    bulk = [m for m in parties.others if is_bulk(m, rc.job_alert_domains)]
    if len(bulk) == len(parties.others):
        kind = lookalike.JOB_ALERT if any(_domain_in_list(m, rc.job_alert_domains) for m in bulk) else None
        return Tracking(False, f"bulk or list mail ({is_bulk(bulk[0], rc.job_alert_domains)})", looks_like=kind)
    # what people would have written: an acknowledgement may also carry Auto-Submitted
    rest = [m for m in parties.others if m not in bulk and bounce(m) is None]
    acks = [m for m in rest if is_ack(m, config)]
    if acks and all(m in acks or m not in parties.people for m in rest):
        return Tracking(False, "only an automatic application acknowledgement, no human contact",
                        looks_like=lookalike.ACK)
    if not parties.people:
        return Tracking(False, "only automatic mail (bounces, automatic replies), no person")
    return _all_colleagues(parties, config)


def _all_colleagues(parties: _Parties, config: Config) -> Tracking | None:
    """Everyone else writes from the user's current employer: their work, not their job search.

    POLICY: the user as interviewer, panelist or scorecard writer at their own
    employer is never tracked. (An internal move is the exception the user
    settles with ``mark THREAD recruiting``.)
    """
    employer = employer_keys(parties, config)
    senders = {registrable_name(m.from_.domain) for m in parties.people if m.from_}
    if employer and senders and senders <= employer:
        where = ", ".join(sorted({m.from_.domain for m in parties.people if m.from_}))
        return Tracking(False, f"everyone else writes from your current employer ({where}): your own work, "
                               "not your job search", looks_like=lookalike.INTERVIEWER)
    return None


def _domain_in_list(m: Message, domains: tuple[str, ...]) -> bool:
    dom = m.from_.domain if m.from_ else ""
    return any(dom == d or dom.endswith("." + d) for d in domains)


# --- who writes for whom ----------------------------------------------------------------------


def employer_keys(parties: _Parties, config: Config) -> frozenset[str]:
    """The user's current employer, as registrable names ("northwindtraders").

    From ``account.employer_domains``, the user's own work addresses, and the
    employer the user's own signature names ("Senior Data Engineer | Northwind
    Traders" names ``northwindtraders.com``'s company when a counterpart writes
    from there).
    """
    # (a configured vanity domain is harmless: nobody else writes from it)
    keys = {registrable_name(d) for d in config.employer_domains}
    signed = " ".join(_squash_words(m.signature) for m in parties.user if m.signature)
    for m in parties.people:
        if m.from_ and not is_personal(m.from_, config) and not is_ats(m.from_, config):
            name = registrable_name(m.from_.domain)
            if len(name) >= 5 and f" {name} " in f" {signed} ":
                keys.add(name)
    return frozenset(k for k in keys if k)


def _squash_words(text: str) -> str:
    """Every run of 1-4 consecutive words with the spaces taken out, lower-case."""
    words = [w for w in re.split(r"[^\w&]+", text.lower()) if w]
    runs = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(i + 5, len(words) + 1))}
    return " ".join(sorted(runs))


def _structural_cues(conv: Conversation, parties: _Parties, config: Config) -> list[Cue]:
    employer = employer_keys(parties, config)
    out = _employer_cues(parties, config, employer)
    out += _calendar_cues(conv, config, employer)
    out += _ats_cues(parties, config, employer)
    out += _personal_cues(parties, config)
    out += _interview_cues(parties, config, employer)
    out += _blast_cues(parties, config)
    out += _list_reply_cues(conv, parties)
    out += _employer_hiring_cues(parties, employer)
    return out


_HIRING_AT = lazy(
    r"\b((?:[A-Z][\w&'.-]*\s+){0,3}[A-Z][\w&'.-]*)\s+(?:is|are)\s+(?:currently\s+|now\s+)?hiring\b|"
    r"\b(?:hiring|openings?|roles?|reqs?|positions?)\s+at\s+((?:[A-Z][\w&'.-]*\s*){1,4})"
)


def _employer_hiring_cues(parties: _Parties, employer: frozenset[str]) -> list[Cue]:
    """The company said to be hiring is the user's own employer: they are the hiring side
    (an agency offering them candidates, a vendor), not a candidate."""
    if not employer:
        return []
    for m in parties.people:
        for hit in _HIRING_AT.finditer(m.text[:5000]):
            name = "".join(w.lower() for w in re.findall(r"\w+", hit.group(1) or hit.group(2) or ""))
            if len(name) >= 4 and any(k in name or name in k for k in employer if len(k) >= 4):
                return [Cue(lookalike.VENDOR, "your own employer is the one hiring", 6, m.message_id,
                            " ".join(hit.group(0).split()))]
    return []


def _list_reply_cues(conv: Conversation, parties: _Parties) -> list[Cue]:
    """A person answering in a thread that began as their own newsletter or list mail.

    The person is the list's sender when they write from its domain or under the name it
    is sent in ("Marguerite Ellison-Diaz from The Offer Stage" on a newsletter platform).
    """
    # a real list (List-Id, Precedence: bulk or list), not merely List-Unsubscribe: recruiters'
    # sequencing tools add that one to one-to-one outreach too
    lists = [m.from_ for m in conv.messages
             if m.from_ and (m.auto.list_id or m.auto.precedence in ("bulk", "list"))]
    if not lists:
        return []
    domains = {a.domain for a in lists}
    names = [a.name.lower() for a in lists if a.name]
    writers = [m for m in parties.people if m.from_ and (
        m.from_.domain in domains or (m.from_.name and any(m.from_.name.lower() in n for n in names)))]
    if not writers:
        return []
    return [Cue(lookalike.NEWSLETTER, "an answer in a newsletter's thread", 4, writers[0].message_id,
                f"{writers[0].from_.email if writers[0].from_ else ''} also sends the list mail in this thread")]


def _blast_cues(parties: _Parties, config: Config) -> list[Cue]:
    """Mail that reached the user only as a blind copy ("undisclosed recipients"), never answered."""
    if parties.user:
        return []
    blind = [m for m in parties.people
             if (m.to or m.cc) and not any(config.identity.is_user(a) for a in (*m.to, *m.cc))]
    if blind and len(blind) == len(parties.people):
        return [Cue(lookalike.MASS_MAIL, "sent to others, you only in blind copy", 3, blind[0].message_id,
                    f"To: {', '.join(a.email for a in blind[0].to[:2]) or 'undisclosed recipients'}")]
    return []


def _interview_cues(parties: _Parties, config: Config, employer: frozenset[str]) -> list[Cue]:
    """An interview with a company, and a conversation the user takes part in.

    Weak on their own (podcasts and landlords interview people too, and the
    user answers them): they carry a conversation only where nothing says it is
    something else.
    """
    out: list[Cue] = []
    business = [m for m in parties.people if m.from_ and not is_personal(m.from_, config)
                and registrable_name(m.from_.domain) not in employer]
    for m in business:
        said = " ".join((m.subject, m.text[:5000], *(ev.summary for ev in m.calendar)))
        hit = INTERVIEW_WORDS.search(said) or recruiting_lang.interview_words(said, recruiting_lang.message_language(m))
        if hit:
            out.append(Cue(candidacy.INTERVIEW, "an interview with a company", 2, m.message_id,
                           f"{m.from_.email if m.from_ else ''}: …{said[max(0, hit.start() - 40):hit.end() + 40]}…"))
            break
    if business and parties.user:
        out.append(Cue(candidacy.INTERVIEW, "you answered them", 1, parties.user[0].message_id,
                       "a conversation you take part in"))
    return out


def _employer_cues(parties: _Parties, config: Config, employer: frozenset[str]) -> list[Cue]:
    out: list[Cue] = []
    staff = [m for m in parties.people if m.from_ and registrable_name(m.from_.domain) in employer]
    if staff:
        m = staff[0]
        every = len(staff) == len(parties.people)
        out.append(Cue(lookalike.INTERVIEWER, "from your own employer", 6 if every else 3, m.message_id,
                       f"{m.from_.email if m.from_ else ''} writes from your current employer"))
    return out


_NAMED = lazy(
    r"\b(?i:interview(?:ing)?|screen(?:ing)?|onsite|on-site|debrief|panel|loop|candidate|scorecard|feedback)\b"
    r"\s*(?:[:|–—-]|(?i:with|for|of))\s*([A-Z][a-zA-Z'’-]+(?:\s+[A-Z][a-zA-Z'’-]+){0,2})"
)


def _calendar_cues(conv: Conversation, config: Config, employer: frozenset[str]) -> list[Cue]:
    """Invitations: who organised them, and who is the candidate in them."""
    out: list[Cue] = []
    for m in conv.messages:
        for ev in m.calendar:
            org = registrable_name((ev.organizer or "").rpartition("@")[2])
            if org and org in employer:
                out.append(Cue(lookalike.INTERVIEWER, "organised at your own employer", 5, m.message_id,
                               f"invitation {ev.summary!r} from {ev.organizer}"))
            colleagues = [a for a in ev.attendees if not config.identity.is_user(a)
                          and registrable_name(a.rpartition("@")[2]) in employer]
            if colleagues:  # a prospective employer never invites your colleagues to your interview
                out.append(Cue(lookalike.INTERVIEWER, "your colleagues are invited too", 4, m.message_id,
                               f"invitation {ev.summary!r} also invites {colleagues[0]}"))
            if INTERVIEW_WORDS.search(ev.summary):
                cue = _candidate_named(ev.summary, org, config)
                if cue is not None:
                    out.append(Cue(cue[0], cue[1], cue[2], m.message_id, f"invitation {ev.summary!r}"))
    return out


def _candidate_named(summary: str, organizer: str, config: Config) -> tuple[str, str, int] | None:
    """Who an interview invitation's title names: the user, the organizer's company, or someone else.

    "Interview: Jordan Lee / Acme" names the user as the candidate; "Interview with
    Acme Robotics" from acmerobotics.com names the company the user meets; "Interview:
    Priya Shah - Senior Data Engineer (Panel)" names another person, whom the user
    would be interviewing.
    """
    named = _NAMED.search(summary)
    if not named:
        return None
    words = named.group(1).split()
    me = {w.lower() for w in config.account.name.split() if len(w) > 1}
    if {w.lower() for w in words} & me:
        return candidacy.INTERVIEW, "you are the one interviewed", 2
    squashed = "".join(w.lower() for w in words)
    if organizer and (squashed.startswith(organizer) or organizer.startswith(squashed)):
        return candidacy.CANDIDACY, "an interview with the organizer's company", 2
    if len(words) >= 2 and not _COMPANYISH.search(named.group(1)):
        return lookalike.INTERVIEWER, "someone else is the candidate", 2
    return None


_COMPANYISH = lazy(
    r"\b(?:Labs?|Inc|LLC|Ltd|GmbH|Corp\w*|Compan\w+|Group|Technolog\w+|Systems|Solutions|Robotics|Health\w*|"
    r"Bank|Capital|Partners|Analytics|Software|Studios?|Networks?|Industries|Holdings|Ventures|AI|Data|Cloud|"
    r"Media|Energy|Foods?|Bio\w*|Pharma\w*|Therapeutics|Financial|Insurance|Consulting|Digital|Games)\b"
)


def _ats_cues(parties: _Parties, config: Config, employer: frozenset[str]) -> list[Cue]:
    """A recruiting system writing for a company: candidacy, unless the company is the user's own."""
    for m in parties.people:
        if m.from_ and is_ats(m.from_, config) and not is_ack(m, config):
            tenant = _ats_tenant(m)
            if tenant and tenant in employer:
                return [Cue(lookalike.INTERVIEWER, "your employer's recruiting system", 5, m.message_id,
                            f"{m.from_.email} writes for {tenant}")]
            return [Cue(candidacy.CANDIDACY, "a recruiting system writes for a company", 3, m.message_id,
                        f"{m.from_.email} ({m.from_.name or 'no name'})")]
    return []


def _ats_tenant(m: Message) -> str | None:
    """The company an ATS message writes for, squashed like a registrable name."""
    for r in m.reply_to:
        if r.domain and r.domain != (m.from_.domain if m.from_ else ""):
            return registrable_name(r.domain)
    name = m.from_.name if m.from_ else ""
    words = [w for w in re.split(r"[^\w]+", name.lower())
             if w and w not in ("via", "the", "team", "hiring", "recruiting", "talent", "careers", "jobs", "hr",
                                "greenhouse", "lever", "workday", "ashby", "no", "reply", "noreply")]
    return "".join(words) or None


def _personal_cues(parties: _Parties, config: Config) -> list[Cue]:
    """Everyone else writes from personal web-mail, in no recruiter's voice: personal mail."""
    senders = [m for m in parties.people if m.from_]
    if senders and all(is_personal(m.from_, config) for m in senders if m.from_):
        return [Cue(lookalike.PERSONAL, "personal web-mail only", 2, senders[0].message_id,
                    f"{senders[0].from_.email if senders[0].from_ else ''} writes from a personal address")]
    return []


def _without_mass_mail_if_answered(cues: tuple[Cue, ...], parties: _Parties) -> tuple[Cue, ...]:
    """Recruiter outreach the user answered is a conversation, not mass mail."""
    if parties.user:
        return tuple(c for c in cues if c.kind != lookalike.MASS_MAIL)
    return cues


#: candidacy cues that only come once the user is in a hiring process (not in cold outreach)
PROCESS_CUES = frozenset({
    "an application for a role", "the hiring process", "an interview stage", "your interview",
    "a job title's interview", "a decision about candidates", "a recruiting system writes for a company",
    "you are the one interviewed", "an interview with the organizer's company", "a phone screen",
    "an interview for a role", "a decision to come",
})


def _unsolicited(cues: tuple[Cue, ...], parties: _Parties) -> list[Cue]:
    """Recruiter mail the user never answered, about no process they are in: mass mail.

    POLICY: never tracked, however much it talks of roles and salaries. It stands
    against all the candidacy evidence there is, so it can only be settled by the
    user (an answer, or ``mark THREAD recruiting``).
    """
    if parties.user or any(c.name in PROCESS_CUES for c in cues):
        return []
    pro = total(cues, candidacy.CANDIDACY) + total(cues, candidacy.INTERVIEW)
    if pro == 0:
        return []
    m = parties.people[0]
    return [Cue(lookalike.MASS_MAIL, "outreach you never answered", max(pro, 3), m.message_id,
                f"{m.from_.email if m.from_ else ''}: {m.subject[:80]}")]


# --- the verdict -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Weights:
    """The evidence summed: for the user's candidacy, for *an* interview, and the strongest look-alike."""

    own: int
    generic: int
    against: int
    looks: str | None
    why_pro: str
    looks_like: str  # "a podcast booking (podcast, an episode)", or ""
    decided_by: str | None

    @classmethod
    def of(cls, cues: tuple[Cue, ...]) -> _Weights:
        pro = (candidacy.CANDIDACY, candidacy.INTERVIEW)
        scores = {k: total(cues, k) for k in {c.kind for c in cues} - set(pro)}
        against, looks = max(((v, k) for k, v in scores.items()), default=(0, None))
        pro_cues = [c for c in cues if c.kind in pro]
        best = max(pro_cues, key=lambda c: (c.kind == candidacy.CANDIDACY, c.weight), default=None)
        why_con = _list(c.name for c in cues if c.kind == looks)
        return cls(total(cues, candidacy.CANDIDACY), total(cues, candidacy.INTERVIEW), against, looks,
                   _list(c.name for c in pro_cues), f"{DESCRIBED[looks]} ({why_con})" if looks is not None else "",
                   best.message_id if best else None)

    def tracked(self) -> str | None:
        """Why it is the user's own candidacy, or None."""
        if self.against < 2:
            ok = self.own >= 2 and self.own + self.generic >= TRACK_AT - 1
            return f"your own candidacy: {self.why_pro}" if ok else None
        clear = self.own - self.against >= MARGIN or (self.own >= 2 * TRACK_AT and self.own > self.against)
        if self.own >= TRACK_AT and clear:
            return f"your own candidacy: {self.why_pro}, outweighing {self.looks_like}"
        return None

    def something_else(self) -> bool:
        """A look-alike at least as strong, or one with nothing at all that speaks of a job."""
        return self.against >= 2 and ((self.against >= 3 and self.against >= self.own) or self.own == 0)


def _verdict(cues: tuple[Cue, ...], company: str | None, parties: _Parties, config: Config) -> Tracking:
    """Specific candidacy evidence against the strongest look-alike; interview evidence only alone.

    Evidence that there is *an* interview or a conversation (``INTERVIEW`` cues)
    says nothing about which kind: it carries a conversation only where no
    look-alike evidence stands against it.
    """
    w = _Weights.of(cues)
    why = w.tracked()
    if why is not None:
        return Tracking(True, why, company, w.decided_by, cues=cues)
    if w.something_else():
        return Tracking(False, f"it looks like {w.looks_like}, not your own job search", company,
                        looks_like=w.looks, cues=cues)
    if w.own >= 2 or w.generic >= 2 or (w.own + w.generic >= 1 and _mentions_interview(parties)):
        reason = (f"it could be your own job search ({w.why_pro}) but also {w.looks_like}" if w.against > 0
                  else f"weak evidence of your own job search ({w.why_pro})")
        return Tracking(False, reason, company, w.decided_by, possible=True, looks_like=w.looks, cues=cues)
    if w.looks is not None and w.against >= 2:
        return Tracking(False, f"it looks like {w.looks_like}", company, looks_like=w.looks, cues=cues)
    return Tracking(False, "no sign of your own job search (personal or other mail)", company, cues=cues)


def _mentions_interview(parties: _Parties) -> bool:
    return any(INTERVIEW_WORDS.search(m.subject) or INTERVIEW_WORDS.search(m.text[:5000])
               or recruiting_lang.interview_words(f"{m.subject}\n{m.text[:5000]}", recruiting_lang.message_language(m))
               for m in parties.people)


def _list(names: object) -> str:
    seen = list(dict.fromkeys(names))  # type: ignore[call-overload]
    return ", ".join(seen[:4]) + (", …" if len(seen) > 4 else "")
