"""TOML configuration, validated once at start into frozen, typed objects.

Every number in POLICY.md is a key here with the POLICY default. Anything the
user got wrong (an unknown key, a wrong type, a bad time zone or holiday
country, a missing Maildir folder, plaintext IMAP to a remote host) raises
:class:`~agent.errors.ConfigError` naming the key and the value, before the
agent reads or writes anything.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import re
import shlex
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.errors import ConfigError
from agent.identity import Identity
from agent.lazy_pattern import lazy

#: ``mailbox.lookback_days`` unless set: half a year, as long as a job search usually runs
DEFAULT_LOOKBACK_DAYS = 180

DEFAULT_ATS_DOMAINS: tuple[str, ...] = (
    "greenhouse.io",
    "greenhouse-mail.io",
    "lever.co",
    "hire.lever.co",
    "myworkday.com",
    "myworkdayjobs.com",
    "ashbyhq.com",
    "smartrecruiters.com",
    "icims.com",
    "jobvite.com",
    "workable.com",
    "bamboohr.com",
    "recruitee.com",
    "teamtailor.com",
    "jazzhr.com",
    "applytojob.com",
    "breezy.hr",
    "successfactors.com",
    "taleo.net",
    "gem.com",
    "goodtime.io",
    "calendly.com",
    "hirevue.com",
    "rippling.com",
    "pinpointhq.com",
    "personio.de",
    "personio.com",
    "workablemail.com",
)

DEFAULT_PERSONAL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "ymail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "mail.com",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "tutanota.com",
    "qq.com",
    "163.com",
)

# Job boards' alert senders: digests, never conversations.
DEFAULT_JOB_ALERT_DOMAINS: tuple[str, ...] = (
    "linkedin.com",
    "indeed.com",
    "glassdoor.com",
    "ziprecruiter.com",
    "monster.com",
    "dice.com",
    "wellfound.com",
    "angel.co",
    "otta.com",
    "welcometothejungle.com",
    "builtin.com",
    "simplyhired.com",
    "careerbuilder.com",
    "hired.com",
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class AccountConfig:
    name: str
    addresses: tuple[str, ...]
    timezone: str
    #: addresses the server says are the user's too (Gmail's sendAs), learned at run time
    aliases: tuple[str, ...] = ()
    #: the domains of the user's current employer: mail from there is never their job search
    employer_domains: tuple[str, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def primary(self) -> str:
        return self.addresses[0]


@dataclass(frozen=True)
class MaildirConfig:
    inbox: Path
    sent: Path
    drafts: Path


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    security: str = "tls"  # tls | starttls | none
    username: str = ""
    auth: str = "password"  # password | xoauth2
    password_command: str | None = None
    credential_name: str = "imap-password"
    keyring_service: str = "followup-agent"
    # where the password is looked for, in order (README: Secrets); all three by default
    secret_sources: tuple[str, ...] = ("credentials", "keyring", "command")
    ca_file: Path | None = None
    timeout: float = 30.0
    sent_folder: str | None = None  # override SPECIAL-USE discovery
    drafts_folder: str | None = None
    all_folder: str | None = None
    gmail_query: str = "newer_than:180d"  # X-GM-RAW narrowing on Gmail
    labels: bool = False  # set Follow-up/* labels on Gmail
    # OAuth2 (auth = "xoauth2"): whose tokens; Microsoft's need an app registration (README)
    provider: str = "google"  # google | microsoft
    client_id: str | None = None  # Microsoft: the app registration's Application (client) ID
    tenant: str = "common"  # Microsoft: common | consumers | organizations | a tenant id
    authority_host: str = "https://login.microsoftonline.com"
    token_file: Path | None = None  # OAuth2 grant in a 0600 file instead of the keyring


@dataclass(frozen=True)
class GmailConfig:
    token_file: Path | None = None
    api_endpoint: str = "https://gmail.googleapis.com"
    query: str = "newer_than:180d"
    credential_name: str = "gmail-token"
    keyring_service: str = "followup-agent"
    labels: bool = False


@dataclass(frozen=True)
class ScheduleConfig:
    holidays: str | None = "US"
    holidays_subdivision: str | None = None
    business_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    business_start: time = time(9, 0)
    business_end: time = time(17, 0)
    poll_interval: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class PolicyConfig:
    thank_you_delay: timedelta = timedelta(hours=2)
    thank_you_latest: timedelta = timedelta(hours=24)
    deadline_grace: timedelta = timedelta(days=7)
    no_deadline_wait: timedelta = timedelta(days=7)
    second_follow_up_wait: timedelta = timedelta(days=7)
    move_on_after: timedelta = timedelta(days=7)
    max_follow_ups: int = 2
    interview_default_length: timedelta = timedelta(hours=1)
    thread_window: timedelta = timedelta(days=60)


@dataclass(frozen=True)
class RecruitingConfig:
    ats_domains: tuple[str, ...] = DEFAULT_ATS_DOMAINS
    personal_domains: tuple[str, ...] = DEFAULT_PERSONAL_DOMAINS
    job_alert_domains: tuple[str, ...] = DEFAULT_JOB_ALERT_DOMAINS
    allow_personal_recipients: bool = False
    track_label: str = "Recruiting"
    ignore_label: str = "Not-Recruiting"


@dataclass(frozen=True)
class LabelsConfig:
    """Labels (Gmail) or keywords (IMAP) the user sets on a conversation to steer the agent."""

    pause: str = "Follow-up/Pause"
    done: str = "Follow-up/Done"
    track: str = "Follow-up/Track"
    ignore: str = "Follow-up/Ignore"
    queued: str = "Follow-up/Queued"  # set by the agent (imap.labels / gmail.labels) while a draft waits


@dataclass(frozen=True)
class DraftsConfig:
    templates_dir: Path | None = None
    max_words: int = 120
    signature: str | None = None


@dataclass(frozen=True)
class NotifyConfig:
    """``[notify]``: how the user hears that a draft waits (agent/notify.py; README: Notices)."""

    desktop: bool = True  # a notification on the session D-Bus
    command: str | None = None  # run with FOLLOWUP_* variables, split like a shell line, never through one
    timeout_seconds: float = 10.0  # each channel's limit, so that a notice never holds up the poll
    summary_above: int = 3  # more drafts than this in one poll: one summary notice instead of one each


@dataclass(frozen=True)
class StateConfig:
    path: Path


@dataclass(frozen=True)
class CalendarConfig:
    """``[calendar]``: the interview calendar ``run`` keeps current (agent/calendar_export.py)."""

    ics_path: Path | None = None  # None: no file kept
    name: str = "Job search"  # the calendar's name in a calendar app (X-WR-CALNAME)


@dataclass(frozen=True)
class Config:
    account: AccountConfig
    backend: str
    state: StateConfig
    maildir: MaildirConfig | None = None
    imap: ImapConfig | None = None
    gmail: GmailConfig | None = None
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    recruiting: RecruitingConfig = field(default_factory=RecruitingConfig)
    drafts: DraftsConfig = field(default_factory=DraftsConfig)
    labels: LabelsConfig = field(default_factory=LabelsConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    source: Path | None = None
    #: ``mailbox.lookback_days``: a first sync lists this many days of mail (0: all of it; agent/window.py)
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    notify: NotifyConfig = field(default_factory=NotifyConfig)

    @property
    def write_labels(self) -> bool:
        """Whether the agent may mark conversations with ``labels.queued`` (off by default)."""
        if self.backend == "imap":
            return bool(self.imap and self.imap.labels)
        if self.backend == "gmail":
            return bool(self.gmail and self.gmail.labels)
        return False

    @functools.cached_property
    def identity(self) -> Identity:
        """Who the user is (agent/identity.py): asked for every message of a cold poll,
        so it is made once per (immutable) config."""
        return Identity.of(self.account.addresses, self.account.aliases)

    @functools.cached_property
    def employer_domains(self) -> tuple[str, ...]:
        """The user's current employer: ``account.employer_domains`` and the domains of the
        configured work addresses (not personal web-mail). Server aliases are left out: they are
        often a vanity domain, never an employer."""
        own = Identity.of(self.account.addresses).own_domains(self.recruiting.personal_domains)
        return tuple(sorted({*self.account.employer_domains, *own}))

    @property
    def user_addresses(self) -> frozenset[str]:
        """The configured addresses and the aliases, lower-case (see :attr:`identity`)."""
        return frozenset(self.identity.addresses)

    def with_aliases(self, aliases: Iterable[str]) -> Config:
        """This config, knowing the server's aliases of the user as well."""
        found = tuple(sorted({a.strip().lower() for a in aliases if a and "@" in a}))
        if found == self.account.aliases:
            return self
        return dataclasses.replace(self, account=dataclasses.replace(self.account, aliases=found))


