"""One notion of the user (agent/identity.py), used alike by threading, signals, recipients and policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent import engine
from agent.config import AccountConfig, Config, GmailConfig, StateConfig
from agent.facts import UserWrote
from agent.identity import Identity, canonical, registrable_name
from agent.mail.thread import company_keys
from agent.model import Address, Conversation, Message
from agent.recipients import choose_recipient
from agent.signals.events import extract_facts
from agent.signals.recruiting import is_user
from agent.store import ServerAliases, Store
from tests.gmail_server import ACCOUNT, FakeGmail, fake_gmail

NY = ZoneInfo("America/New_York")


def _config(*addresses: str, aliases: tuple[str, ...] = ()) -> Config:
    return Config(account=AccountConfig("Jordan Lee", addresses or ("jordan.lee@gmail.com",), "America/New_York",
                                        aliases), backend="maildir", state=StateConfig(Path("unused.db")))


@pytest.mark.parametrize(("address", "mine"), [
    ("jordan.lee@gmail.com", True),
    ("Jordan.Lee@Gmail.COM", True),
    ("jordan.lee+jobs@gmail.com", True),
    ("jordan.lee+a+b@gmail.com", True),
    ("jordanlee@gmail.com", True),  # Gmail ignores dots in its own addresses
    ("j.o.r.d.a.n.lee@googlemail.com", True),
    ("jordan.lee@northwindtraders.com", True),
    ("Jordan.Lee+recruiters@NorthwindTraders.com", True),
    ("jordanlee@northwindtraders.com", False),  # dots matter everywhere else
    ("jordan.lee@gmail.co", False),
    ("jordan.leex@gmail.com", False),
    ("jordan@gmail.com", False),
    ("lee.jordan@gmail.com", False),
    ("", False),
    ("not-an-address", False),
])
def test_which_addresses_are_the_users(address: str, mine: bool) -> None:
    me = Identity.of(["jordan.lee@gmail.com", "jordan.lee@northwindtraders.com"])
    assert me.is_user(address) is mine
    assert me.is_user(Address(address.lower())) is mine
    assert me.is_user(None) is False


def test_aliases_join_the_configured_addresses_and_order_is_kept() -> None:
    me = Identity.of(["Jordan.Lee@gmail.com"], ["jl@jordanlee.dev", "jordan.lee@gmail.com"])
    assert me.addresses == ("jordan.lee@gmail.com", "jl@jordanlee.dev")
    assert me.is_user("JL+x@jordanlee.dev")
    assert canonical("J.L+x@GoogleMail.com") == "jl@gmail.com"


def test_own_domains_are_the_non_personal_ones() -> None:
    me = Identity.of(["jordan.lee@gmail.com", "jordan.lee@northwindtraders.com", "jl@proton.me"])
    assert me.own_domains(["proton.me"]) == frozenset({"northwindtraders.com"})


def test_config_identity_and_with_aliases() -> None:
    config = _config("Jordan.Lee@gmail.com")
    assert config.user_addresses == frozenset({"jordan.lee@gmail.com"})
    same = config.with_aliases([])
    assert same is config
    wider = config.with_aliases(["JL@jordanlee.dev", "", "nonsense"])
    assert wider.account.aliases == ("jl@jordanlee.dev",)
    assert wider.identity.is_user("jl+jobs@jordanlee.dev") and not config.identity.is_user("jl@jordanlee.dev")
    assert wider.user_addresses == frozenset({"jordan.lee@gmail.com", "jl@jordanlee.dev"})


def _msg(n: int, sender: str, to: str, subject: str, text: str, day: int, folder: str = "inbox",
         reply_to: str | None = None) -> Message:
    return Message(
        id=f"m{n}", folder=folder, message_id=f"<m{n}@x>", subject=subject,
        from_=Address(sender.lower(), sender.split("@")[0]), to=(Address(to.lower()),),
        date=datetime(2026, 11, day, 10, 0, tzinfo=NY),
        in_reply_to=(reply_to,) if reply_to else (), references=(reply_to,) if reply_to else (), text=text)


def _plus_thread() -> Conversation:
    return Conversation("c-1", (
        _msg(1, "maya@corvidlabs.com", "jordan.lee+jobs@gmail.com", "Corvid Labs interview",
             "Your interview is confirmed for Monday, November 16 at 10:00 AM ET.", 10),
        _msg(2, "Jordan.Lee+Jobs@gmail.com", "maya@corvidlabs.com", "Re: Corvid Labs interview",
             "Thank you for today's interview.", 16, folder="sent", reply_to="<m1@x>"),
    ))


def test_every_part_agrees_that_a_plus_address_is_the_user() -> None:
    config = _config()
    conv = _plus_thread()
    user_msg = conv.messages[1]
    # signals: the thank-you is the user's, not a company answer
    kinds = [type(f) for f in extract_facts(conv, config) if f.evidence.message_id == user_msg.message_id]
    assert kinds == [UserWrote]
    # recruiting and threading agree
    assert is_user(user_msg.from_, config)
    keys = company_keys(config.identity, config.recruiting.ats_domains)
    assert keys.is_user(user_msg.from_)  # type: ignore[arg-type]
    assert keys.of(user_msg) == frozenset({"corvidlabs"})
    # recipients: never a draft to the user's own plus-address
    to, _why = choose_recipient(conv, config)
    assert to == "maya@corvidlabs.com"


def _gmail_config(tmp_path: Path, gmail: FakeGmail) -> Config:
    token = tmp_path / "token.json"
    token.write_text(json.dumps(gmail.authorized_user()))
    return Config(account=AccountConfig("Jordan Lee", (ACCOUNT,), "America/New_York"), backend="gmail",
                  state=StateConfig(tmp_path / "state.db"),
                  gmail=GmailConfig(api_endpoint=gmail.url, token_file=token))


_INVITE = (b"From: Maya Okafor <maya@corvidlabs.com>\r\nTo: Jordan Lee <jordan.lee@gmail.com>\r\n"
           b"Subject: Corvid Labs interview\r\nDate: Tue, 10 Nov 2026 09:00:00 -0500\r\n"
           b"Message-ID: <alias-invite@corvidlabs.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Hi Jordan,\r\n\r\nYour interview for the Data Engineer role is confirmed for Monday, November 16 "
           b"at 10:00 AM ET.\r\n\r\nMaya\r\n")
_THANKS = (b"From: Jordan Lee <jl@jordanlee.dev>\r\nTo: Maya Okafor <maya@corvidlabs.com>\r\n"
           b"Subject: Re: Corvid Labs interview\r\nDate: Mon, 16 Nov 2026 15:00:00 -0500\r\n"
           b"Message-ID: <alias-thanks@jordanlee.dev>\r\nIn-Reply-To: <alias-invite@corvidlabs.com>\r\n"
           b"References: <alias-invite@corvidlabs.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Hi Maya,\r\n\r\nThank you for today's interview.\r\n\r\nJordan\r\n")


def test_a_gmail_send_as_alias_is_the_user_and_is_asked_once_a_day(tmp_path: Path) -> None:
    from agent.backends.open import open_mailbox

    with fake_gmail() as gmail:
        gmail.send_as = ("jl@jordanlee.dev",)
        gmail.deliver(_INVITE)
        gmail.deliver(_THANKS, labels=["SENT"])
        config = _gmail_config(tmp_path, gmail)

        def poll(now: str, *, dry_run: bool = False) -> engine.PollResult:
            with open_mailbox(config) as box, Store.open(config.state.path) as store:
                return engine.poll(config, box, store, datetime.fromisoformat(now), dry_run=dry_run)

        first = poll("2026-11-17T10:00:00-05:00")
        assert first.decisions, [(t.reason, t.possible) for _, t in first.untracked]
        [dec] = first.decisions
        assert dec.next is not None and dec.next.kind == "follow_up_1", dec.reason
        assert dec.next.to == "maya@corvidlabs.com"
        assert first.config is not None and first.config.identity.is_user("jl@jordanlee.dev")
        poll("2026-11-17T18:00:00-05:00")
        assert len(gmail.calls("settings.sendAs.list")) == 1  # remembered for a day
        poll("2026-11-19T10:00:00-05:00")
        assert len(gmail.calls("settings.sendAs.list")) == 2


def test_without_the_server_the_known_aliases_stand(tmp_path: Path) -> None:
    class NoAnswer:
        name = "fake"

        def aliases(self) -> tuple[str, ...]:
            from agent.errors import MailboxError

            raise MailboxError("the server did not answer")

    config = _config()
    with Store.open(tmp_path / "state.db") as store:
        store.caches.save_server_aliases(ServerAliases(datetime(2026, 11, 1, tzinfo=UTC), ("jl@jordanlee.dev",)))
        got = engine.with_server_aliases(config, NoAnswer(), store,  # type: ignore[arg-type]
                                         datetime(2026, 11, 20, tzinfo=NY))
    assert got.identity.is_user("jl@jordanlee.dev")


# --- registrable domains: one answer for threading, tracking and company names ---------------


@pytest.mark.parametrize(("domain", "label"), [
    ("acme.com", "acme"),
    ("careers.acme.com", "acme"),
    ("mail.acme.co.uk", "acme"),
    ("careers.acme.com.au", "acme"),
    ("jobs.kaiju-systems.co.jp", "kaiju-systems"),
    ("xn--mller-kva.de", "müller"),
    ("ACME.COM.", "acme"),
    ("acme..com", "acme"),
    ("localhost", "localhost"),
    ("co.uk", "co"),
    ("", ""),
])
def test_registrable_name(domain: str, label: str) -> None:
    assert registrable_name(domain) == label


def test_the_threading_and_the_company_names_ask_the_same_function() -> None:
    from agent.mail import thread
    from agent.signals import company_domain

    assert thread.registrable_name is registrable_name
    assert company_domain.domain_label is registrable_name
