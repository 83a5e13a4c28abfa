"""Run one pure computation in a forked child while this process goes on.

Why: a cold poll has two large pieces of work that do not depend on each
other once the mail is parsed: threading the whole mailbox into
conversations (pure computation) and writing the parsed mail and its thread
links to the state database (mostly SQLite). Python runs only one of them at
a time in one process; the machine has two cores. A child made by ``fork``
starts with the parsed mail already in memory (copy-on-write, nothing is
copied or serialised up front), computes, and hands back its small answer
(the candidate conversations) through a pipe, while the parent writes the
database. On 20,000 messages that takes about 0.3 s off a cold poll.

Safety, and when it is not used:

* Only in a process with a single thread. ``fork`` copies one thread; a lock
  held by another thread at that moment (in the logging module, in OpenSSL)
  would stay locked forever in the child. The long-running service polls
  from worker threads, so it always computes in-process.
* The child touches nothing but the computation and its end of the pipe: no
  database, no sockets, no logging; it leaves with ``os._exit`` (no atexit
  handlers, no flushing of buffers it shares with the parent).
* Anything unexpected (fork refused, the child failing or dying, an answer
  that does not unpickle) and the parent simply computes the answer itself:
  the result never depends on whether a child helped.
* ``FOLLOWUP_AGENT_NO_FORK=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def fork_allowed() -> bool:
    return (hasattr(os, "fork") and threading.active_count() == 1
            and not os.environ.get("FOLLOWUP_AGENT_NO_FORK"))


class Forked(Generic[T]):
    """``fn()`` computed in a child process, or here when that is not possible.

    Start it, do other work, then call :meth:`result` (once).
    """

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._pid: int | None = None
        self._fd: int | None = None
        self.child_max_rss_kb: int | None = None  # the child's peak resident set, once it ended
        if not fork_allowed():
            return
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return
        if pid == 0:  # the child
            status = 1
            try:
                os.close(read_fd)
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as out:
                    out.write(data)
                status = 0
            except BaseException:  # the parent computes it instead
                pass
            finally:
                os._exit(status)
        os.close(write_fd)
        self._pid, self._fd = pid, read_fd

    @property
    def forked(self) -> bool:
        return self._pid is not None

    def done(self) -> bool:
        """Whether :meth:`result` would return without waiting: the child has written its answer
        or ended (its pipe is readable), or there is no child. Never blocks, so the parent can
        fill its wait with small steps of other work (agent/warm_readers.py)."""
        if self._fd is None:
            return True
        readable, _, _ = select.select([self._fd], [], [], 0)
        return bool(readable)

    def cancel(self) -> None:
        """Stop and reap a child whose answer is no longer wanted (the parent failed meanwhile)."""
        if self._pid is None or self._fd is None:
            return
        pid, fd = self._pid, self._fd
        self._pid = self._fd = None
        os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def result(self) -> T:
        if self._pid is None or self._fd is None:
            return self._fn()
        pid, fd = self._pid, self._fd
        self._pid = self._fd = None
        try:
            with os.fdopen(fd, "rb") as src:
                data = src.read()
        finally:
            _, status, usage = os.wait4(pid, 0)
            self.child_max_rss_kb = usage.ru_maxrss
        if status == 0 and data:
            try:
                return pickle.loads(data)  # our own child's answer
            except Exception:
                pass
        return self._fn()
