"""Conversation building: chains, missing parents, subject fallback, hints, duplicates, stability."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.config import DEFAULT_ATS_DOMAINS
from agent.mail.thread import base_subject, build_conversations, registrable_name, subject_key
from agent.model import INBOX, SENT, Address, Conversation, Message

USER = "jordan.lee@gmail.com"
T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def msg(
    mid: str,
    *,
    subject: str = "Interview for Software Engineer",
    frm: str = "sam@acme.com",
    name: str = "",
    to: tuple[str, ...] = (USER,),
    day: float | None = 0,
    irt: tuple[str, ...] = (),
    refs: tuple[str, ...] = (),
    folder: str = INBOX,
    hint: str | None = None,
    has_body: bool = True,
    text: str = "",
    labels: frozenset[str] = frozenset(),
    reply_to: tuple[str, ...] = (),
    bid: str | None = None,
) -> Message:
    return Message(
        id=bid or f"{folder}/{mid}",
        folder=folder,
        message_id=f"<{mid}>",
        subject=subject,
        from_=Address(frm, name),
        to=tuple(Address(t) for t in to),
        reply_to=tuple(Address(r) for r in reply_to),
        date=None if day is None else T0 + timedelta(days=day),
        in_reply_to=tuple(f"<{x}>" for x in irt),
        references=tuple(f"<{x}>" for x in refs),
        thread_hint=hint,
        has_body=has_body,
        text=text,
        labels=labels,
    )


def build(messages: list[Message], window_days: int = 60) -> list[tuple[str, ...]]:
    """Conversations as tuples of Message-IDs (without brackets), in output order."""
    convs = build_conversations(
        messages,
        user_addresses=frozenset({USER}),
        ats_domains=DEFAULT_ATS_DOMAINS,
        window=timedelta(days=window_days),
    )
    return [tuple(m.message_id.strip("<>") for m in c.messages) for c in convs]


def convs(messages: list[Message], window_days: int = 60) -> list[Conversation]:
    return build_conversations(
        messages,
        user_addresses=frozenset({USER}),
        ats_domains=DEFAULT_ATS_DOMAINS,
        window=timedelta(days=window_days),
    )


# --- base_subject --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "base"),
    [
        ("Re: Interview", "Interview"),
        ("RE: Re: FW: Interview", "Interview"),
        ("Re[2]: Interview", "Interview"),
        ("Re (3): Interview", "Interview"),
        ("AW: WG: Interview", "Interview"),
        ("SV: Antw: Réf: Interview", "Interview"),
        ("Fwd: Fw: FWD: Interview", "Interview"),
        ("[EXTERNAL] Re: Interview", "Interview"),
        ("Re: [EXTERNAL] RE: Interview", "Interview"),
        ("[Fwd: Interview next week]", "Interview next week"),
        ("Interview next week (fwd)", "Interview next week"),
        ("  Re:   Interview \t  with\n Acme  ", "Interview with Acme"),
        ("RE : Entretien", "Entretien"),
        ("[EXTERNAL]", "[EXTERNAL]"),
        ("", ""),
        ("Re:", ""),
        ("Reliability engineer role", "Reliability engineer role"),
        ("Fwdable: thing", "Fwdable: thing"),
    ],
)
def test_base_subject(raw: str, base: str) -> None:
    assert base_subject(raw) == base


@pytest.mark.parametrize("subject", ["", "Hello", "Hi!", "Question", "Re: Following up", "Fwd: Thank you!", "FW: Checking in", "hi"])
def test_generic_subjects_have_no_key(subject: str) -> None:
    assert subject_key(subject) == ""


def test_subject_key_ignores_case_and_punctuation() -> None:
    assert subject_key("Re: Interview — Software Engineer!") == subject_key("interview software engineer")


def test_registrable_name() -> None:
    assert registrable_name("acme.com") == "acme"
    assert registrable_name("careers.acme.com") == "acme"
    assert registrable_name("mail.acme.co.uk") == "acme"
    assert registrable_name("acme.io") == "acme"


# --- chains ------------------------------------------------------------------------------


def test_reply_chain_is_one_conversation() -> None:
    ms = [
        msg("a", day=0),
        msg("b", day=1, frm=USER, to=("sam@acme.com",), folder=SENT, irt=("a",), refs=("a",), subject="Re: x"),
        msg("c", day=2, irt=("b",), refs=("a", "b"), subject="Re: y"),
        msg("other", subject="Unrelated", frm="pat@globex.com", day=1),
    ]
    out = build(ms)
    assert ("a", "b", "c") in out
    assert ("other",) in out
    assert len(out) == 2


def test_missing_root_still_joins_siblings() -> None:
    # both reply to <root>, which is not in the mailbox; subjects differ so only headers join them
    ms = [
        msg("x1", subject="Re: A", refs=("root",), irt=("root",), day=1),
        msg("x2", subject="Re: B", frm="kim@initech.com", refs=("root",), irt=("root",), day=2),
    ]
    assert build(ms) == [("x1", "x2")]


def test_missing_middle_parent_joins_via_references() -> None:
    ms = [
        msg("r", day=0),
        msg("leaf", subject="Re: other words", refs=("r", "gone"), irt=("gone",), day=3),
    ]
    assert build(ms) == [("r", "leaf")]


def test_id_survives_arrival_of_missing_root() -> None:
    replies = [
        msg("x1", subject="Re: A", refs=("root",), irt=("root",), day=1),
        msg("x2", subject="Re: B", refs=("root", "x1"), irt=("x1",), day=2),
    ]
    before = convs(replies)
    after = convs([*replies, msg("root", subject="A", day=0)])
    assert len(before) == len(after) == 1
    assert before[0].id == after[0].id
    assert before[0].id == "c-" + hashlib.sha256(b"<root>").hexdigest()[:16]


def test_conversation_id_is_hash_of_root() -> None:
    (c,) = convs([msg("a", day=0), msg("b", day=1, irt=("a",), refs=("a",))])
    assert c.id == "c-" + hashlib.sha256(b"<a>").hexdigest()[:16]


# --- subject fallback -------------------------------------------------------------------


def test_fallback_joins_same_subject_same_company_in_window() -> None:
    ms = [
        msg("g1", subject="Interview: Software Engineer at Acme", frm="sam@acme.com", day=0),
        msg("g2", subject="RE: Interview: Software Engineer at Acme", frm="lee@careers.acme.com", day=10),
    ]
    assert build(ms) == [("g1", "g2")]


def test_fallback_joins_user_sent_message_by_recipient_company() -> None:
    ms = [
        msg("in", subject="Onsite interview schedule", frm="sam@acme.com", day=0),
        msg("out", subject="Re: Onsite interview schedule", frm=USER, to=("sam@acme.com",), folder=SENT, day=1),
    ]
    assert build(ms) == [("in", "out")]


def test_fallback_joins_ats_by_tenant_display_name() -> None:
    ms = [
        msg("gh1", subject="Your interview with Acme", frm="no-reply@greenhouse.io", name="Acme Hiring Team", day=0),
        msg("gh2", subject="Your interview with Acme", frm="no-reply@us.greenhouse-mail.io", name="Acme via Greenhouse", day=5),
    ]
    assert build(ms) == [("gh1", "gh2")]


def test_fallback_ats_tenants_differ() -> None:
    ms = [
        msg("w1", subject="Application update", frm="acme@myworkday.com", day=0),
        msg("w2", subject="Application update", frm="globex@myworkday.com", day=1),
        msg("w3", subject="Application update", frm="acme@myworkday.com", day=2),
    ]
    out = build(ms)
    assert sorted(out) == [("w1", "w3"), ("w2",)]


def test_fallback_ats_reply_to_company_domain() -> None:
    ms = [
        msg("l1", subject="Next steps", frm="no-reply@hire.lever.co", reply_to=("sam@acme.com",), day=0),
        msg("l2", subject="Re: Next steps", frm="sam@acme.com", day=3),
    ]
    assert build(ms) == [("l1", "l2")]


def test_fallback_refuses_different_company() -> None:
    ms = [
        msg("a", subject="Interview for Software Engineer", frm="sam@acme.com", day=0),
        msg("b", subject="Interview for Software Engineer", frm="kim@globex.com", day=1),
    ]
    assert len(build(ms)) == 2


def test_fallback_refuses_outside_window() -> None:
    ms = [
        msg("a", subject="Interview for Software Engineer", day=0),
        msg("b", subject="Interview for Software Engineer", day=61),
    ]
    assert len(build(ms, window_days=60)) == 2
    assert len(build(ms, window_days=90)) == 1


def test_fallback_single_linkage_across_window() -> None:
    ms = [msg(f"s{i}", subject="Interview for Software Engineer", day=40 * i) for i in range(3)]
    assert build(ms, window_days=45) == [("s0", "s1", "s2")]


@pytest.mark.parametrize("subject", ["Hello", "Hi", "Question", "Following up", "", "Re: Thank you"])
def test_generic_subject_never_joins_alone(subject: str) -> None:
    ms = [msg("a", subject=subject, day=0), msg("b", subject=subject, day=1)]
    assert len(build(ms)) == 2


def test_personal_domains_are_not_one_company() -> None:
    ms = [
        msg("a", subject="Freelance data engineer role", frm="alex@gmail.com", day=0),
        msg("b", subject="Freelance data engineer role", frm="chris@gmail.com", day=1),
        msg("c", subject="Freelance data engineer role", frm="alex@gmail.com", day=2),
    ]
    assert sorted(build(ms)) == [("a", "c"), ("b",)]


def test_undated_messages_do_not_join_by_subject() -> None:
    ms = [
        msg("a", subject="Interview for Software Engineer", day=0),
        msg("b", subject="Interview for Software Engineer", day=None),
    ]
    assert len(build(ms)) == 2


# --- thread hints ----------------------------------------------------------------------


def test_thread_hint_is_the_truth() -> None:
    ms = [
        # same chain headers, different Gmail threads: Gmail's view wins
        msg("a", hint="111", day=0),
        msg("b", hint="222", irt=("a",), refs=("a",), day=1),
        # no headers in common, same hint: one conversation
        msg("c", hint="111", subject="Totally different", frm="x@initech.com", day=2),
    ]
    cs = convs(ms)
    got = {c.id: tuple(m.message_id for m in c.messages) for c in cs}
    assert got == {"gm-111": ("<a>", "<c>"), "gm-222": ("<b>",)}


def test_unhinted_reply_joins_hinted_thread() -> None:
    ms = [msg("a", hint="111", day=0), msg("b", irt=("a",), refs=("a",), day=1)]
    cs = convs(ms)
    assert [(c.id, len(c.messages)) for c in cs] == [("gm-111", 2)]


# --- duplicates, order, ids --------------------------------------------------------------


def test_duplicates_across_folders_collapse_to_richest() -> None:
    headers_only = msg("d", folder=INBOX, has_body=False, labels=frozenset({"Recruiting"}))
    full = msg("d", folder=SENT, has_body=True, text="body")
    (c,) = convs([headers_only, full])
    (m,) = c.messages
    assert m.has_body and m.text == "body" and m.folder == SENT
    assert m.labels == frozenset({"Recruiting"})


def test_messages_in_date_order_undated_last() -> None:
    ms = [
        msg("n", day=None, irt=("a",), refs=("a",)),
        msg("c", day=2, irt=("a",), refs=("a",)),
        msg("a", day=0),
        msg("b", day=1, irt=("a",), refs=("a",)),
    ]
    assert build(ms) == [("a", "b", "c", "n")]


def _corpus() -> list[Message]:
    ms = [
        msg("a", day=0),
        msg("b", day=1, irt=("a",), refs=("a",), frm=USER, to=("sam@acme.com",), folder=SENT),
        msg("c", day=1, irt=("a",), refs=("a",)),  # same date as b: tie broken by Message-ID
        msg("d", subject="Interview for Software Engineer", day=5),
        msg("e", subject="Next steps", frm="kim@globex.com", day=3),
        msg("f", subject="Re: Next steps", frm="kim@globex.com", day=None, irt=("e",)),
        msg("g", subject="Hello", frm="pat@initech.com", day=2),
        msg("h", subject="Hello", frm="pat@initech.com", day=2),
        msg("gm", hint="777", day=4),
        msg("d", subject="Interview for Software Engineer", day=5, folder=SENT, has_body=False),
    ]
    return ms


def test_order_independence_and_id_stability() -> None:
    base = convs(_corpus())
    picture = [(c.id, tuple(m.id for m in c.messages)) for c in base]
    rng = random.Random(7)
    for _ in range(20):
        shuffled = _corpus()
        rng.shuffle(shuffled)
        again = convs(shuffled)
        assert [(c.id, tuple(m.id for m in c.messages)) for c in again] == picture


def test_subject_property_strips_prefixes() -> None:
    (c,) = convs([msg("a", subject="Re: FW: Onsite at Acme")])
    assert c.subject == "Onsite at Acme"


def test_twenty_thousand_messages_fast() -> None:
    rng = random.Random(1)
    companies = [f"co{i}.com" for i in range(400)]
    ms: list[Message] = []
    for t in range(4000):
        dom = rng.choice(companies)
        root = f"t{t}"
        chain: list[str] = []
        for k in range(5):
            mid = root if k == 0 else f"{root}.{k}"
            ms.append(
                msg(
                    mid,
                    subject=("Re: " if k else "") + f"Role {t % 900} interview",
                    frm=f"p{k}@{dom}" if k % 2 == 0 else USER,
                    to=(USER,) if k % 2 == 0 else (f"p0@{dom}",),
                    folder=INBOX if k % 2 == 0 else SENT,
                    day=t * 0.01 + k,
                    irt=(chain[-1],) if chain else (),
                    refs=tuple(chain[-20:]),
                )
            )
            chain.append(mid)
    assert len(ms) == 20_000
    out = convs(ms)  # its speed is measured by bench/poll_maildir.py, never asserted here
    assert len(out) <= 4000


@given(st.text(alphabet=st.sampled_from(list("Re:FWfwd[]()：^2 \t\nabcxyz-")), max_size=40))
@settings(max_examples=400, deadline=None)
def test_base_subject_shortcut_changes_nothing(subject: str) -> None:
    """Subjects with no colon, no leading bracket and no trailing ")" skip the prefix loop;
    the answer is the loop's own."""
    from agent.mail.thread import _WS, _strip_prefixes

    assert base_subject(subject) == _strip_prefixes(_WS.sub(" ", subject).strip())
