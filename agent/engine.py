"""One poll: sync, rebuild what changed, decide, plan, report, apply.

The engine is the only place where the pure core (parse, thread, signals,
policy, drafts) meets the two stateful edges (the mailbox and the state
store). It computes a *plan* of actions, each with its reason; the caller
logs the plan, and the engine applies it unless it is a dry run.

Writes are idempotent. A draft's Message-ID is derived from (conversation,
round, step); before creating one the engine looks for it among the drafts
that exist, and it records intent before writing and the outcome after. A
crash between any two steps, or a second poll, therefore never duplicates or
loses a draft.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import re
import time as _time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from agent import facts_cache
from agent.backends.base import AliasSource, Labeller, Mailbox
from agent.businesstime import BusinessCalendar
from agent.config import Config
from agent.drafts import Draft, compose, draft_key, fingerprint
from agent.errors import AgentError, MailboxError
from agent.forked import Forked
from agent.mail.parse import parse_message
from agent.mail.related import join_related
from agent.mail.thread import CompanyKeys, build_conversations, company_keys, link_keys
from agent.model import (
    Conversation,
    Deadline,
    DeadlineStated,
    DraftInfo,
    Evidence,
    Fact,
    HumanReply,
    Interview,
    Message,
    Offer,
    RawMessage,
    Rejection,
    UserWrote,
)
from agent.policy import OPEN, Controls, Decision, decide
from agent.signals.autoreply import bounce, is_bulk
from agent.signals.candidacy import JOB_SUBJECT
from agent.signals.events import extract_facts
from agent.signals.recruiting import (
    _SUBJECT_WORDS,
    INTERVIEW_WORDS,
    guess_company,
    is_ats,
    is_personal,
    is_user,
)
from agent.signals.tracking import SETTLE, Tracking, classify
from agent.store import (
    CachedConversation,
    ControlRow,
    DescribedDrafts,
    DraftDescription,
    LedgerRow,
    ServerAliases,
    Store,
)

CREATE, ADOPT, WITHDRAW, RECORD = "create", "adopt", "withdraw", "record"


@dataclass(frozen=True)
class _ExistingDraft:
    info: DraftInfo
    message_id: str
    marker: dict[str, str]
    refs: frozenset[str]
    fingerprint: str


@dataclass(frozen=True)
class Action:
    """One step of the plan; ``reason`` is what the log and ``explain`` say."""

    kind: str  # create | adopt | withdraw | record
    conversation: str
    key: str
    reason: str
    step: str | None = None
    draft: Draft | None = None
    draft_id: str | None = None
    status: str | None = None  # for record: the ledger status to set
    to: str | None = None
    found: _ExistingDraft | None = None
    note_used: bool = False  # the user's note went into this draft (used once, then cleared)


@dataclass
class PollResult:
    now: datetime
    decisions: list[Decision]
    plan: list[Action]
    applied: bool
    stats: dict[str, Any] = field(default_factory=dict)
    untracked: list[tuple[Conversation, Tracking]] = field(default_factory=list)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    status: list[dict[str, Any]] = field(default_factory=list)  # status --json, one per decision
    history: dict[str, list[LedgerRow]] = field(default_factory=dict)  # drafts per conversation
    #: the config the poll ran with: the given one plus the server's aliases of the user
    config: Config | None = None
    #: status --possible: conversations that might be the job search but are not tracked
    possible: list[dict[str, Any]] = field(default_factory=list)
    #: every candidate's tracking verdict with its evidence (for ``explain``)
    tracking: dict[str, Tracking] = field(default_factory=dict)


def poll(
    config: Config,
    mailbox: Mailbox,
    store: Store,
    now: datetime,
    *,
    dry_run: bool = False,
) -> PollResult:
    """Run one cycle at ``now``. In a dry run nothing is written anywhere."""
    config = with_server_aliases(config, mailbox, store, now, dry_run=dry_run)
    with _collector_paused(), contextlib.ExitStack() as cleanup:
        return _poll(config, mailbox, store, now, dry_run=dry_run, cleanup=cleanup)


#: how long the server's list of the user's aliases is trusted before it is asked again
ALIASES_FOR = timedelta(days=1)


def with_server_aliases(config: Config, mailbox: Mailbox, store: Store, now: datetime, *,
                        dry_run: bool = False) -> Config:
    """``config`` knowing the aliases the server reports for the user (Gmail's sendAs).

    Asked at most once a day (one quota unit) and remembered in the state; when
    the server cannot say (a network fault, a token without the scope) the last
    known list stands, since an alias never stops having been the user's.
    """
    if not isinstance(mailbox, AliasSource):
        return config
    known = store.caches.server_aliases()
    aliases = list(known.aliases) if known is not None else []
    if known is None or not now - ALIASES_FOR < known.asked_at <= now:
        try:
            aliases = list(mailbox.aliases())
        except MailboxError:
            return config.with_aliases(aliases)
        if not dry_run:
            store.caches.save_server_aliases(ServerAliases(now, tuple(aliases)))
    return config.with_aliases(aliases)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one poll.

    A cold poll builds about a million small objects (20,000 parsed messages,
    their addresses, tuples, thread maps) that hold no reference cycles; the
    collector would walk all of them again on each of its passes (measured on
    20,000 messages: threading 0.80 s with it, 0.35 s without; parsing 1.19
    s, 0.74 s). Plain reference counting still frees everything as usual;
    the collector resumes when the poll ends (the service then finds any
    cycles on its next pass).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _poll(config: Config, mailbox: Mailbox, store: Store, now: datetime, *, dry_run: bool,
          cleanup: contextlib.ExitStack) -> PollResult:
    t0 = _time.perf_counter()
    phases: dict[str, float] = {}  # seconds per stage, for `--json` readers and bench/

    def lap(name: str) -> None:
        nonlocal t0
        t = _time.perf_counter()
        phases[name] = round(phases.get(name, 0.0) + t - t0, 4)
        t0 = t

    started = t0
    cal = BusinessCalendar.from_config(config)
    stats: dict[str, Any] = {}

    # 1. sync: only what changed since the stored cursor is parsed
    cs = mailbox.changes(store.get_cursor(mailbox.name))
    lap("sync")
    raws = {r.id: r for r in cs.added}
    parsed = [parse_message(r) for r in raws.values()]
    lap("parse")
    threading_all: Forked[tuple[list[Conversation], int]] | None = None
    if cs.full and len(parsed) >= _FORK_AT:
        # the whole mailbox is threaded in a child process while this one writes it down
        # (agent/forked.py); the child builds its own key memo, so neither waits on the other
        threading_all = cleanup.enter_context(
            Forked(functools.partial(_candidates_of, parsed, config, _forced(store), None)))
    keys = _company_keys(config)
    links = _links(parsed, config, keys)
    touched: set[str] = set()  # thread keys of what changed
    own = {m.id: m.message_id for m in parsed}
    if cs.full:
        store.replace_all(parsed, raws)
        store.set_links(links, replace_all=True, own=own)
    else:
        touched = store.links_of([*cs.removed, *links]) | {k for ks in links.values() for k in ks}
        store.remove_messages(cs.removed)
        store.put_messages(parsed, raws)
        store.set_links(links, own=own)
    stats.update(added=len(cs.added), removed=len(cs.removed), full_sync=cs.full)
    lap("store")

    # 2. conversations (plain data, no parsing). Nothing changed: the last poll's candidates
    # still stand. A few changes: re-thread only the messages linked to them. Else everything.
    cached = None if cs.full else _cached_candidates(store, config)
    if cached is not None and touched:
        affected = store.linked_closure(touched)
        kept = [c for c in cached if not any(m.id in affected or m.id in cs.removed for m in c.messages)]
        convs = thread_messages(store.get_messages(affected), config, keys)
        forced = _forced(store)
        candidates = kept + [c for c in convs if c.id in forced or is_candidate(c, config)]
        stats.update(rethreaded=len(affected))
    elif cached is not None:
        candidates = cached
    else:
        # after a full sync the store holds exactly what was just parsed
        messages = parsed if cs.full else store.get_messages()
        if not cs.full:  # the links may predate this config or this schema: rebuild them
            store.set_links(_links(messages, config, keys), replace_all=True,
                            own={m.id: m.message_id for m in messages})
        if threading_all is not None:
            stats["threaded_alongside"] = threading_all.forked
            candidates, n_convs = threading_all.result()
            if threading_all.child_max_rss_kb is not None:  # bench/: the memory this took too
                stats["threading_child_max_rss_mb"] = round(threading_all.child_max_rss_kb / 1024)
        else:
            candidates, n_convs = _candidates_of(messages, config, _forced(store), keys)
        stats.update(rethreaded=len(messages), messages=len(messages), conversations=n_convs)
    if cached is None or touched:
        _remember_candidates(store, candidates, config)
    stats["candidates"] = len(candidates)
    lap("thread")

    # 3. bodies only for candidate conversations, once. A body can add a thread link that
    # the headers lacked (a remote server's bounce names the returned message only inside):
    # then the conversations it reaches are threaded again, and their bodies fetched too.
    fetched = 0
    for _round in range(3):
        missing = [m.id for c in candidates for m in c.messages if not m.has_body]
        if not missing:
            break
        known = {m.id: m for c in candidates for m in c.messages}
        full = _fetch_bodies(mailbox, missing, known)
        fetched += len(missing)
        store.put_messages(full.values())
        candidates = [
            replace(c, messages=tuple(full.get(m.id, m) for m in c.messages)) for c in candidates
        ]
        new_links = _links([m for m in full.values()
                            if (m.in_reply_to, m.references) != (known[m.id].in_reply_to, known[m.id].references)],
                           config)
        if not new_links:
            break
        store.set_links(new_links, own={m.id: m.message_id for m in full.values()})
        affected = store.linked_closure({k for ks in new_links.values() for k in ks})
        forced = _forced(store)
        candidates = [c for c in candidates if not any(m.id in affected for m in c.messages)] + [
            c for c in thread_messages(store.get_messages(affected), config) if c.id in forced or is_candidate(c, config)]
        _remember_candidates(store, candidates, config)
    stats["bodies_fetched"] = fetched
    candidates = related_threads(candidates, config)
    lap("bodies")

    # 4. decide (the facts of conversations whose messages did not change are remembered)
    known_facts = facts_cache.load(store, config)
    decisions: list[tuple[Conversation, Decision]] = []
    untracked: list[tuple[Conversation, Tracking]] = []
    verdicts: dict[str, Tracking] = {}
    for conv in candidates:
        tracking = known_facts.tracking(conv, functools.partial(classify, conv, config))
        controls = controls_for(store, conv, config)
        if controls.recruiting is not None and (controls.recruiting != tracking.tracked or tracking.possible):
            tracking = Tracking(controls.recruiting, "you marked it as " + (
                "a recruiting conversation" if controls.recruiting else "not a recruiting conversation"),
                tracking.company or guess_company(conv, config), cues=tracking.cues)
        verdicts[conv.id] = tracking
        if not tracking.tracked:
            untracked.append((conv, tracking))
            continue
        found = known_facts.facts(conv, functools.partial(extract_facts, conv, config))
        facts = sorted([*found, *controls.marks], key=lambda f: (f.at or now, f.kind))
        skipped = {(r.round, r.step): r.updated_at for r in store.ledger_for(conv.id)
                   if r.status == "user_deleted"}
        decisions.append((conv, decide(conv, tracking, facts, now, config, cal, controls, skipped)))

    lap("decide")

    # 5. plan against the drafts that exist now and the ledger
    existing = _describe_drafts(mailbox, store)
    plan = make_plan(decisions, existing, store, now, config)
    stats["plan"] = len(plan)
    lap("plan")

    # 6. apply
    if not dry_run:
        apply_plan(plan, mailbox, store, now)
    history = {conv.id: store.ledger_for(conv.id) for conv, _ in decisions}
    if not dry_run and config.write_labels and isinstance(mailbox, Labeller):
        try:
            sync_queued_label(decisions, history, store, mailbox, config.labels.queued)
        except AgentError as err:  # a label is a courtesy: the drafts and the state still count
            stats["label_error"] = str(err)
    status = [status_object(d, config, history[d.conversation], plan, store.get_controls(d.conversation))
              for _, d in decisions]
    possible = [possible_object(conv, t, config) for conv, t in untracked if t.possible]
    if not dry_run:
        with store.transaction():  # one commit (one disk sync) for the poll's closing records
            facts_cache.save(store, known_facts)
            store.set_cursor(mailbox.name, cs.cursor)
            store.save_snapshot(status, possible, at=now)
    lap("apply")
    stats["seconds"] = round(_time.perf_counter() - started, 3)
    stats["phases"] = phases
    return PollResult(now, [d for _, d in decisions], plan, not dry_run, stats, untracked,
                      {c.id: c for c in candidates}, status, history, config, possible, verdicts)


#: a full sync of at least this many messages threads them in a child process (agent/forked.py)
_FORK_AT = 2000


def related_threads(candidates: list[Conversation], config: Config) -> list[Conversation]:
    """The company's answers, notices and invitations in other threads joined to their conversation
    (agent/mail/related.py)."""
    rc = config.recruiting
    return join_related(candidates, keys=_company_keys(config), users=config.identity,
                        window=config.policy.thread_window, employer_domains=config.employer_domains,
                        skip=lambda m: is_bulk(m, rc.job_alert_domains) is not None or bounce(m) is not None)


def _candidates_of(messages: list[Message], config: Config, forced: set[str], keys: CompanyKeys | None
                   ) -> tuple[list[Conversation], int]:
    """The candidate conversations among ``messages`` and how many conversations there are."""
    convs = thread_messages(messages, config, keys if keys is not None else _company_keys(config))
    return [c for c in convs if c.id in forced or is_candidate(c, config)], len(convs)


def _links(messages: list[Message], config: Config, keys: CompanyKeys | None = None) -> dict[str, frozenset[str]]:
    return link_keys(messages, user_addresses=config.user_addresses, ats_domains=config.recruiting.ats_domains,
                     personal_domains=config.recruiting.personal_domains,
                     keys=keys if keys is not None else _company_keys(config))


def thread_messages(messages: list[Message], config: Config, keys: CompanyKeys | None = None) -> list[Conversation]:
    """``messages`` grouped into conversations under this config's threading rules."""
    return build_conversations(
        messages,
        user_addresses=config.user_addresses,
        ats_domains=config.recruiting.ats_domains,
        window=config.policy.thread_window,
        personal_domains=config.recruiting.personal_domains,
        keys=keys if keys is not None else _company_keys(config),
    )


def _company_keys(config: Config) -> CompanyKeys:
    """One memo of company keys per poll, shared by the link index and the threading."""
    return company_keys(config.identity, config.recruiting.ats_domains, config.recruiting.personal_domains)


#: the threading's rules: raised whenever they group the same mail differently, so that candidates
#: cached under older rules are threaded again (2: a message reusing another's Message-ID is no
#: longer collapsed into it, which had cached conversations without their invitation; 3: an ATS
#: tenant is read from a local part with role words around it, "careers-corbel@…")
THREADING_RULES = 3


def _candidate_config_key(config: Config) -> str:
    """What candidate selection depends on besides the mail: a change re-threads everything."""
    rc = config.recruiting
    parts = ("links-v1", THREADING_RULES, sorted(config.user_addresses), rc.ats_domains, rc.personal_domains, rc.job_alert_domains,
             rc.track_label, rc.ignore_label, config.policy.thread_window.total_seconds())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _cached_candidates(store: Store, config: Config) -> list[Conversation] | None:
    groups = store.caches.candidates(_candidate_config_key(config))
    if groups is None:
        return None
    msgs = {m.id: m for m in store.get_messages([i for g in groups for i in g.message_ids])}
    if any(i not in msgs for g in groups for i in g.message_ids):
        return None  # the store and the cache disagree: rebuild
    return [Conversation(g.id, tuple(msgs[i] for i in g.message_ids)) for g in groups]


def _remember_candidates(store: Store, candidates: list[Conversation], config: Config) -> None:
    store.caches.save_candidates(_candidate_config_key(config), [
        CachedConversation(c.id, tuple(m.id for m in c.messages)) for c in candidates])


def sync_queued_label(
    decisions: list[tuple[Conversation, Decision]], history: dict[str, list[LedgerRow]], store: Store,
    mailbox: Labeller, label: str,
) -> None:
    """Keep ``label`` on exactly the conversations that have an agent draft waiting.

    What the agent labelled is remembered in the state, so it only ever removes
    a label it put there itself.
    """
    labeled = {cid: sorted(ids) for cid, ids in store.caches.labelled().items()}
    waiting = {conv.id: {m.id for m in conv.messages}
               for conv, _dec in decisions if any(r.status == "created" for r in history[conv.id])}
    changed = False
    for cid, ids in waiting.items():
        new = sorted(ids - set(labeled.get(cid, ())))
        if new:
            mailbox.set_label(new, label, True)
            labeled[cid] = sorted(set(labeled.get(cid, ())) | set(new))
            changed = True
    for cid in [c for c in labeled if c not in waiting]:
        mailbox.set_label(labeled.pop(cid), label, False)
        changed = True
    if changed:
        store.caches.save_labelled(labeled)


def _fetch_bodies(mailbox: Mailbox, ids: list[str], known: dict[str, Message]) -> dict[str, Message]:
    out: dict[str, Message] = {}
    got = mailbox.fetch(ids)
    for mid, data in got.items():
        old = known[mid]
        out[mid] = parse_message(
            RawMessage(id=mid, folder=old.folder, data=data, thread_hint=old.thread_hint, labels=old.labels)
        )
    return out


_RECRUITER_ADDRESS = re.compile(r"recruit|talent|search|staffing|hiring|careers|headhunt|placement", re.I)


def is_candidate(conv: Conversation, config: Config) -> bool:
    """A cheap, header-only test: could this be a recruiting conversation?

    It decides which bodies are fetched, so it errs on the side of yes for
    anything that is not plainly bulk mail.
    """
    rc = config.recruiting
    others = [m for m in conv.messages if m.from_ and not is_user(m.from_, config)]
    if not others:
        return False
    labels = frozenset().union(*(m.labels for m in conv.messages))
    if rc.track_label in labels or config.labels.track in labels:
        return True
    if all(is_bulk(m, rc.job_alert_domains) for m in others):
        return False
    user_wrote = any(is_user(m.from_, config) for m in conv.messages)
    for m in conv.messages:
        if m.has_calendar_part or m.calendar:
            return True
        if m.content_type == "multipart/report" and not m.has_body:
            return True  # a bounce whose body may name the conversation it belongs to
        if m.from_ and is_ats(m.from_, config):
            return True
        if INTERVIEW_WORDS.search(m.subject) or _SUBJECT_WORDS.search(m.subject) or JOB_SUBJECT.search(m.subject):
            return True
    if user_wrote and any(not is_personal(m.from_, config) or _RECRUITER_ADDRESS.search(
            f"{m.from_.local} {m.from_.name}") for m in others if m.from_):
        # recruiter outreach with an unassuming subject that the user answered: from a business,
        # or from web-mail under a recruiter's name ("rosa.quintero.search@gmail.com")
        return True
    # text read whatever has_body says: a body stored by an older parser is marked header-only
    # to be read again (agent.store) and keeps its text, so it stays the candidate it was
    return any(INTERVIEW_WORDS.search(m.text[:3000]) for m in others)


# --- drafts: plan -------------------------------------------------------------------


def _describe_drafts(mailbox: Mailbox, store: Store) -> list[_ExistingDraft]:
    """What each draft is (ours? for which step? edited?), parsing only drafts not seen before.

    Descriptions are kept by a hash of the draft's bytes, so an edit is always
    parsed afresh; and by draft id, which the mailbox is given as "seen": a
    backend whose ids name unchanging bytes (IMAP) then lists those drafts
    without fetching them again.
    """
    known = store.caches.described_drafts()
    cache = known.by_digest
    ids = {i: h for i, h in known.by_id.items() if h in cache}
    drafts = mailbox.drafts(seen=ids.keys())
    if any(d.seen and d.id not in ids for d in drafts):  # a backend answering a question not asked
        drafts = mailbox.drafts()
    out: list[_ExistingDraft] = []
    fresh: dict[str, DraftDescription] = {}
    fresh_ids: dict[str, str] = {}
    for d in drafts:
        digest = ids[d.id] if d.seen else hashlib.sha256(d.data).hexdigest()
        hit = cache.get(digest)
        if hit is None:
            described = _describe_draft(d)
            hit = DraftDescription(described.message_id, described.marker, described.refs, described.fingerprint)
        fresh[digest] = hit
        fresh_ids[d.id] = digest
        out.append(_ExistingDraft(d, hit.message_id, dict(hit.marker), hit.refs, hit.fingerprint))
    if fresh.keys() != cache.keys() or fresh_ids != ids:
        store.caches.save_described_drafts(DescribedDrafts(fresh, fresh_ids))
    return out


def _describe_draft(d: DraftInfo) -> _ExistingDraft:
    msg = parse_message(RawMessage(id=d.id, folder="drafts", data=d.data, thread_hint=d.thread_hint))
    marker = {}
    if msg.marker:
        for part in msg.marker.split(";"):
            k, _, v = part.strip().partition("=")
            if k:
                marker[k] = v
    refs = frozenset((*msg.in_reply_to, *msg.references))
    return _ExistingDraft(d, msg.message_id, marker, refs, fingerprint(d.data))


def make_plan(
    decisions: Iterable[tuple[Conversation, Decision]],
    existing: list[_ExistingDraft],
    store: Store,
    now: datetime,
    config: Config,
) -> list[Action]:
    """Compare what is owed with the drafts that exist and the ledger."""
    by_mid = {d.message_id: d for d in existing}
    plan: list[Action] = []
    for conv, dec in decisions:
        ids = {m.message_id for m in conv.messages}
        hints = {m.thread_hint for m in conv.messages if m.thread_hint}
        rows = store.ledger_for(conv.id)
        owed_key = None
        nxt = dec.next
        if dec.state == OPEN and nxt is not None:
            owed_key = draft_key(conv.id, nxt.round, nxt.kind)

        user_wrote_at = [m.date for m in conv.messages if is_user(m.from_, config) and m.date]
        # what happened to the drafts we made
        for row in rows:
            here = by_mid.get(row.message_id) or next(
                (d for d in existing if d.info.id == row.draft_id), None)
            if row.status != "created":
                continue
            if here is None:
                if any(t >= row.created_at for t in user_wrote_at):
                    plan.append(Action(RECORD, conv.id, row.key, "you sent it (or wrote yourself)", step=row.step,
                                       status="sent"))
                elif _user_draft_in(conv, existing, ids, hints):
                    plan.append(Action(RECORD, conv.id, row.key, "you edited it into a draft of your own",
                                       step=row.step, status="edited"))
                else:
                    plan.append(Action(RECORD, conv.id, row.key,
                                       "you deleted it: it will not be written again", step=row.step,
                                       status="user_deleted"))
                continue
            if here.fingerprint != row.content_hash:
                plan.append(Action(RECORD, conv.id, row.key, "you edited it: it is yours now, never touched",
                                   step=row.step, status="edited"))
                continue
            still_owed = row.key == owed_key or (
                nxt is not None and dec.state == OPEN and row.round == nxt.round and row.step == nxt.kind)
            if not still_owed:
                plan.append(Action(WITHDRAW, conv.id, row.key, _withdraw_reason(dec), step=row.step,
                                   draft_id=here.info.id))

        if owed_key is None or nxt is None or nxt.due > now:
            continue
        if any(r.round == nxt.round and r.step == nxt.kind for r in rows if r.status != "intended"):
            continue  # made once already: sent, deleted, edited or withdrawn are all final
        if nxt.to is None:
            continue  # status explains: no usable address
        ours = by_mid.get(_mid(owed_key, config)) or next(
            (d for d in existing if d.marker.get("step") == nxt.kind and d.marker.get("round") == nxt.round
             and (d.refs & ids or d.info.thread_hint in hints)), None)
        if ours is not None:
            plan.append(Action(ADOPT, conv.id, owed_key, "found our draft from an earlier, interrupted poll",
                               step=nxt.kind, draft_id=ours.info.id, to=nxt.to, found=ours))
            continue
        if _user_draft_in(conv, existing, ids, hints):
            continue  # the user is already writing in this conversation
        if any(r.status == "edited" and (r.message_id in by_mid or any(d.info.id == r.draft_id for d in existing))
               for r in rows):
            continue  # so is a draft of ours the user edited (it is theirs now) and has not sent
        note = controls_for(store, conv, config).note
        draft = compose(conv, dec, nxt, now, config, note=note)
        plan.append(Action(CREATE, conv.id, owed_key, dec.reason, step=nxt.kind, to=nxt.to, draft=draft,
                           note_used=bool(note)))
    return plan


def _mid(key: str, config: Config) -> str:
    from agent.drafts import draft_message_id

    return draft_message_id(key, config)


def _user_draft_in(conv: Conversation, existing: list[_ExistingDraft], ids: set[str], hints: set[str]) -> bool:
    return any(not d.marker and (d.refs & ids or (d.info.thread_hint and d.info.thread_hint in hints))
               for d in existing)


def _withdraw_reason(dec: Decision) -> str:
    facts = [f for f in dec.facts if isinstance(f, HumanReply | UserWrote | Rejection | Offer)]
    if dec.state != OPEN:
        return f"no longer owed: {dec.reason}"
    if facts and isinstance(facts[-1], HumanReply):
        return f"the company answered ({facts[-1].sender}): the draft is no longer needed"
    if facts and isinstance(facts[-1], UserWrote):
        return "you wrote to them yourself: the draft is no longer needed"
    return f"no longer owed: {dec.reason}"


# --- drafts: apply ------------------------------------------------------------------


def apply_plan(plan: list[Action], mailbox: Mailbox, store: Store, now: datetime) -> None:
    """Carry out the plan; each write is bracketed by ledger records (intent, outcome).

    Every intent is committed, in one transaction, before the first mailbox
    write; the outcomes are committed together after the writes, and also
    when one of them fails. That is one disk sync for each instead of three
    per draft (measured: 60 new drafts spent 0.25 s in syncs alone), and it
    keeps the ledger's promise: an outcome that a crash loses is found again
    by the next poll (a created draft is adopted by its Message-ID, a
    withdrawn one that is gone is never written again).
    """
    with store.transaction():
        for a in plan:
            if a.kind == ADOPT:
                assert a.found is not None
                _intend(store, a, a.found.message_id, a.found.fingerprint, now)
            elif a.kind == CREATE:
                assert a.draft is not None
                _intend(store, a, a.draft.message_id, a.draft.fingerprint, now)
    outcomes: list[Callable[[], None]] = []
    try:
        for a in plan:
            if a.kind == WITHDRAW:
                # delete first: a crash before the record leaves a row whose draft is gone and
                # which the next poll files as deleted -- either way it is never written again
                mailbox.delete_draft(a.draft_id or "")
            elif a.kind == CREATE:
                assert a.draft is not None
                draft_id = mailbox.create_draft(a.draft.data, a.draft.thread_hint)
                outcomes.append(functools.partial(_created, store, a, draft_id, now))
                continue
            outcomes.append(functools.partial(_record_outcome, store, a, now))
    finally:
        with store.transaction():
            for record in outcomes:
                record()


def _created(store: Store, a: Action, draft_id: str, now: datetime) -> None:
    store.record_created(a.key, draft_id, at=now)
    if a.note_used:
        store.clear_controls(a.conversation, "note")


def _record_outcome(store: Store, a: Action, now: datetime) -> None:
    if a.kind == RECORD:
        assert a.status is not None
        store.set_status(a.key, a.status, reason=a.reason, at=now)
    elif a.kind == ADOPT:
        assert a.found is not None
        store.record_created(a.key, a.found.info.id, content_hash=a.found.fingerprint, at=now)
    elif a.kind == WITHDRAW:
        store.set_status(a.key, "withdrawn", reason=a.reason, at=now)


def _intend(store: Store, a: Action, message_id: str, content_hash: str, now: datetime) -> None:
    round_key = a.key.split(":")[1]
    store.record_intent(a.key, conversation=a.conversation, round=round_key, step=a.step or "",
                        message_id=message_id, content_hash=content_hash, at=now)


def _forced(store: Store) -> set[str]:
    """Conversations the user marked as recruiting: candidates whatever their headers say."""
    return {r.conversation for r in store.get_controls(kind="mark")
            if json.loads(r.value or "{}").get("what") == "recruiting"}


def controls_for(store: Store, conv: Conversation, config: Config) -> Controls:
    """The user's standing instructions for one conversation: CLI corrections and labels."""
    rows = store.get_controls(conv.id)
    latest = {r.kind: r for r in rows}
    labels = frozenset().union(*(m.labels for m in conv.messages))
    lc = config.labels
    snooze = latest.get("snooze")
    notes = [r.value for r in rows if r.kind == "note"]
    recruiting: bool | None = None
    marks: list[Fact] = []
    for r in rows:
        if r.kind != "mark":
            continue
        mark = json.loads(r.value or "{}")
        what = mark.get("what")
        quote = f"you marked it on {r.at:%Y-%m-%d}"
        if what == "recruiting":
            recruiting = bool(mark.get("value"))
        elif what == "interviewed":
            start = datetime.fromisoformat(mark["start"])
            end = datetime.fromisoformat(mark["end"]) if mark.get("end") else \
                start + config.policy.interview_default_length
            marks.append(Interview(end, Evidence("(your mark)", quote, r.at), start=start, end=end, source="mark",
                                   summary="marked interview"))
        elif what == "timeline":
            by = date.fromisoformat(mark["by"])
            marks.append(DeadlineStated(r.at, Evidence("(your mark)", quote, r.at),
                                        deadline=Deadline(by, f"by {by:%B} {by.day}")))
    closed = latest["close"].value or "closed" if "close" in latest else None
    closed_by = "you closed it"
    if closed is None and lc.done in labels:
        closed, closed_by = "done", f"the label {lc.done!r}"
    paused_by = "you paused it" if "pause" in latest else f"the label {lc.pause!r}"
    return Controls(
        paused="pause" in latest or lc.pause in labels,
        paused_by=paused_by,
        closed=closed,
        closed_by=closed_by,
        snoozed_until=datetime.fromisoformat(snooze.value) if snooze and snooze.value else None,
        note=notes[-1] if notes else None,
        recruiting=recruiting,
        marks=tuple(marks),
    )


def possible_object(conv: Conversation, tracking: Tracking, config: Config) -> dict[str, Any]:
    """One element of ``status --possible --json``: why the agent is unsure, and how to settle it."""
    dates = [m.date for m in conv.messages if m.date is not None]
    return {
        "thread": conv.id,
        "subject": conv.subject,
        "company": tracking.company,
        "reason": tracking.reason,
        "looks_like": tracking.looks_like,
        "messages": len(conv.messages),
        "last_message": max(dates).astimezone(config.account.tz).isoformat() if dates else None,
        "evidence": [{"kind": c.kind, "rule": c.name, "weight": c.weight, "quote": c.quote}
                     for c in sorted(tracking.cues, key=lambda c: -c.weight)[:8]],
        "settle": [cmd.format(thread=conv.id) for cmd in SETTLE],
    }


def _mark_value(r: ControlRow) -> Any:
    if r.kind == "mark":
        try:
            return json.loads(r.value)
        except ValueError:
            return r.value
    return r.value


def status_object(
    dec: Decision, config: Config, history: list[LedgerRow] | None = None, plan: list[Action] | None = None,
    controls: list[ControlRow] | None = None,
) -> dict[str, Any]:
    """One element of ``status --json`` (CONTRACT.md), plus what became of our drafts."""
    nxt = None
    reason = dec.reason
    if dec.next is not None:
        nxt = {"kind": dec.next.kind, "due": dec.next.due.astimezone(config.account.tz).isoformat(),
               "to": dec.next.to}
    drafts = [{"step": r.step, "round": r.round, "status": r.status, "message_id": r.message_id,
               "updated": r.updated_at.isoformat()} for r in history or ()]
    waiting = [r for r in history or () if r.status == "created" and dec.next is not None
               and r.step == dec.next.kind and r.round == dec.next.round]
    planned = [a for a in plan or () if a.conversation == dec.conversation and a.kind == CREATE]
    if waiting:
        reason += " The draft is waiting in Drafts for you to review and send."
    elif planned:
        reason += " It is due now: this poll writes the draft."
    if dec.no_recipient and dec.next is not None:
        reason += f" No draft can be written: {dec.no_recipient}."
    return {
        "thread": dec.conversation,
        "subject": dec.subject,
        "company": dec.company,
        "state": dec.state,
        "next": nxt,
        "reason": reason,
        "snoozed_until": next((r.value for r in reversed(controls or ()) if r.kind == "snooze"), None),
        "user_marks": [{"kind": r.kind, "value": _mark_value(r), "at": r.at.isoformat()} for r in controls or ()],
        "round": dec.round,
        "drafts": drafts,
        "unusable_addresses": list(dec.unusable),
        "no_recipient": dec.no_recipient,
    }

