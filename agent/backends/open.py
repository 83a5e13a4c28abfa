"""The one place that turns the configuration into an open mailbox.

Each backend is imported only when it is the configured one: the IMAP backend
pulls in imapclient and ssl, the Gmail one Google's client libraries, and
every command pays for what it imports at start (``bench/poll_maildir.py``
prints that start-up time).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from agent.backends.base import Mailbox
from agent.config import Config
from agent.errors import ConfigError


@contextmanager
def open_mailbox(config: Config) -> Iterator[Mailbox]:
    """The configured backend's mailbox, closed (its connection too) when the block ends."""
    mailbox = _connect(config)
    try:
        yield mailbox
    finally:
        mailbox.close()


def _connect(config: Config) -> Mailbox:
    if config.backend == "maildir":
        from agent.backends.maildir import MaildirMailbox

        if config.maildir is None:  # load_config refuses this; a Config built by hand may not
            raise ConfigError('mailbox.backend is "maildir" but there is no [maildir] section.')
        return MaildirMailbox.from_config(config.maildir)
    if config.backend == "imap":
        from agent.backends.imap import ImapMailbox

        return ImapMailbox.from_config(config)
    from agent.backends.gmail import GmailMailbox

    return GmailMailbox.from_config(config)
