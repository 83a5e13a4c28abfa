"""A command-line poll's head start (agent/backends/open.py): the mailbox logs in and takes its
fingerprint on a thread while the rest of the poll loads.

It must change nothing but the time: the same fingerprint and the same answer, the state lock
still first, every failure raised where the poll meets it, no thread or connection left behind.
None of these tests measures time; a thread's progress is waited for on events.
"""

from __future__ import annotations

import io
import threading
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from agent import cli
from agent.app import run_poll
from agent.backends import open as opening
from agent.backends.base import Fingerprint
from agent.backends.open import HeadStart, open_mailbox
from agent.config import Config, load_config
from agent.demo import DEMO_TIMES, build_sample
from agent.errors import AuthError
from agent.store import StateLock

NOW = DEMO_TIMES[0]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(build_sample(tmp_path))


class _Mailbox:
    """Stands in for a backend: its fingerprint waits for ``go`` (or raises ``error``)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.go = threading.Event()
        self.error = error
        self.closed = False
        self.asked = 0

    def fingerprint(self) -> Fingerprint:
        self.asked += 1
        assert self.go.wait(60)
        if self.error is not None:
            raise self.error
        return Fingerprint("whole", "drafts")

    def close(self) -> None:
        self.closed = True


def _stand_in(monkeypatch: pytest.MonkeyPatch, mailbox: _Mailbox) -> list[Config]:
    built: list[Config] = []

    def connect(config: Config) -> Any:
        built.append(config)
        return mailbox

    monkeypatch.setattr(opening, "_connect", connect)
    return built


def test_the_fingerprint_is_the_one_the_mailbox_gives_on_the_callers_thread(config: Config) -> None:
    with HeadStart(config) as ahead, open_mailbox(config, ahead) as mailbox:
        assert ahead.fingerprint is not None
        assert ahead.fingerprint == mailbox.fingerprint()  # type: ignore[attr-defined]


def test_a_poll_with_a_head_start_answers_as_one_without(tmp_path: Path) -> None:
    plain = load_config(build_sample(tmp_path / "plain"))
    ahead_config = load_config(build_sample(tmp_path / "ahead"))
    answers = []
    for cfg in (plain, ahead_config):
        with StateLock(cfg.state.path) as lock:
            if cfg is ahead_config:
                first = run_poll(cfg, NOW, dry_run=False, quick=True, ahead=HeadStart(cfg, lock))
            else:
                first = run_poll(cfg, NOW, dry_run=False, quick=True, lock=lock)
        run_poll(cfg, NOW, dry_run=False, quick=True)  # meets the first's draft, leaves a record
        second = run_poll(cfg, NOW, dry_run=False, quick=True)  # answered from that record
        answers.append(([(a.kind, a.conversation, a.step, a.reason) for a in first.plan],
                        second.stats.get("quick")))
    assert answers[0] == answers[1]
    assert answers[1][0] and answers[1][1] is True  # a draft was planned; the record stood


def test_the_threads_failure_is_raised_by_take_and_the_mailbox_closed(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox = _Mailbox(AuthError("The IMAP server refused the login."))
    _stand_in(monkeypatch, mailbox)
    mailbox.go.set()
    with HeadStart(config) as ahead, pytest.raises(AuthError, match="refused the login"):
        ahead.take()
    assert mailbox.closed


def test_a_head_start_never_taken_is_joined_and_closed(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox = _Mailbox()
    _stand_in(monkeypatch, mailbox)
    mailbox.go.set()
    with HeadStart(config) as ahead:
        thread = ahead._thread
    assert not thread.is_alive() and mailbox.closed and mailbox.asked == 1


def test_wait_runs_its_steps_while_the_thread_works_and_only_then(
        config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox = _Mailbox()
    _stand_in(monkeypatch, mailbox)
    seen: list[bool] = []

    def meanwhile(done: Any) -> int:
        seen.append(done())  # the thread waits for go: not done
        mailbox.go.set()
        while not done():  # the thread ends once go is set
            threading.Event().wait(0.001)
        seen.append(done())
        return 7

    with HeadStart(config) as ahead:
        assert ahead.wait(meanwhile) == 7
        assert ahead.take() is mailbox
        assert ahead.wait(meanwhile) == 0  # the thread is done: nothing more to do in a wait
    assert seen == [False, True]


def test_the_fingerprint_is_not_read_before_take(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox = _Mailbox()
    _stand_in(monkeypatch, mailbox)
    mailbox.go.set()
    with HeadStart(config) as ahead:
        with pytest.raises(RuntimeError):
            ahead.fingerprint  # noqa: B018
        ahead.take()
        assert ahead.fingerprint == Fingerprint("whole", "drafts")


def _main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_a_poll_refused_by_the_state_lock_never_opens_the_mailbox(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_sample(tmp_path)
    config = load_config(path)
    mailbox = _Mailbox()
    built = _stand_in(monkeypatch, mailbox)
    with StateLock(config.state.path):  # the service holds it
        code, _out, err = _main("--config", str(path), "poll", "--once")
    assert code != 0 and "lock" in err.lower()
    assert built == [] and mailbox.asked == 0


def test_only_a_poll_that_leaves_a_record_gets_a_head_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_sample(tmp_path)
    started: list[str] = []
    real = HeadStart.__init__

    def spy(self: HeadStart, *args: Any, **kwargs: Any) -> None:
        started.append("poll")
        real(self, *args, **kwargs)

    monkeypatch.setattr(HeadStart, "__init__", spy)
    now = ["--now", NOW.isoformat()]
    assert _main("--config", str(path), "poll", "--once", "--dry-run", *now)[0] == 0
    assert _main("--config", str(path), "status", *now)[0] == 0
    assert started == []
    code, out, _err = _main("--config", str(path), "poll", "--once", "--json", *now)
    assert code == 0 and started == ["poll"]
    assert '"warm_steps_at_login"' in out  # how many steps it loaded while waiting (0 if none)


def test_a_refused_imap_login_reads_as_it_did_without_a_head_start(dovecot_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Against Dovecot, a wrong password: the command says what the poll said before the login
    moved to a thread (AuthError's words and exit status), once, without a traceback."""
    path = tmp_path / "config.toml"
    path.write_text(
        '[account]\nname = "Me"\naddresses = ["me@example.com"]\ntimezone = "America/New_York"\n'
        '[mailbox]\nbackend = "imap"\n'
        f'[imap]\nhost = "{dovecot_user.server.host}"\nport = {dovecot_user.server.port}\n'
        f'security = "none"\nusername = "{dovecot_user.username}"\npassword_command = "echo wrong-password"\n'
        'secret_sources = ["command"]\n'
        f'[state]\npath = "{tmp_path / "state.db"}"\n'
    )
    code, out, err = _main("--config", str(path), "poll", "--once")
    with pytest.raises(AuthError) as direct:
        run_poll(load_config(path), NOW, dry_run=False, quick=True)
    assert code == AuthError.exit_code and out == ""
    assert err == f"followup-agent: {direct.value}\n"
    assert "refused the login" in err and "Traceback" not in err


def test_a_cold_poll_from_the_command_line_still_threads_in_a_child(tmp_path: Path) -> None:
    """The threading child is forked only in a single-threaded process (agent/forked.py): the head
    start's thread is gone by then, so a first poll from the command line still forks it."""
    import json
    import subprocess
    import sys

    path = build_sample(tmp_path)
    code = ("import sys; import agent.syncing as s; s.FORK_AT = 1; from agent.cli import main; "
            f"sys.exit(main(['--config', {str(path)!r}, 'poll', '--once', '--json', '--now', {NOW.isoformat()!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)["stats"]
    assert stats["full_sync"] is True and stats["threaded_alongside"] is True
    assert "warm_steps_at_login" in stats


def test_ctrl_c_is_not_kept_waiting_for_the_server(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbox = _Mailbox()
    _stand_in(monkeypatch, mailbox)
    with pytest.raises(KeyboardInterrupt), HeadStart(config) as ahead:
        raise KeyboardInterrupt
    assert ahead._thread.is_alive()  # left to end with the process, not joined
    mailbox.go.set()
    ahead._thread.join()