# --- defaults for paths ------------------------------------------------------------


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "followup-agent" / "config.toml"


def default_state_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("STATE_DIRECTORY"):  # systemd StateDirectory=
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / "state.db"
    base = env.get("XDG_STATE_HOME") or str(
        Path(env.get("HOME", "~")).expanduser() / ".local" / "state"
    )
    return Path(base) / "followup-agent" / "state.db"


# --- loading -----------------------------------------------------------------------


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the TOML file at ``path`` (or the default location)."""
    path = path or default_config_path(env)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"No configuration file at {path}. Copy config.example.toml there "
            "(or pass --config PATH) and fill in [account] and [mailbox]."
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot read the configuration file {path}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}.") from None
    return parse_config(data, source=path, env=env)


def parse_config(
    data: Mapping[str, Any], source: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Validate an already-parsed TOML document."""
    _check_keys("", data, _SECTIONS)
    base = source.parent if source else Path.cwd()

    account = _account(_section(data, "account"))

    mb = _section(data, "mailbox")
    backend = _get(mb, "mailbox.backend", str, required=True)
    if backend not in ("maildir", "imap", "gmail"):
        raise ConfigError(
            f"mailbox.backend = {backend!r} is not one of \"maildir\", \"imap\", \"gmail\"."
        )

    lookback = _lookback(mb)
    maildir = imap = gmail = None
    if backend == "maildir" or "maildir" in data:
        maildir = _maildir(_section(data, "maildir"), base, check=backend == "maildir")
    if backend == "imap" or "imap" in data:
        imap = _imap(_section(data, "imap"), base, required=backend == "imap", lookback=lookback)
    if backend == "gmail" or "gmail" in data:
        gmail = _gmail(_section(data, "gmail"), base, lookback=lookback)

    st = _section(data, "state")
    state_path = _get(st, "state.path", str)
    state = StateConfig(
        path=_path(state_path, base) if state_path else default_state_path(env)
    )

    return Config(
        account=account,
        backend=backend,
        state=state,
        maildir=maildir,
        imap=imap,
        gmail=gmail,
        schedule=_schedule(_section(data, "schedule")),
        policy=_policy(_section(data, "policy")),
        recruiting=_recruiting(_section(data, "recruiting")),
        drafts=_drafts(_section(data, "drafts"), base),
        labels=_labels(_section(data, "labels")),
        calendar=_calendar(_section(data, "calendar"), base),
        source=source,
        lookback_days=lookback,
        notify=_notify(_section(data, "notify")),
    )


