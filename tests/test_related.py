"""Answers outside the thread (agent/mail/related.py): one conversation with a company across threads."""

from __future__ import annotations

from datetime import timedelta

from agent.candidates import related_threads
from agent.drafts import reply_target
from agent.facts import AutoReply, HumanReply
from agent.mail.related import MAX_THREADS_PER_KEY, join_related
from agent.mail.thread import company_keys
from agent.model import Address, AutoMarkers, Conversation, Message
from agent.signals.events import extract_facts
from tests.helpers import ME, conv, make_config, msg, t

CFG = make_config()
KEYS = company_keys(CFG.identity, CFG.recruiting.ats_domains, CFG.recruiting.personal_domains)
WINDOW = timedelta(days=60)


def join(*convs: Conversation, **kw: object) -> list[Conversation]:
    return join_related(list(convs), keys=KEYS, users=CFG.identity, window=WINDOW, **kw)  # type: ignore[arg-type]


def _m(n: str, frm: str, when: tuple[int, int, int], subject: str = "Interview", text: str = "",
       **kw: object) -> Message:
    return msg(frm, subject, text, t(*when), mid=n, **kw)  # type: ignore[arg-type]


def _thread1() -> Conversation:
    return conv(_m("a1", "maya@corvidlabs.com", (11, 2, 9), "Corvid Labs interview"),
                _m("a2", ME, (11, 2, 11), "Re: Corvid Labs interview", to="maya@corvidlabs.com"),
                _m("a3", ME, (11, 10, 15), "Re: Corvid Labs interview", to="maya@corvidlabs.com"), cid="c-one")


def test_an_answer_in_a_new_thread_joins_the_conversation_it_answers() -> None:
    answer = conv(_m("b1", "tom.reyes@corvidlabs.com", (11, 12, 10), "Next steps at Corvid Labs"), cid="c-two")
    [joined] = join(_thread1(), answer)
    assert joined.id == "c-one" and [m.id for m in joined.messages] == ["a1", "a2", "a3", "b1"]
    assert joined.outside == frozenset({"b1"})
    assert [m.id for m in joined.own_messages] == ["a1", "a2", "a3"]
    assert joined.subject == "Corvid Labs interview"
    assert reply_target(joined, CFG.account.tz).id == "a3"  # type: ignore[union-attr]
    # for the policy it is the company's answer after the user's last message
    answered = [f for f in extract_facts(joined, CFG) if isinstance(f, HumanReply)]
    assert [f.evidence.message_id for f in answered] == ["<a1@x>", "<b1@x>"]


def test_the_draft_goes_where_the_user_last_wrote() -> None:
    """The user answered in the company's new thread: that is where the conversation lives now."""
    answer = conv(_m("b1", "tom.reyes@corvidlabs.com", (11, 12, 10), "Next steps at Corvid Labs"),
                  _m("b2", ME, (11, 12, 12), "Re: Next steps at Corvid Labs", to="tom.reyes@corvidlabs.com"),
                  cid="c-two")
    [joined] = join(_thread1(), answer)
    assert joined.id == "c-one"  # the first thread the user wrote in keeps its id (ledger, controls)
    assert reply_target(joined, CFG.account.tz).id == "b2"  # type: ignore[union-attr]
    assert joined.outside == frozenset({"a1", "a2", "a3"})


def test_an_automatic_reply_in_a_thread_of_its_own_joins_with_its_thread_hint_apart() -> None:
    first = conv(*(_m(m.id, m.from_.email, (m.date.month, m.date.day, m.date.hour), m.subject,  # type: ignore[union-attr]
                      thread_hint="gm-1") for m in _thread1().messages), cid="gm-1")
    ooo = conv(_m("o1", "maya@corvidlabs.com", (11, 10, 15), "Automatic reply: Re: Corvid Labs interview",
                  "I am out of the office until Monday, November 16.", thread_hint="gm-2",
                  auto=AutoMarkers(auto_submitted="auto-replied")), cid="gm-2")
    [joined] = join(first, ooo)
    assert joined.id == "gm-1" and joined.outside == frozenset({"o1"})
    assert {m.thread_hint for m in joined.own_messages} == {"gm-1"}
    kinds = [type(f) for f in extract_facts(joined, CFG)]
    assert AutoReply in kinds and kinds.count(HumanReply) == 1


