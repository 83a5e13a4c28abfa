"""The one place that turns the configuration into an open mailbox.

Each backend is imported only when it is the configured one: the IMAP backend
pulls in imapclient and ssl, the Gmail one Google's client libraries, and
every command pays for what it imports at start (``bench/poll_maildir.py``
prints that start-up time).

A poll from the command line opens its mailbox with a :class:`HeadStart`: the
login and the fingerprint run on a thread of their own while the process
goes on loading the rest of the poll.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from agent.backends.base import Fingerprint, Fingerprinted, Mailbox
from agent.config import Config
from agent.errors import ConfigError

if TYPE_CHECKING:
    from agent.store_lock import StateLock


@contextmanager
def open_mailbox(config: Config, ahead: HeadStart | None = None) -> Iterator[Mailbox]:
    """The configured backend's mailbox, closed (its connection too) when the block ends;
    ``ahead``'s when given (it may already be logged in)."""
    mailbox = ahead.take() if ahead is not None else _connect(config)
    try:
        yield mailbox
    finally:
        mailbox.close()


class HeadStart:
    """The configured mailbox, with its fingerprint taken on a thread of its own while the
    caller loads the rest of the poll.

    Why a thread: in a fresh process, a poll with little to do spends its time
    importing modules (Python work, holding the GIL) and waiting for the server: the
    login, then the fingerprint's commands, the first of which, after a delivery,
    waits for the server to rescan the folder (Dovecot with Maildir: 0.03 s at 20,000
    messages, 0.1 s at 100,000). A thread waiting on its socket lets go of the GIL,
    so the two overlap instead of adding up.

    The backend module is imported, and the mailbox built, on the caller's thread
    before the thread starts: imports gain nothing from a second thread, and two
    threads importing the same modules at once could meet a half-made one. The
    thread does exactly what the poll would do first, with the same retries; what
    it raises (a refused login, a server gone) is raised by :meth:`take`, where the
    poll would have met it. A head start never taken (the state lock was refused)
    is joined and its connection closed on ``__exit__``.
    """

    def __init__(self, config: Config, lock: StateLock | None = None) -> None:
        #: the state lock the caller took for the poll, handed on to it (agent.app.run_poll)
        self.lock = lock
        self._mailbox = _connect(config)
        self._fingerprint: Fingerprint | None = None
        self._error: BaseException | None = None
        self._taken = False
        self._thread = threading.Thread(target=self._work, name="followup-head-start", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            if isinstance(self._mailbox, Fingerprinted):
                self._fingerprint = self._mailbox.fingerprint()
        except BaseException as err:  # raised on the caller's thread by take()
            self._error = err

    def wait(self, meanwhile: Callable[[Callable[[], bool]], int]) -> int:
        """Run ``meanwhile(done)`` if the thread is still at work: small steps until ``done()``
        says it has finished (agent/warm_readers.py's ``warm_sync``: what the poll loads next).
        Returns what ``meanwhile`` returns (the steps it took), 0 when the thread was done."""
        if not self._thread.is_alive():
            return 0
        return meanwhile(lambda: not self._thread.is_alive())

    def take(self) -> Mailbox:
        """The mailbox, once the thread is done (its error raised here); the caller closes it."""
        self._joined()
        if self._error is not None:
            error, self._error = self._error, None
            self._mailbox.close()
            raise error
        return self._mailbox

    @property
    def fingerprint(self) -> Fingerprint | None:
        """The fingerprint the thread took (None: the backend gives none); after :meth:`take`."""
        if not self._taken:
            raise RuntimeError("HeadStart.fingerprint before take()")
        return self._fingerprint

    def _joined(self) -> None:
        self._thread.join()
        self._taken = True

    def __enter__(self) -> HeadStart:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):
            return  # Ctrl-C: not kept waiting for the server; the thread ends with the process
        if not self._taken:
            self._joined()
            with contextlib.suppress(Exception):
                self._mailbox.close()


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