def _lookback(mb: Mapping[str, Any]) -> int:
    """``mailbox.lookback_days``: a whole number of days, or 0 or "all" for no window."""
    value = mb.get("lookback_days", DEFAULT_LOOKBACK_DAYS)
    if value == "all":
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"mailbox.lookback_days = {value!r} must be a whole number of days "
                          "(for example 180), or 0 or \"all\" to read the whole mailbox on the first sync.")
    return value


def window_query(lookback: int) -> str:
    """The Gmail search that says the same as the window (``imap.gmail_query`` and ``gmail.query``
    default to it): ``newer_than:180d``, or nothing without a window."""
    return f"newer_than:{lookback}d" if lookback else ""


# --- sections ----------------------------------------------------------------------

def _account(acc: Mapping[str, Any]) -> AccountConfig:
    """``[account]``: who the user is, their addresses, their time zone and their employer's domains."""
    name = _get(acc, "account.name", str, required=True)
    addresses = _get(acc, "account.addresses", list, required=True)
    if not addresses or not all(isinstance(a, str) and _EMAIL.fullmatch(a) for a in addresses):
        raise ConfigError(
            f"account.addresses must be a non-empty list of email addresses, not {addresses!r}."
        )
    tzname = _get(acc, "account.timezone", str, required=True)
    try:
        ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"account.timezone = {tzname!r} is not an IANA time zone name "
            "(for example \"America/New_York\" or \"Europe/Berlin\")."
        ) from None
    employer = _get(acc, "account.employer_domains", list, default=[])
    if not all(isinstance(d, str) and "." in d and "@" not in d.lstrip("@") for d in employer):
        raise ConfigError(f"account.employer_domains = {employer!r} must be a list of domain names "
                          "(for example [\"northwindtraders.com\"]).")
    return AccountConfig(name=name, addresses=tuple(a.lower() for a in addresses), timezone=tzname,
                         employer_domains=tuple(d.lower().lstrip("@") for d in employer))


