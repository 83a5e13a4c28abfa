"""OAuth for the Gmail API backend: the one-time consent flow and the stored refresh token.

``followup-agent auth gmail --client-secrets FILE`` runs google-auth-oauthlib's
installed-app flow with a loopback redirect: it prints a URL, the user opens
it in any browser, consents, and Google redirects to
``http://localhost:PORT/`` where the flow is listening. The browser is never
opened by the agent. On a headless machine, pick the port and forward it::

    ssh -L 8765:localhost:8765 server          # on the machine with the browser
    followup-agent auth gmail --client-secrets client_secret.json --port 8765   # on the server

then open the printed URL on the machine with the browser.

Scopes: ``gmail.readonly`` (read mail, history, drafts) and ``gmail.compose``
(create and delete drafts), plus, when ``gmail.labels = true``, ``gmail.labels``
(find or create the ``Follow-up/Queued`` label) and ``gmail.modify`` (put it on
messages and take it off with ``messages.modify``: ``gmail.labels`` alone only
manages label definitions). A token granted before ``gmail.labels`` was turned
on lacks them: run ``auth gmail`` again.
``gmail.compose`` would also allow sending: the HTTP layer under the client
refuses every send, import and insert request before anything leaves the
process (see :mod:`agent.backends.gmail`).

Where the refresh token lives (google-auth "authorized user" JSON: client id
and secret, refresh token, token URI), in this order when reading:

1. ``gmail.token_file`` when configured (written with mode 0600);
2. ``$CREDENTIALS_DIRECTORY/<gmail.credential_name>`` (systemd ``LoadCredential=``);
3. the keyring, service ``gmail.keyring_service``, user = the account's first address.

``auth gmail`` writes to ``gmail.token_file`` when it is configured, else to
the keyring. The token never goes into the config or a log line.

``Credentials`` is built by hand from the JSON rather than with
``Credentials.from_authorized_user_info``, which ignores the file's
``token_uri``; a stored access token is ignored too (its expiry is not
trustworthy after a restart), so the first request refreshes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agent.errors import AgentError, AuthError, MailboxError

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from agent.config import Config, GmailConfig

SCOPE_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
SCOPE_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
SCOPE_LABELS = "https://www.googleapis.com/auth/gmail.labels"
SCOPE_MODIFY = "https://www.googleapis.com/auth/gmail.modify"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"

AUTH_HINT = "run `followup-agent auth gmail --client-secrets FILE` again to grant access"


def scopes(cfg: GmailConfig) -> list[str]:
    """The OAuth scopes the agent needs: read, compose drafts, and labels when enabled.

    ``gmail.modify`` comes with the labels: ``messages.modify`` (adding and
    removing a label on a message) needs it; ``gmail.labels`` only covers
    the label definitions (``labels.list``/``labels.create``).
    """
    out = [SCOPE_READONLY, SCOPE_COMPOSE]
    if cfg.labels:
        out += [SCOPE_LABELS, SCOPE_MODIFY]
    return out


# --- reading the stored token ------------------------------------------------------------


def load_authorized_user(cfg: GmailConfig, account: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The authorized-user JSON from the first place that has it (module docstring)."""
    environ = os.environ if env is None else env
    if cfg.token_file is not None:
        try:
            text = cfg.token_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MailboxError(
                f"gmail.token_file = {str(cfg.token_file)!r} does not exist: {AUTH_HINT}."
            ) from None
        except OSError as err:
            raise MailboxError(
                f"Cannot read gmail.token_file {cfg.token_file}: {err.strerror or type(err).__name__}."
            ) from None
        where = f"gmail.token_file {cfg.token_file}"
    else:
        from agent.secrets import get_secret

        try:
            text = get_secret(
                cfg.credential_name, service=cfg.keyring_service, username=account, command=None, env=environ
            )
        except MailboxError as err:
            raise AuthError(f"No Gmail authorisation found: {AUTH_HINT}. ({err})") from None
        where = "the stored Gmail token"
    return parse_authorized_user(text, where)


def parse_authorized_user(text: str, where: str) -> dict[str, Any]:
    """Validate authorized-user JSON; the error never quotes the content (it is a secret)."""
    try:
        info = json.loads(text)
    except ValueError:
        raise MailboxError(f"{where} is not JSON (google-auth authorized-user format): {AUTH_HINT}.") from None
    if not isinstance(info, dict):
        raise MailboxError(f"{where} is not a JSON object: {AUTH_HINT}.")
    missing = [k for k in ("refresh_token", "client_id", "client_secret") if not info.get(k)]
    if missing:
        raise MailboxError(f"{where} lacks {', '.join(missing)}: {AUTH_HINT}.")
    return info


