"""Every refusal in CONTRACT: the key and the value named, nothing created, no traceback."""

from __future__ import annotations

import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest

from agent.config import load_config, parse_config
from agent.errors import ConfigError
from agent.samples import make_maildir


def _doc(tmp: Path, extra: str = "", *, account: str | None = None, maildir: str | None = None) -> str:
    for n in ("INBOX", "Sent", "Drafts"):
        make_maildir(tmp / n)
    account = account if account is not None else (
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\ntimezone = "America/New_York"\n'
    )
    maildir = maildir if maildir is not None else (
        f'[maildir]\ninbox = "{tmp}/INBOX"\nsent = "{tmp}/Sent"\ndrafts = "{tmp}/Drafts"\n'
    )
    return f'{account}\n[mailbox]\nbackend = "maildir"\n\n{maildir}\n[state]\npath = "{tmp}/state/state.db"\n{extra}'


def _write(tmp: Path, text: str) -> Path:
    p = tmp / "config.toml"
    p.write_text(text)
    return p


def test_valid_config_and_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, _doc(tmp_path)))
    assert cfg.backend == "maildir" and cfg.account.timezone == "America/New_York"
    assert cfg.schedule.business_days == (0, 1, 2, 3, 4)
    assert cfg.schedule.business_start == time(9) and cfg.schedule.business_end == time(17)
    assert cfg.schedule.holidays == "US"
    assert cfg.policy.thank_you_delay == timedelta(hours=2)
    assert cfg.policy.thank_you_latest == timedelta(hours=24)
    assert cfg.policy.deadline_grace == timedelta(days=7)
    assert cfg.policy.max_follow_ups == 2
    assert "greenhouse.io" in cfg.recruiting.ats_domains
    assert "gmail.com" in cfg.recruiting.personal_domains
    with pytest.raises(AttributeError):
        cfg.backend = "imap"  # type: ignore[misc]


def test_example_config_parses(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "config.example.toml").read_text()
    for n in ("INBOX", "Sent", "Drafts"):
        make_maildir(tmp_path / "Mail" / n)
    text = text.replace("~/Mail", str(tmp_path / "Mail"))
    cfg = load_config(_write(tmp_path, text))
    assert cfg.account.name == "Jordan Lee"


@pytest.mark.parametrize("extra,needle", [
    ("[schedule]\nfrobnicate = 1\n", "schedule.frobnicate"),
    ("[nonsense]\nx = 1\n", "nonsense"),
    ("[policy]\nthank_you_delay_hours = \"two\"\n", "policy.thank_you_delay_hours = 'two'"),
    ("[policy]\nmax_follow_ups = 5\n", "policy.max_follow_ups = 5"),
    ("[policy]\nmove_on_days = -1\n", "policy.move_on_days = -1"),
    ("[schedule]\nholidays = \"XX\"\n", "schedule.holidays = 'XX'"),
    ("[schedule]\nholidays = 7\n", "schedule.holidays = 7"),
    ("[schedule]\nbusiness_days = [\"funday\"]\n", "funday"),
    ("[schedule]\nbusiness_hours_start = \"9am\"\n", "schedule.business_hours_start = '9am'"),
    ("[schedule]\nbusiness_hours_start = \"18:00\"\n", "business_hours_end"),
    ("[schedule]\npoll_interval = \"soon\"\n", "schedule.poll_interval = 'soon'"),
    ("[recruiting]\nallow_personal_recipients = \"yes\"\n", "recruiting.allow_personal_recipients"),
    ("[drafts]\ntemplates_dir = \"/nonexistent/templates\"\n", "drafts.templates_dir"),
])
def test_refusals_name_key_and_value(tmp_path: Path, extra: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, _doc(tmp_path, extra)))
    assert needle in str(err.value)


def test_bad_timezone(tmp_path: Path) -> None:
    acc = '[account]\nname = "J"\naddresses = ["j@example.com"]\ntimezone = "Mars/Olympus"\n'
    with pytest.raises(ConfigError, match="account.timezone = 'Mars/Olympus'"):
        load_config(_write(tmp_path, _doc(tmp_path, account=acc)))


def test_bad_addresses_and_missing_keys(tmp_path: Path) -> None:
    acc = '[account]\nname = "J"\naddresses = ["not an address"]\ntimezone = "UTC"\n'
    with pytest.raises(ConfigError, match="account.addresses"):
        load_config(_write(tmp_path, _doc(tmp_path, account=acc)))
    acc = '[account]\naddresses = ["j@example.com"]\ntimezone = "UTC"\n'
    with pytest.raises(ConfigError, match="account.name"):
        load_config(_write(tmp_path, _doc(tmp_path, account=acc)))


def test_employer_domains(tmp_path: Path) -> None:
    acc = ('[account]\nname = "J"\naddresses = ["j@gmail.com", "j@northwindtraders.com"]\ntimezone = "UTC"\n'
           'employer_domains = ["@Northwind.example"]\n')
    config = load_config(_write(tmp_path, _doc(tmp_path, account=acc)))
    assert config.account.employer_domains == ("northwind.example",)
    # the work address among the user's own says it too; gmail.com never is an employer
    assert config.employer_domains == ("northwind.example", "northwindtraders.com")
    bad = '[account]\nname = "J"\naddresses = ["j@example.com"]\ntimezone = "UTC"\nemployer_domains = ["a@b.com"]\n'
    with pytest.raises(ConfigError, match="account.employer_domains"):
        load_config(_write(tmp_path, _doc(tmp_path, account=bad)))


def test_missing_maildir_folder(tmp_path: Path) -> None:
    md = f'[maildir]\ninbox = "{tmp_path}/nope"\nsent = "{tmp_path}/Sent"\ndrafts = "{tmp_path}/Drafts"\n'
    with pytest.raises(ConfigError, match=r"maildir.inbox = '.*nope'"):
        load_config(_write(tmp_path, _doc(tmp_path, maildir=md)))


def test_wrong_backend() -> None:
    with pytest.raises(ConfigError, match="mailbox.backend = 'pop3'"):
        parse_config({"account": {"name": "J", "addresses": ["j@example.com"], "timezone": "UTC"},
                      "mailbox": {"backend": "pop3"}})


@pytest.mark.parametrize("host,ok", [
    ("127.0.0.1", True), ("::1", True), ("localhost", True),
    ("imap.example.com", False), ("10.0.0.5", False),
])
def test_plaintext_imap_only_to_loopback(host: str, ok: bool) -> None:
    data = {"account": {"name": "J", "addresses": ["j@example.com"], "timezone": "UTC"},
            "mailbox": {"backend": "imap"},
            "imap": {"host": host, "security": "none", "username": "j"}}
    if ok:
        assert parse_config(data).imap is not None
    else:
        with pytest.raises(ConfigError, match=f"imap.host = '{host}'"):
            parse_config(data)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "[account\n"))
    with pytest.raises(ConfigError, match="No configuration file"):
        load_config(tmp_path / "missing.toml")


def test_cli_refusal_is_one_paragraph_no_traceback_nothing_created(tmp_path: Path) -> None:
    cfg = _write(tmp_path, _doc(tmp_path, "[schedule]\nholidays = \"Atlantis\"\n"))
    proc = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), "poll", "--once"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "schedule.holidays = 'Atlantis'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "state").exists()
    assert not any(list((tmp_path / "Drafts" / sub).iterdir()) for sub in ("cur", "new", "tmp"))