_SECTIONS: dict[str, Any] = {
    "account": {"name", "addresses", "timezone", "employer_domains"},
    "mailbox": {"backend", "lookback_days"},
    "maildir": {"inbox", "sent", "drafts"},
    "imap": {
        "host", "port", "security", "username", "auth", "password_command", "secret_sources",
        "credential_name", "keyring_service", "ca_file", "timeout", "sent_folder",
        "drafts_folder", "all_folder", "gmail_query", "labels",
        "provider", "client_id", "tenant", "authority_host", "token_file",
    },
    "gmail": {"token_file", "api_endpoint", "query", "credential_name", "keyring_service", "labels"},
    "schedule": {
        "holidays", "holidays_subdivision", "business_days", "business_hours_start",
        "business_hours_end", "poll_interval",
    },
    "policy": {
        "thank_you_delay_hours", "thank_you_latest_hours", "deadline_grace_days",
        "no_deadline_wait_days", "second_follow_up_days", "move_on_days", "max_follow_ups",
        "interview_default_minutes", "thread_window_days",
    },
    "recruiting": {
        "ats_domains", "extra_ats_domains", "personal_domains", "extra_personal_domains",
        "job_alert_domains", "allow_personal_recipients", "track_label", "ignore_label",
    },
    "drafts": {"templates_dir", "max_words", "signature"},
    "labels": {"pause", "done", "track", "ignore", "queued"},
    "state": {"path"},
    "notify": {"desktop", "command", "timeout_seconds", "summary_above"},
    "calendar": {"ics_path", "name"},
}

_EMAIL = lazy(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_keys(prefix: str, data: Mapping[str, Any], allowed: Mapping[str, Any] | set[str]) -> None:
    for key in data:
        if key not in allowed:
            where = f"{prefix}{key}"
            known = ", ".join(sorted(allowed))
            raise ConfigError(f"Unknown configuration key {where!r}. Known keys here: {known}.")


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    sec = data.get(name, {})
    if not isinstance(sec, dict):
        raise ConfigError(f"[{name}] must be a table, not {sec!r}.")
    _check_keys(f"{name}.", sec, _SECTIONS[name])
    return sec


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}


def _get(sec: Mapping[str, Any], key: str, typ: type, *, required: bool = False, default: Any = None) -> Any:
    short = key.rpartition(".")[2]
    if short not in sec:
        if required:
            raise ConfigError(f"Missing configuration key {key!r}.")
        return default
    value = sec[short]
    ok = isinstance(value, typ) and not (typ in (int, float) and isinstance(value, bool))
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        ok, value = True, float(value)
    if not ok:
        raise ConfigError(f"{key} = {value!r} has the wrong type: it must be {_TYPE_NAMES[typ]}.")
    return value