def test_two_conversations_the_user_carries_on_at_once_stay_two() -> None:
    """An agency recruiter with two roles for the user, both answered, overlapping in time."""
    a = conv(_m("a1", "sam@ravelstone.com", (11, 2, 9), "Role one"),
             _m("a2", ME, (11, 3, 9), "Re: Role one", to="sam@ravelstone.com"),
             _m("a3", ME, (11, 9, 9), "Re: Role one", to="sam@ravelstone.com"), cid="c-a")
    b = conv(_m("b1", "sam@ravelstone.com", (11, 4, 9), "Role two"),
             _m("b2", ME, (11, 5, 9), "Re: Role two", to="sam@ravelstone.com"), cid="c-b")
    assert [c.id for c in join(a, b)] == ["c-a", "c-b"]


def test_what_never_joins() -> None:
    one = _thread1()
    # far apart in time
    late = conv(msg("tom@corvidlabs.com", "Hello", "", t(11, 10) + WINDOW + timedelta(days=2), mid="z1"),
                cid="c-late")
    assert len(join(one, late)) == 2
    # another company
    other = conv(_m("x1", "ann@acme.com", (11, 12, 10), "Next steps"), cid="c-acme")
    assert len(join(one, other)) == 2
    # bulk mail from the company says nothing of the conversation
    news = conv(_m("n1", "news@corvidlabs.com", (11, 12, 10), "Corvid Labs newsletter",
                   auto=AutoMarkers(list_id="<news.corvidlabs.com>", list_unsubscribe=True)), cid="c-news")
    assert len(join(one, news, skip=lambda m: m.auto.list_id is not None)) == 2
    # colleagues at the user's own employer: many conversations, never one
    work = [conv(_m(f"w{i}", f"p{i}@northwindtraders.com", (11, 2 + i, 9), f"Panel {i}"),
                 _m(f"w{i}r", ME, (11, 2 + i, 10), f"Re: Panel {i}", to=f"p{i}@northwindtraders.com"), cid=f"c-w{i}")
            for i in range(3)]
    assert len(join(*work, employer_domains=["northwindtraders.com"])) == 3


def test_a_company_that_mails_that_often_is_not_one_conversation() -> None:
    many = [conv(_m(f"s{i}", "alerts@corvidlabs.com", (11, 1 + i, 9), f"Notice {i}"), cid=f"c-{i}")
            for i in range(MAX_THREADS_PER_KEY + 1)]
    assert len(join(*many)) == MAX_THREADS_PER_KEY + 1


def test_every_conversation_once_in_input_order() -> None:
    answer = conv(_m("b1", "tom.reyes@corvidlabs.com", (11, 12, 10), "Next steps at Corvid Labs"), cid="c-two")
    other = conv(_m("x1", "ann@acme.com", (11, 1, 10), "Acme"), cid="c-acme")
    out = join(answer, other, _thread1())
    assert [c.id for c in out] == ["c-one", "c-acme"]
    assert sorted(m.id for c in out for m in c.messages) == ["a1", "a2", "a3", "b1", "x1"]


def test_the_engine_joins_through_the_config() -> None:
    answer = conv(_m("b1", "tom.reyes@corvidlabs.com", (11, 12, 10), "Next steps at Corvid Labs"), cid="c-two")
    [joined] = related_threads([_thread1(), answer], CFG)
    assert joined.outside == frozenset({"b1"})
    personal = conv(_m("p1", "friend@gmail.com", (11, 12, 10), "Coffee?", name="Friend"), cid="c-p")
    assert len(related_threads([_thread1(), personal], CFG)) == 2
    assert Address(ME) not in {m.from_ for m in personal.messages}
