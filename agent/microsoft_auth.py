"""OAuth for Microsoft accounts (Outlook.com, Microsoft 365) over IMAP with XOAUTH2.

Microsoft has switched off password logins for IMAP; the agent signs in with
an access token from the Microsoft identity platform, obtained through
``msal`` (Microsoft's own library: it knows the authority metadata, the
device-code protocol and the token endpoint's error shapes, so none of that is
hand-written here).

``followup-agent auth microsoft`` runs the device-code flow: it prints a URL
and a short code, the user opens the URL on any machine with a browser, types
the code and signs in; meanwhile the command polls the token endpoint. This
works on a headless server without port forwarding (unlike a loopback
redirect). Scopes: ``https://outlook.office.com/IMAP.AccessAsUser.All``;
msal adds ``offline_access`` (the refresh token) itself and refuses it
when passed explicitly.

What is stored is a small JSON document (``"type": "microsoft"``, client id,
authority, refresh token), never an access token: those live an hour and are
fetched again at each login that needs one. It is stored and read exactly
like Google's IMAP grant:

1. ``imap.token_file`` when configured (written with mode 0600);
2. otherwise the sources of ``imap.secret_sources``:
   ``$CREDENTIALS_DIRECTORY/<imap.credential_name>``, the keyring (service
   ``imap.keyring_service``, user ``imap.username``), ``password_command``.

``auth microsoft`` writes to the token file when configured, else to the
keyring. Microsoft rotates refresh tokens: when a refresh returns a new one,
it is written back to the file or keyring it came from (a systemd credential
is read-only: there the old one is used until it lapses).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from agent.errors import AgentError, AuthError, MailboxError

if TYPE_CHECKING:
    from agent.config import Config, ImapConfig

SCOPE_IMAP = "https://outlook.office.com/IMAP.AccessAsUser.All"
#: what the token request names; msal adds offline_access, openid and profile itself
SCOPES = [SCOPE_IMAP]
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_HOST = "outlook.office365.com"
#: Microsoft's own authority hosts (public and national clouds): msal validates these itself
MICROSOFT_HOSTS = (
    "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
    "login.partner.microsoftonline.cn", "login.microsoftonline.de", "login.windows.net",
)
#: an access token is renewed this many seconds before Microsoft says it expires
EXPIRY_MARGIN = 300.0

AUTH_HINT = "run `followup-agent auth microsoft` again to grant access"
#: token-endpoint errors that mean the grant itself is gone: retrying cannot help
_REFUSED = ("invalid_grant", "invalid_client", "unauthorized_client", "interaction_required",
            "consent_required")


@dataclass(frozen=True)
class Grant:
    """What ``auth microsoft`` stores: enough to get access tokens without the config."""

    client_id: str
    authority: str
    refresh_token: str

    def to_json(self) -> str:
        return json.dumps({"type": "microsoft", "client_id": self.client_id, "authority": self.authority,
                           "refresh_token": self.refresh_token, "scopes": SCOPES})


def authority(cfg: ImapConfig) -> str:
    """``<authority_host>/<tenant>``: common, consumers, organizations or a tenant id."""
    return f"{cfg.authority_host.rstrip('/')}/{cfg.tenant}"


def parse_grant(text: str, where: str) -> Grant:
    """Validate the stored JSON; the error never quotes the content (it is a secret)."""
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict) or info.get("type") != "microsoft":
        raise AuthError(f"{where} does not hold a Microsoft authorisation: {AUTH_HINT}.")
    missing = [k for k in ("client_id", "authority", "refresh_token") if not info.get(k)]
    if missing:
        raise AuthError(f"{where} lacks {', '.join(missing)}: {AUTH_HINT}.")
    return Grant(str(info["client_id"]), str(info["authority"]), str(info["refresh_token"]))


def make_app(client_id: str, authority_url: str, http_client: Any = None) -> Any:
    """An msal public client. A non-Microsoft authority (a test stand-in, an
    on-premises one) skips instance discovery, which would ask Microsoft."""
    import msal

    host = authority_url.split("/")[2].split(":")[0].lower() if "://" in authority_url else ""
    foreign = host not in MICROSOFT_HOSTS
    kwargs: dict[str, Any] = {"authority": authority_url}
    if foreign:
        kwargs.update(validate_authority=False, instance_discovery=False)
    if http_client is not None:
        kwargs["http_client"] = http_client
    try:
        return msal.PublicClientApplication(client_id, **kwargs)
    except ValueError as err:  # bad authority URL, unreachable metadata
        raise MailboxError(f"The Microsoft authority {authority_url} is not usable: {_first(err)}.") from None
    except Exception as err:  # requests' connection errors: no token in them
        raise MailboxError(
            f"Could not reach the Microsoft authority {authority_url}: {type(err).__name__}."
        ) from None


def describe_token_error(result: Mapping[str, Any]) -> MailboxError:
    """An msal error result as a message for a person (never a token)."""
    code = str(result.get("error") or "unknown_error")
    if code in _REFUSED:
        return AuthError(
            "Microsoft refused the stored authorisation (it was revoked, expired, or the app "
            f"registration changed; {code}): {AUTH_HINT}."
        )
    desc = str(result.get("error_description") or "").strip().splitlines()
    detail = f" ({desc[0][:200]})" if desc else ""
    return MailboxError(f"Could not get a Microsoft access token: {code}{detail}.")


def _first(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


# --- the access token at each login --------------------------------------------------------


class MicrosoftToken:
    """A current access token for IMAP XOAUTH2, refreshed from the stored grant.

    ``load`` returns (stored text, where it came from); ``save`` writes a
    rotated grant back there (None: cannot, e.g. a systemd credential).
    ``clock`` is injectable so tests expire a token without waiting. msal's
    ``acquire_token_by_refresh_token`` is used rather than its cache's silent
    path because the grant lives in our stores, not in msal's cache.
    """

    def __init__(
        self,
        load: Callable[[], tuple[str, str]],
        save: Callable[[str, str], None] | None,
        *,
        clock: Callable[[], float] = time.time,
        http_client: Any = None,
    ) -> None:
        self._load = load
        self._save = save
        self._clock = clock
        self._http = http_client
        self._grant: Grant | None = None
        self._where = ""
        self._app: Any = None
        self._token: str | None = None
        self._expires = 0.0

    def __call__(self) -> str:
        if self._token is not None and self._clock() < self._expires:
            return self._token
        return self._refresh()

    def invalidate(self) -> None:
        """Forget the access token (the server refused it): the next call refreshes."""
        self._token = None

    def _refresh(self) -> str:
        from agent.logs import register_secret

        grant = self._current_grant()
        if self._app is None:
            self._app = make_app(grant.client_id, grant.authority, self._http)
        try:
            result = self._app.acquire_token_by_refresh_token(grant.refresh_token, scopes=SCOPES)
        except Exception as err:  # connection failures: the type says enough, never a token
            raise MailboxError(f"Could not reach the Microsoft token endpoint: {type(err).__name__}.") from None
        if not isinstance(result, dict) or "access_token" not in result:
            raise describe_token_error(result if isinstance(result, dict) else {})
        token = str(result["access_token"])
        register_secret(token)
        self._token = token
        self._expires = self._clock() + float(result.get("expires_in") or 3600) - EXPIRY_MARGIN
        rotated = result.get("refresh_token")
        if rotated and rotated != grant.refresh_token:
            register_secret(str(rotated))
            self._grant = Grant(grant.client_id, grant.authority, str(rotated))
            if self._save is not None:
                self._save(self._grant.to_json(), self._where)
        return token

    def _current_grant(self) -> Grant:
        if self._grant is None:
            from agent.logs import register_secret

            text, self._where = self._load()
            self._grant = parse_grant(text, self._where)
            register_secret(self._grant.refresh_token)
        return self._grant


def token_provider(cfg: ImapConfig, env: Mapping[str, str], **kwargs: Any) -> MicrosoftToken:
    """The credential callable for ``ImapMailbox`` with ``imap.provider = "microsoft"``."""
    def load() -> tuple[str, str]:
        if cfg.token_file is not None:
            return _read_token_file(cfg), f"imap.token_file {cfg.token_file}"
        from agent.secrets import find_secret

        try:
            return find_secret(cfg.credential_name, service=cfg.keyring_service, username=cfg.username,
                               command=cfg.password_command, env=env, sources=cfg.secret_sources)
        except MailboxError as err:
            raise AuthError(f"No Microsoft authorisation found: {AUTH_HINT}. ({err})") from None

    def save(text: str, where: str) -> None:
        if cfg.token_file is not None:
            from agent.gmail_auth import write_private

            write_private(cfg.token_file, text)
        elif where.startswith("the keyring"):
            from agent.secrets import store_secret

            store_secret(cfg.keyring_service, cfg.username, text)

    return MicrosoftToken(load, save, **kwargs)


def _read_token_file(cfg: ImapConfig) -> str:
    assert cfg.token_file is not None
    try:
        return cfg.token_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuthError(f"imap.token_file = {str(cfg.token_file)!r} does not exist: {AUTH_HINT}.") from None
    except OSError as err:
        raise MailboxError(
            f"Cannot read imap.token_file {cfg.token_file}: {err.strerror or type(err).__name__}."
        ) from None


# --- the device-code flow ------------------------------------------------------------------


def run_auth(config: Config, *, out: TextIO = sys.stdout, http_client: Any = None) -> str:
    """``auth microsoft``: device-code sign-in, then store the grant; return where it went."""
    cfg = _microsoft_imap(config)
    authority_url = authority(cfg)
    app = make_app(cfg.client_id or "", authority_url, http_client)
    try:
        flow = app.initiate_device_flow(scopes=SCOPES)
    except Exception as err:
        raise AgentError(f"Could not start the Microsoft sign-in at {authority_url}: {type(err).__name__}.") from None
    if "user_code" not in flow:
        raise describe_token_error(flow)
    out.write(f"Sign in as {cfg.username} (the agent reads mail and writes drafts; it never sends).\n")
    out.write(str(flow.get("message") or f"Open {flow.get('verification_uri')} and enter {flow['user_code']}.")
              + "\nWaiting for the sign-in...\n")
    out.flush()
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise _flow_error(result)
    if not result.get("refresh_token"):
        raise AgentError("Microsoft returned no refresh token (offline_access was not granted): "
                         "check the app registration's API permissions and run auth again.")
    from agent.logs import register_secret

    register_secret(str(result["access_token"]))
    grant = Grant(cfg.client_id or "", authority_url, str(result["refresh_token"]))
    register_secret(grant.refresh_token)
    where = store_grant(cfg, grant)
    out.write(f"Authorised. The refresh token is stored in {where}.\n")
    out.write("Check it with `followup-agent doctor`.\n")
    return where


def _microsoft_imap(config: Config) -> ImapConfig:
    cfg = config.imap
    if cfg is None or cfg.provider != "microsoft":
        raise AgentError("`auth microsoft` needs an [imap] section with provider = \"microsoft\", "
                         "auth = \"xoauth2\" and client_id (README: Microsoft accounts).")
    if not cfg.client_id:
        raise AgentError("imap.client_id is not set: register an app in the Azure portal "
                         "(README: Microsoft accounts) and put its Application (client) ID there.")
    if not cfg.username:
        raise AgentError("imap.username is not set: it is the address you sign in with. Set it first.")
    return cfg


def _flow_error(result: Mapping[str, Any]) -> AgentError:
    code = str(result.get("error") or "")
    if code == "expired_token":
        return AgentError("The sign-in code expired before it was used: run `followup-agent auth microsoft` again.")
    if code in ("authorization_declined", "access_denied"):
        return AgentError("The sign-in was declined: nothing was stored.")
    return describe_token_error(result)


def store_grant(cfg: ImapConfig, grant: Grant) -> str:
    """Write the grant to ``imap.token_file`` (0600) when configured, else to the keyring."""
    if cfg.token_file is not None:
        from agent.gmail_auth import write_private

        write_private(cfg.token_file, grant.to_json())
        return f"imap.token_file {cfg.token_file} (mode 0600)"
    from agent.secrets import store_secret

    store_secret(cfg.keyring_service, cfg.username, grant.to_json())
    return f"the keyring (service {cfg.keyring_service!r}, user {cfg.username!r})"