def credentials_from_info(info: Mapping[str, Any], cfg: GmailConfig) -> Credentials:
    """Credentials that honour the JSON's ``token_uri`` (see the module docstring)."""
    from google.oauth2.credentials import Credentials

    granted = info.get("scopes")
    return Credentials(
        token=None,
        refresh_token=str(info["refresh_token"]),
        client_id=str(info["client_id"]),
        client_secret=str(info["client_secret"]),
        token_uri=str(info.get("token_uri") or GOOGLE_TOKEN_URI),
        scopes=list(granted) if isinstance(granted, list) else scopes(cfg),
    )


def load_credentials(config: Config, env: Mapping[str, str] | None = None) -> Credentials:
    """The refreshable credentials for ``config``'s Gmail account."""
    if config.gmail is None:
        raise MailboxError("mailbox.backend = \"gmail\" but the [gmail] section is missing.")
    info = load_authorized_user(config.gmail, config.account.primary, env)
    return credentials_from_info(info, config.gmail)


def describe_refresh_error(err: BaseException) -> MailboxError:
    """A refresh failure as a message for a person (never containing the token)."""
    text = str(err)
    if "invalid_grant" in text or "invalid_client" in text or "unauthorized_client" in text:
        return AuthError(
            "Gmail refused the stored authorisation (it was revoked, expired, or the OAuth client "
            f"changed): {AUTH_HINT}."
        )
    first = text.strip().splitlines()[0][:200] if text.strip() else type(err).__name__
    return MailboxError(f"Could not refresh the Gmail access token: {first}.")


# --- the consent flow --------------------------------------------------------------------


FlowFactory = Callable[[Path, list[str]], Any]


def _default_flow(client_secrets: Path, wanted: list[str]) -> Any:
    from google_auth_oauthlib.flow import InstalledAppFlow

    return InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=wanted)


def run_auth(
    config: Config,
    client_secrets: Path,
    *,
    port: int = 0,
    out: TextIO = sys.stdout,
    flow_factory: FlowFactory = _default_flow,
) -> str:
    """Run the consent flow and store the refresh token; return where it went."""
    if config.gmail is None:
        raise AgentError("`auth gmail` needs a [gmail] section in the config (mailbox.backend = \"gmail\").")
    cfg = config.gmail
    if not client_secrets.is_file():
        raise AgentError(
            f"--client-secrets {str(client_secrets)!r}: no such file. Download the OAuth client "
            "(type \"Desktop app\") JSON from the Google Cloud console."
        )
    wanted = scopes(cfg)
    try:
        flow = flow_factory(client_secrets, wanted)
    except (ValueError, KeyError) as err:
        raise AgentError(
            f"--client-secrets {str(client_secrets)!r} is not an OAuth client JSON for an installed "
            f"app: {type(err).__name__}."
        ) from None
    allowed = "read mail, write drafts"
    if cfg.labels:
        allowed += ", manage labels and put the Follow-up/Queued label on messages (gmail.modify)"
    out.write(
        "Open the URL below in a browser, sign in as "
        f"{config.account.primary} and allow access ({allowed}; never send).\n"
        "On a headless machine: forward the port first (ssh -L PORT:localhost:PORT this-host) and "
        "pass --port PORT.\n"
    )
    out.flush()
    creds = flow.run_local_server(
        host="localhost",
        port=port,
        open_browser=False,
        authorization_prompt_message="{url}\n",
        success_message="followup-agent is authorised. You can close this window.",
    )
    if not getattr(creds, "refresh_token", None):
        raise AgentError(
            "Google returned no refresh token (access was granted before without offline access). "
            "Remove followup-agent at https://myaccount.google.com/permissions and run auth again."
        )
    granted = set(getattr(creds, "granted_scopes", None) or getattr(creds, "scopes", None) or wanted)
    lacking = [s for s in wanted if s not in granted]
    if lacking:
        raise AgentError(
            "Not every permission was granted (missing: " + ", ".join(s.rsplit("/", 1)[1] for s in lacking)
            + "). Run auth again and tick every box."
        )
    info = {
        "type": "authorized_user",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "token_uri": creds.token_uri or GOOGLE_TOKEN_URI,
        "scopes": wanted,
    }
    text = json.dumps(info)
    if cfg.token_file is not None:
        write_private(cfg.token_file, text)
        where = f"gmail.token_file {cfg.token_file}"
    else:
        from agent.secrets import store_secret

        store_secret(cfg.keyring_service, config.account.primary, text)
        where = f"the keyring (service {cfg.keyring_service!r}, user {config.account.primary!r})"
    out.write(f"Authorised. The refresh token is stored in {where}.\n")
    return where


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, atomically (never world-readable, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise AgentError(f"Could not write {path}: {err.strerror or type(err).__name__}.") from None
