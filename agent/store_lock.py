"""The state's process lock, and the private files and folders the state lives in.

``poll --once`` and the service take :class:`StateLock` for a whole cycle, so
two agents never interleave mailbox writes and ledger updates; ``doctor``
only asks who holds it (:meth:`StateLock.probe`), and never takes it.

Why ``flock`` on a file of its own (``<db>.lock``): ``flock`` locks belong to
the open file, are released by the kernel when the process dies (no stale lock
after a crash), and are independent of SQLite's own locks. The holder writes
its pid into the file, so another process can say who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from agent.errors import StateLockedError


@dataclass(frozen=True)
class LockProbe:
    """Who holds the lock right now (``doctor``'s question), without taking it for long.

    ``exists``: the lock file is there (a state never polled has none).
    ``held``: another open file holds it, ``holder`` being its pid when it wrote one.
    ``mode``: the lock file's permission bits, when it exists.
    """

    path: Path
    exists: bool
    held: bool
    holder: int | None = None
    mode: int | None = None


class StateLock:
    """An exclusive, non-blocking ``flock`` on ``<db>.lock``.

    With ``create=False`` (dry runs, which must not write anything) a missing
    lock file is not created and the lock is simply not taken: there is then no
    state that a concurrent real poll could be changing under a reader.
    """

    def __init__(self, db_path: Path, *, create: bool = True) -> None:
        self.path = Path(str(db_path) + ".lock")
        self.create = create
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> StateLock:
        if self._fd is not None:
            return self
        fd = self._open()
        if fd is None:
            return self
        try:
            free = _try_flock(fd)
        except BaseException:
            os.close(fd)
            raise
        if not free:
            holder = _holder_pid(fd)
            os.close(fd)
            by = f" by process {holder}" if holder else ""
            raise StateLockedError(
                f"Another followup-agent process is running (lock held on {self.path}{by}). "
                "Wait for it to finish, or stop the service before polling by hand."
            )
        if self.create:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def probe(self) -> LockProbe:
        """Whether another process holds the lock, and which; creates and writes nothing.

        The lock is taken for an instant (and let go) to learn that it is free:
        ``flock`` has no other way to ask. An ``OSError`` (a lock file this user
        cannot open) propagates: that is itself the answer ``doctor`` reports.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return LockProbe(self.path, exists=False, held=False)
        try:
            mode = stat.S_IMODE(os.fstat(fd).st_mode)
            if not _try_flock(fd):
                return LockProbe(self.path, exists=True, held=True, holder=_holder_pid(fd), mode=mode)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return LockProbe(self.path, exists=True, held=False, mode=mode)
        finally:
            os.close(fd)

    def _open(self) -> int | None:
        """The lock file's descriptor; None when it is missing and may not be created."""
        flags = os.O_CLOEXEC
        try:
            if self.create:
                make_private_dir(self.path.parent)
                return os.open(self.path, flags | os.O_RDWR | os.O_CREAT, 0o600)
            return os.open(self.path, flags | os.O_RDONLY)
        except FileNotFoundError:
            if self.create:
                raise
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> StateLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _try_flock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` if it is free; False when another holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder_pid(fd: int) -> int | None:
    """The pid the holder wrote into the lock file, if it wrote one that reads as a number."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode().strip() or "0")
        return pid or None
    return None


def make_private_dir(path: Path) -> None:
    """Create ``path`` (0700) if missing; an existing folder is left as it is."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


def make_private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does, or tighten an existing one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
        return
    os.close(fd)
