"""Who a draft goes to: the company person who last wrote from a business address.

Never a no-reply style mailbox, never an address that bounced, and never a
personal web-mail address unless the config allows it ("contact recruiters
through their business accounts"). A recruiting system's message counts
through its Reply-To when that names a person. When nobody qualifies there is
no draft, and the reason says why.
"""

from __future__ import annotations

from agent.config import Config
from agent.model import Address, Conversation
from agent.signals.autoreply import auto_reply, is_bulk
from agent.signals.bounces import bounce
from agent.signals.recruiting import is_ats, is_noreply, is_personal, is_user


def usable(addr: Address, config: Config, unusable: tuple[str, ...] = ()) -> str | None:
    """None when ``addr`` may receive a draft, else the reason it may not."""
    if is_user(addr, config):
        return "it is your own address"
    if addr.email in unusable:
        return f"{addr.email} bounced"
    if is_noreply(addr):
        return f"{addr.email} is a no-reply address"
    if is_ats(addr, config):
        return f"{addr.email} belongs to a recruiting system"
    if is_personal(addr, config) and not config.recruiting.allow_personal_recipients:
        return f"{addr.email} is a personal web-mail address"
    return None


def choose_recipient(
    conv: Conversation, config: Config, unusable: tuple[str, ...] = ()
) -> tuple[str | None, str]:
    """The address to write to and a sentence saying why (or why none)."""
    refused: list[str] = []
    tz = config.account.tz
    for m in reversed(conv.messages):
        if m.from_ is None or is_user(m.from_, config):
            continue
        if bounce(m) or is_bulk(m, config.recruiting.job_alert_domains):
            continue
        candidates = [m.from_] if auto_reply(m, tz) is None else []
        candidates = [*m.reply_to, *candidates] if m.reply_to else candidates
        for a in candidates:
            why = usable(a, config, unusable)
            if why is None:
                return a.email, f"{a.email} wrote last from a business address"
            refused.append(why)
    # nobody wrote usefully: whoever the user wrote to, most recent first
    for m in reversed(conv.messages):
        if is_user(m.from_, config):
            for a in (*m.to, *m.cc):
                if usable(a, config, unusable) is None:
                    return a.email, f"{a.email} is who you last wrote to"
    if refused:
        return None, "no usable address: " + "; ".join(dict.fromkeys(refused))
    return None, "no usable address: nobody at the company has written from a business address"