def _path(value: str, base: Path) -> Path:
    p = Path(os.path.expandvars(value)).expanduser()
    return p if p.is_absolute() else (base / p)


def _calendar(sec: Mapping[str, Any], base: Path) -> CalendarConfig:
    """``[calendar]``: ``~`` and variables expanded, relative to the config file's folder."""
    path = _get(sec, "calendar.ics_path", str)
    name = _get(sec, "calendar.name", str, default="Job search")
    if path is not None and not path.strip():
        raise ConfigError("calendar.ics_path is empty: give a file path (e.g. \"~/Calendars/job-search.ics\") "
                          "or leave the key out.")
    if not name.strip():
        raise ConfigError("calendar.name is empty: give the calendar a name or leave the key out.")
    return CalendarConfig(ics_path=_path(path, base) if path else None, name=name.strip())


def _maildir(sec: Mapping[str, Any], base: Path, check: bool) -> MaildirConfig:
    paths = {}
    for key in ("inbox", "sent", "drafts"):
        value = _get(sec, f"maildir.{key}", str, required=check)
        p = _path(value, base) if value else Path()
        if check and not all((p / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise ConfigError(
                f"maildir.{key} = {value!r}: {p} is not a Maildir folder "
                "(it must exist and hold cur/, new/ and tmp/)."
            )
        paths[key] = p
    return MaildirConfig(**paths)


def is_loopback(host: str) -> bool:
    """True when ``host`` names this machine only (no name resolution beyond localhost)."""
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _imap(sec: Mapping[str, Any], base: Path, required: bool,
          lookback: int = DEFAULT_LOOKBACK_DAYS) -> ImapConfig:
    oauth = _imap_oauth(sec, base)
    microsoft = oauth["provider"] == "microsoft"
    host = _get(sec, "imap.host", str, required=required and not microsoft,
                default="outlook.office365.com" if microsoft else "")
    security = _get(sec, "imap.security", str, default="tls")
    if security not in ("tls", "starttls", "none"):
        raise ConfigError(f"imap.security = {security!r} is not one of \"tls\", \"starttls\", \"none\".")
    if security == "none" and not is_loopback(host):
        raise ConfigError(
            f"imap.security = \"none\" with imap.host = {host!r}: plaintext IMAP is only allowed "
            "to a loopback host (127.0.0.1, ::1, localhost). Use \"tls\" or \"starttls\"."
        )
    port = _get(sec, "imap.port", int, default=993 if security == "tls" else 143)
    if not 0 < port < 65536:
        raise ConfigError(f"imap.port = {port!r} is not a TCP port number.")
    auth = _get(sec, "imap.auth", str, default="password")
    if auth not in ("password", "xoauth2"):
        raise ConfigError(f"imap.auth = {auth!r} is not one of \"password\", \"xoauth2\".")
    ca = _get(sec, "imap.ca_file", str)
    ca_path = _path(ca, base) if ca else None
    if ca_path is not None and not ca_path.is_file():
        raise ConfigError(f"imap.ca_file = {ca!r}: no such file {ca_path}.")
    timeout = _get(sec, "imap.timeout", float, default=30.0)
    if timeout <= 0:
        raise ConfigError(f"imap.timeout = {timeout!r} must be a positive number of seconds.")
    return ImapConfig(
        host=host,
        port=port,
        security=security,
        username=_get(sec, "imap.username", str, required=required, default=""),
        auth=auth,
        password_command=_get(sec, "imap.password_command", str),
        secret_sources=_secret_sources(sec.get("secret_sources")),
        credential_name=_get(sec, "imap.credential_name", str, default="imap-password"),
        keyring_service=_get(sec, "imap.keyring_service", str, default="followup-agent"),
        ca_file=ca_path,
        timeout=timeout,
        sent_folder=_get(sec, "imap.sent_folder", str),
        drafts_folder=_get(sec, "imap.drafts_folder", str),
        all_folder=_get(sec, "imap.all_folder", str),
        gmail_query=_get(sec, "imap.gmail_query", str, default=window_query(lookback)),
        labels=_get(sec, "imap.labels", bool, default=False),
        **oauth,
    )


_TENANT = lazy(r"common|consumers|organizations|[0-9a-fA-F-]{36}|[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _imap_oauth(sec: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """The OAuth2 keys: which provider, and Microsoft's app registration and tenant."""
    provider = _get(sec, "imap.provider", str, default="google")
    if provider not in ("google", "microsoft"):
        raise ConfigError(f"imap.provider = {provider!r} is not one of \"google\", \"microsoft\".")
    client_id = _get(sec, "imap.client_id", str)
    if provider == "microsoft":
        if _get(sec, "imap.auth", str, default="password") != "xoauth2":
            raise ConfigError("imap.provider = \"microsoft\" needs imap.auth = \"xoauth2\": Microsoft "
                              "refuses password logins over IMAP.")
        if not client_id:
            raise ConfigError("imap.provider = \"microsoft\" needs imap.client_id, the Application (client) "
                              "ID of your app registration (README: Microsoft accounts).")
    tenant = _get(sec, "imap.tenant", str, default="common")
    if not _TENANT.fullmatch(tenant):
        raise ConfigError(f"imap.tenant = {tenant!r} is not common, consumers, organizations, a tenant id "
                          "or a tenant domain.")
    authority_host = _get(sec, "imap.authority_host", str, default="https://login.microsoftonline.com")
    if not authority_host.startswith("https://"):
        raise ConfigError(f"imap.authority_host = {authority_host!r} must be an https URL.")
    token = _get(sec, "imap.token_file", str)
    return {"provider": provider, "client_id": client_id, "tenant": tenant,
            "authority_host": authority_host.rstrip("/"), "token_file": _path(token, base) if token else None}


def _gmail(sec: Mapping[str, Any], base: Path, lookback: int = DEFAULT_LOOKBACK_DAYS) -> GmailConfig:
    token = _get(sec, "gmail.token_file", str)
    endpoint = _get(sec, "gmail.api_endpoint", str, default="https://gmail.googleapis.com")
    if not re.match(r"https?://", endpoint):
        raise ConfigError(f"gmail.api_endpoint = {endpoint!r} must be an http(s) URL.")
    return GmailConfig(
        token_file=_path(token, base) if token else None,
        api_endpoint=endpoint.rstrip("/"),
        query=_get(sec, "gmail.query", str, default=window_query(lookback)),
        credential_name=_get(sec, "gmail.credential_name", str, default="gmail-token"),
        keyring_service=_get(sec, "gmail.keyring_service", str, default="followup-agent"),
        labels=_get(sec, "gmail.labels", bool, default=False),
    )


def _hhmm(key: str, value: str) -> time:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ConfigError(f"{key} = {value!r} is not a time of day like \"09:00\".")
    return time(int(m[1]), int(m[2]))


_DURATION = lazy(r"(\d+)\s*(s|sec|m|min|h|d)?")


def parse_duration(key: str, value: Any) -> timedelta:
    """``"10m"``, ``"90s"``, ``"2h"`` or a number of seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    if isinstance(value, str) and (m := _DURATION.fullmatch(value.strip())) and int(m[1]) > 0:
        unit = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[m[2] or "s"]
        return timedelta(seconds=int(m[1]) * unit)
    raise ConfigError(f"{key} = {value!r} is not a duration like \"10m\", \"90s\" or \"1h\".")


def _secret_sources(value: Any) -> tuple[str, ...]:
    known = ("credentials", "keyring", "command")
    if value is None:
        return known
    if (not isinstance(value, list) or not value or any(v not in known for v in value)
            or len(set(value)) != len(value)):
        raise ConfigError(
            f"imap.secret_sources = {value!r}: a list of the places to look for the password, in "
            f"order, each at most once, from {list(known)} (for example [\"credentials\", \"command\"] "
            "to skip the keyring)."
        )
    return tuple(value)


def check_country(key: str, country: str, subdivision: str | None = None) -> None:
    """Refuse a country or subdivision code the holidays calendar does not know.

    Checked against a copy of the ``holidays`` package's registry
    (``agent.holiday_codes``, kept equal to it by a test), not the package
    itself: importing it cost every start of the agent tens of milliseconds
    (issue 15), and it is loaded only when a business day is computed.
    """
    from agent.holiday_codes import COUNTRY_CODES, SUBDIVISIONS

    alpha2 = COUNTRY_CODES.get(country)
    if alpha2 is None:
        raise ConfigError(
            f"{key} = {country!r} is not a country code the holidays calendar knows "
            "(ISO 3166 alpha-2, for example \"US\", \"GB\", \"DE\")."
        )
    if subdivision is not None and subdivision not in SUBDIVISIONS[alpha2]:
        raise ConfigError(
            f"schedule.holidays_subdivision = {subdivision!r} is not a subdivision of {country}."
        )


def _schedule(sec: Mapping[str, Any]) -> ScheduleConfig:
    country = sec.get("holidays", "US")
    if country is not None and not isinstance(country, str):
        raise ConfigError(f"schedule.holidays = {country!r} has the wrong type: it must be a string.")
    if country == "":
        country = None  # explicitly no public holidays
    subdivision = _get(sec, "schedule.holidays_subdivision", str)
    if country:
        check_country("schedule.holidays", country, subdivision)
    days_raw = _get(sec, "schedule.business_days", list, default=["mon", "tue", "wed", "thu", "fri"])
    days = []
    for d in days_raw:
        if not isinstance(d, str) or d.lower()[:3] not in WEEKDAYS:
            raise ConfigError(f"schedule.business_days contains {d!r}: use \"mon\" … \"sun\".")
        days.append(WEEKDAYS.index(d.lower()[:3]))
    if not days:
        raise ConfigError("schedule.business_days = [] leaves no business day.")
    start = _hhmm("schedule.business_hours_start", _get(sec, "schedule.business_hours_start", str, default="09:00"))
    end = _hhmm("schedule.business_hours_end", _get(sec, "schedule.business_hours_end", str, default="17:00"))
    if end <= start:
        raise ConfigError(
            f"schedule.business_hours_end = {end:%H:%M} is not after business_hours_start = {start:%H:%M}."
        )
    interval = parse_duration("schedule.poll_interval", sec.get("poll_interval", "10m"))
    return ScheduleConfig(
        holidays=country,
        holidays_subdivision=subdivision,
        business_days=tuple(sorted(set(days))),
        business_start=start,
        business_end=end,
        poll_interval=interval,
    )


def _positive(sec: Mapping[str, Any], key: str, default: float, typ: type = float) -> float:
    value = _get(sec, key, typ, default=default)
    if value < 0:
        raise ConfigError(f"{key} = {value!r} must not be negative.")
    return value


def _policy(sec: Mapping[str, Any]) -> PolicyConfig:
    p: Callable[[str, float], float] = lambda k, d: _positive(sec, f"policy.{k}", d)  # noqa: E731
    max_fu = int(_positive(sec, "policy.max_follow_ups", 2, int))
    if max_fu > 2:
        raise ConfigError(f"policy.max_follow_ups = {max_fu} is more than two: the policy never pesters.")
    return PolicyConfig(
        thank_you_delay=timedelta(hours=p("thank_you_delay_hours", 2)),
        thank_you_latest=timedelta(hours=p("thank_you_latest_hours", 24)),
        deadline_grace=timedelta(days=p("deadline_grace_days", 7)),
        no_deadline_wait=timedelta(days=p("no_deadline_wait_days", 7)),
        second_follow_up_wait=timedelta(days=p("second_follow_up_days", 7)),
        move_on_after=timedelta(days=p("move_on_days", 7)),
        max_follow_ups=max_fu,
        interview_default_length=timedelta(minutes=p("interview_default_minutes", 60)),
        thread_window=timedelta(days=p("thread_window_days", 60)),
    )


def _domains(sec: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = _get(sec, f"recruiting.{key}", list, default=list(default))
    if not all(isinstance(d, str) and "." in d for d in value):
        raise ConfigError(f"recruiting.{key} = {value!r} must be a list of domain names.")
    return tuple(d.lower().lstrip("@") for d in value)


def _recruiting(sec: Mapping[str, Any]) -> RecruitingConfig:
    return RecruitingConfig(
        ats_domains=_domains(sec, "ats_domains", DEFAULT_ATS_DOMAINS) + _domains(sec, "extra_ats_domains", ()),
        personal_domains=_domains(sec, "personal_domains", DEFAULT_PERSONAL_DOMAINS)
        + _domains(sec, "extra_personal_domains", ()),
        job_alert_domains=_domains(sec, "job_alert_domains", DEFAULT_JOB_ALERT_DOMAINS),
        allow_personal_recipients=_get(sec, "recruiting.allow_personal_recipients", bool, default=False),
        track_label=_get(sec, "recruiting.track_label", str, default="Recruiting"),
        ignore_label=_get(sec, "recruiting.ignore_label", str, default="Not-Recruiting"),
    )


def _labels(sec: Mapping[str, Any]) -> LabelsConfig:
    values = {}
    for key in ("pause", "done", "track", "ignore", "queued"):
        value = _get(sec, f"labels.{key}", str, default=getattr(LabelsConfig, key))
        if not value.strip() or any(c in value for c in '(){}%*"\\\r\n'):
            raise ConfigError(f"labels.{key} = {value!r} is not usable as a label or IMAP keyword.")
        values[key] = value
    return LabelsConfig(**values)


def _drafts(sec: Mapping[str, Any], base: Path) -> DraftsConfig:
    tdir = _get(sec, "drafts.templates_dir", str)
    tpath = _path(tdir, base) if tdir else None
    if tpath is not None and not tpath.is_dir():
        raise ConfigError(f"drafts.templates_dir = {tdir!r}: no such folder {tpath}.")
    max_words = _get(sec, "drafts.max_words", int, default=120)
    if max_words < 30:
        raise ConfigError(f"drafts.max_words = {max_words} is too short for a polite note (30 at least).")
    return DraftsConfig(templates_dir=tpath, max_words=max_words, signature=_get(sec, "drafts.signature", str))


def _notify(sec: Mapping[str, Any]) -> NotifyConfig:
    """``[notify]``: the command must split into words and name a program; limits must be positive."""
    command = _get(sec, "notify.command", str)
    if command is not None:
        try:
            words = shlex.split(command)
        except ValueError as exc:
            raise ConfigError(f"notify.command = {command!r} cannot be split into words: {exc}.") from None
        if not words:
            raise ConfigError("notify.command = \"\" names no program: leave the key out instead.")
    timeout = _get(sec, "notify.timeout_seconds", float, default=10.0)
    if not 0 < timeout <= 120:
        raise ConfigError(f"notify.timeout_seconds = {timeout!r} must be more than 0 and at most 120 seconds "
                          "(a notice must never hold up the poll for long).")
    summary_above = _get(sec, "notify.summary_above", int, default=3)
    if summary_above < 1:
        raise ConfigError(f"notify.summary_above = {summary_above!r} must be 1 or more.")
    return NotifyConfig(desktop=_get(sec, "notify.desktop", bool, default=True), command=command or None,
                        timeout_seconds=timeout, summary_above=summary_above)


def describe(config: Config) -> dict[str, Any]:
    """A secret-free summary for logs and ``doctor``."""
    out: dict[str, Any] = {"backend": config.backend, "timezone": config.account.timezone,
                           "mailbox.lookback_days": config.lookback_days or "all"}
    for f in fields(config.schedule):
        out[f"schedule.{f.name}"] = str(getattr(config.schedule, f.name))
    return out

