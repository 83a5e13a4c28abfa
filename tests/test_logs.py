"""Logging never leaks a secret, whichever path a line takes.

Paths: structlog events (secret-looking keys, secrets inside strings), the
standard library's loggers (APScheduler, googleapiclient, urllib3 names), an
exception whose traceback has the password in a local variable (structlog's
and the standard library's), imapclient's own protocol trace (enabled on
purpose) during a real login to Dovecot, XOAUTH2 and HTTP Authorization lines,
and the command line with ``--debug`` and a refused login. Each runs with the
JSON renderer (service, journald) and the console renderer (terminal).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import logs
from agent.backends.imap import ImapMailbox, credential_provider
from tests.dovecot import DovecotServer

SECRET = "Tr0ub4dor&3-horse-battery"
TOKEN = "ya29.a0AfH6SMBx-not-a-real-token-0123456789"
REFRESH = "1//0g-refresh-token-abcdefghijklmnop"


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    logs.forget_secrets()
    yield
    logs.forget_secrets()
    logs.configure(json=True, stream=sys.stderr)


def _all_paths(log_secret_as_registered: bool) -> None:
    """Log through every path once, with SECRET, TOKEN and REFRESH in play."""
    if log_secret_as_registered:
        logs.register_secret(SECRET)
    log = logs.get_logger("test")
    log.info("structlog_keys", password=SECRET, token=TOKEN, authorization=f"Bearer {TOKEN}",
             imap_password=SECRET, nested={"refresh_token": REFRESH, "ok": 1})
    log.info("structlog_strings", detail=f"tried password={SECRET} and token: {TOKEN}",
             header=f"Authorization: Bearer {TOKEN}", listed=[f"Bearer {TOKEN}", REFRESH and "x"],
             url=f"https://oauth2.example/token?refresh_token={REFRESH}&client_secret={SECRET}")
    log.warning(f"an event text with the secret {SECRET} in it")
    logging.getLogger("apscheduler.scheduler").warning("job failed with password %s", SECRET)
    logging.getLogger("googleapiclient.discovery").warning(
        "request headers: {'authorization': 'Bearer %s'}", TOKEN)
    logging.getLogger("urllib3.connectionpool").warning('body: {"refresh_token": "%s"}', REFRESH)
    xoauth = base64.b64encode(f"user=jordan\x01auth=Bearer {TOKEN}\x01\x01".encode()).decode()
    logging.getLogger("imapclient.imaplib").warning("> b'A001 AUTHENTICATE XOAUTH2 %s'", xoauth)
    logging.getLogger("imapclient.imapclient").warning('> b\'A002 LOGIN jordan "%s"\'', SECRET)

    def connect(password: str) -> None:
        raise ConnectionError("refused")

    def with_local() -> None:
        password = SECRET  # a local variable a traceback with locals would print
        token = TOKEN
        connect(password + token)

    try:
        with_local()
    except ConnectionError:
        log.exception("structlog_traceback")
        logging.getLogger("imapclient").exception("stdlib_traceback")
    try:
        raise ValueError(f"server said: LOGIN jordan {SECRET}")
    except ValueError:
        log.exception("exception_message")


@pytest.mark.parametrize("as_json", [True, False])
@pytest.mark.parametrize("registered", [True, False])
def test_every_path_is_redacted(as_json: bool, registered: bool) -> None:
    buf = io.StringIO()
    logs.configure(json=as_json, stream=buf, level=logging.DEBUG, imap_trace=True)
    _all_paths(registered)
    out = buf.getvalue()
    for event in ("structlog_keys", "structlog_strings", "structlog_traceback", "stdlib_traceback",
                  "job failed with password", "request headers", "AUTHENTICATE XOAUTH2", "LOGIN jordan",
                  "exception_message"):
        assert event in out, event  # every path printed something
    assert "[redacted]" in out
    assert TOKEN not in out and REFRESH not in out
    assert base64.b64encode(f"user=jordan\x01auth=Bearer {TOKEN}\x01\x01".encode()).decode() not in out
    assert "with_local" in out and "ConnectionError" in out  # the traceback is there...
    assert "'password'" not in out and '"locals"' not in out  # ...without its local variables
    if registered:
        assert SECRET not in out
    else:
        # not registered: the patterns catch every marked place (keys, LOGIN, Bearer, key=value,
        # tracebacks); a bare secret in prose is only caught once registered (the agent registers
        # every secret it looks up, see the next test)
        lines = [ln for ln in out.splitlines() if SECRET in ln]
        assert all("an event text with the secret" in ln or "job failed with password" in ln
                   for ln in lines), lines
    if as_json:
        for line in out.splitlines():
            if line.startswith("{"):
                json.loads(line)


def test_secret_found_by_the_agent_is_registered(tmp_path: Path) -> None:
    from agent.secrets import get_secret

    (tmp_path / "imap-password").write_text(SECRET + "\n")
    assert get_secret("imap-password", service="s", username="u", command=None,
                      env={"CREDENTIALS_DIRECTORY": str(tmp_path)}) == SECRET
    buf = io.StringIO()
    logs.configure(json=True, stream=buf)
    logs.get_logger().warning(f"the bare secret {SECRET} in an event")
    assert SECRET not in buf.getvalue() and "[redacted]" in buf.getvalue()


def test_imapclient_trace_during_a_real_login(dovecot: DovecotServer, tmp_path: Path) -> None:
    user = dovecot.add_user(password=SECRET)
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap-password").write_text(SECRET)
    buf = io.StringIO()
    logs.configure(json=True, stream=buf, level=logging.DEBUG, imap_trace=True)
    cfg = user.imap_config()
    box = ImapMailbox(cfg, credential_provider(cfg, env={"CREDENTIALS_DIRECTORY": str(creds)}),
                      sleep=lambda _s: None)
    try:
        assert box.changes(None).full
    finally:
        box.close()
        user.close()
    out = buf.getvalue()
    assert "LOGIN" in out and "imapclient" in out  # the protocol trace was on
    assert SECRET not in out
    assert json.dumps(SECRET)[1:-1] not in out


def test_default_levels_keep_library_chatter_and_the_imap_trace_out() -> None:
    buf = io.StringIO()
    logs.configure(json=True, stream=buf, level=logging.DEBUG)  # --debug
    logging.getLogger("imapclient.imaplib").debug("> b'A001 FETCH 1 (BODY[])' with a body line")
    assert buf.getvalue() == ""
    logs.configure(json=True, stream=buf, level=logging.INFO)
    logging.getLogger("apscheduler.scheduler").info("Added job")
    assert buf.getvalue() == ""
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    assert json.loads(buf.getvalue())["logger_name"] == "apscheduler.scheduler"


def test_cli_with_debug_and_a_refused_login_prints_no_secret(dovecot: DovecotServer, tmp_path: Path) -> None:
    user = dovecot.add_user()
    wrong = "wr0ng-" + SECRET
    (tmp_path / "pw").write_text(wrong + "\n")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
        'timezone = "America/New_York"\n[mailbox]\nbackend = "imap"\n'
        f'[imap]\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
        f'username = "{user.username}"\npassword_command = "cat {tmp_path}/pw"\n'
        f'[state]\npath = "{tmp_path}/state.db"\n'
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    for extra in ([], ["--debug"]):
        proc = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), *extra, "poll", "--once"],
                              capture_output=True, text=True, timeout=120, env=env,
                              cwd=Path(__file__).resolve().parents[1])
        assert proc.returncode != 0
        assert "refused the login" in proc.stdout + proc.stderr
        assert wrong not in proc.stdout + proc.stderr


def test_what_is_logged_before_configure_is_held_then_redacted(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A ``poll --once`` logs in on a thread before it configures logging (HeadStart): what a
    library warns meanwhile waits, then goes through the same pipeline, redacted; nothing is
    printed bare by Python's last resort. A protocol trace held meanwhile stays out once the
    levels are set."""
    monkeypatch.setattr(logs, "_configured", False)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    logs.register_secret(SECRET)
    logs.hold()
    logging.getLogger("keyring.backend").warning("no backend: tried password=%s", SECRET)
    trace = logging.getLogger("imapclient.imaplib")
    monkeypatch.setattr(trace, "level", logging.DEBUG)  # as if a library had turned its trace on
    trace.debug("> b'A001 LOGIN jordan %s'", SECRET)
    assert capsys.readouterr().err == ""  # held, not printed bare
    out = io.StringIO()
    logs.configure(json=True, stream=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(d["logger_name"], d["level"]) for d in lines] == [("keyring.backend", "warning")]
    assert SECRET not in out.getvalue() and "[redacted]" in lines[0]["event"]
    assert logs._held is None  # let go: later records go straight to the handler


def test_hold_does_nothing_once_logging_is_configured() -> None:
    out = io.StringIO()
    logs.configure(json=True, stream=out)
    logs.hold()
    assert logs._held is None
    logging.getLogger("keyring.backend").warning("straight through")
    assert "straight through" in out.getvalue()
