"""A local stand-in for the Microsoft identity platform, for msal and Dovecot.

HTTPS (msal insists on an https authority), certificates from
``tests.dovecot.make_certificates``:

* ``/{tenant}/v2.0/.well-known/openid-configuration``: the metadata msal reads;
* ``/{tenant}/oauth2/v2.0/devicecode``: issues a device code; the token
  endpoint answers ``authorization_pending`` until the test, acting as the
  user, calls :meth:`OAuthServer.approve` (``interval`` 0 so msal polls
  again at once instead of sleeping);
* ``/{tenant}/oauth2/v2.0/token``: the device-code and refresh-token grants;
  refresh tokens rotate (a new one each use, the old one stays valid as at
  Microsoft) until :meth:`OAuthServer.revoke`; then ``invalid_grant``.

And plain HTTP on a second loopback port for Dovecot's ``oauth2`` passdb:
``POST /introspect`` (RFC 7662) says whether an access token is active and
whose it is; :meth:`OAuthServer.expire` ends an access token early.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


@dataclass
class _State:
    username: str
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)  # device_code -> record
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> username
    access: dict[str, str] = field(default_factory=dict)  # active access token -> username
    issued: list[str] = field(default_factory=list)  # every token handed out (for leak checks)
    requests: list[str] = field(default_factory=list)  # "POST /path grant_type"
    lock: threading.Lock = field(default_factory=threading.Lock)
    device_issued: threading.Event = field(default_factory=threading.Event)


class OAuthServer:
    """The HTTPS authority and the HTTP introspection endpoint (module docstring)."""

    def __init__(self, cert: Path, key: Path, username: str, ca_file: Path | None = None) -> None:
        self.state = _State(username)
        self.ca_file = ca_file or cert.with_name("ca.pem")
        self._https = ThreadingHTTPServer((HOST, 0), _handler(self.state))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        self._https.socket = ctx.wrap_socket(self._https.socket, server_side=True)
        self._http = ThreadingHTTPServer((HOST, 0), _handler(self.state))
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self._https, self._http)]
        for t in self._threads:
            t.start()

    @property
    def authority_host(self) -> str:
        return f"https://{HOST}:{self._https.server_address[1]}"

    @property
    def introspection_url(self) -> str:
        return f"http://{HOST}:{self._http.server_address[1]}/introspect"

    def close(self) -> None:
        for s in (self._https, self._http):
            s.shutdown()
            s.server_close()

    # what the test does as the user or the administrator ----------------------------------

    def approve(self, user_code: str) -> None:
        """The user typed ``user_code`` at the verification URL and signed in."""
        with self.state.lock:
            for record in self.state.devices.values():
                if record["user_code"] == user_code:
                    record["approved"] = True
                    return
        raise KeyError(user_code)

    def pending_user_code(self, timeout: float = 10.0) -> str:
        """Wait until a device code was issued; return its user code."""
        if not self.state.device_issued.wait(timeout):
            raise TimeoutError("no device code was requested")
        with self.state.lock:
            return next(r["user_code"] for r in self.state.devices.values() if not r["approved"])

    def expire(self, access_token: str | None = None) -> None:
        """End one access token (every one when None) before its time."""
        with self.state.lock:
            for token in [access_token] if access_token else list(self.state.access):
                self.state.access.pop(token, None)

    def revoke(self) -> None:
        """The user removed the app's access: every refresh and access token dies."""
        with self.state.lock:
            self.state.refresh.clear()
            self.state.access.clear()

    def active_tokens(self) -> list[str]:
        with self.state.lock:
            return list(self.state.access)

    def issued(self) -> Iterator[str]:
        with self.state.lock:
            yield from list(self.state.issued)


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet: pytest shows failures itself
            pass

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if self.path.endswith("/v2.0/.well-known/openid-configuration"):
                base = f"https://{self.headers['Host']}/{parts[0]}"
                self._json(200, {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                })
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            with state.lock:
                state.requests.append(f"POST {self.path} {form.get('grant_type', '')}".strip())
                status, body = self._route(form)
            if self.path.endswith("/devicecode"):
                state.device_issued.set()
            self._json(status, body)

        def _route(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
            if self.path == "/introspect":
                user = state.access.get(form.get("token", ""))
                return 200, ({"active": True, "username": user} if user else {"active": False})
            if self.path.endswith("/oauth2/v2.0/devicecode"):
                return 200, _device_code(state, form)
            if self.path.endswith("/oauth2/v2.0/token"):
                return _token(state, form)
            return 404, {"error": "not_found"}

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _device_code(state: _State, form: dict[str, str]) -> dict[str, Any]:
    device, user_code = secrets.token_urlsafe(16), secrets.token_hex(4).upper()
    state.devices[device] = {"user_code": user_code, "approved": False, "scope": form.get("scope", "")}
    return {
        "device_code": device, "user_code": user_code, "verification_uri": "https://microsoft.com/devicelogin",
        "expires_in": 900, "interval": 0,
        "message": f"To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
                   f"and enter the code {user_code} to authenticate.",
    }


def _token(state: _State, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    grant = form.get("grant_type", "")
    if grant == "urn:ietf:params:oauth:grant-type:device_code":
        record = state.devices.get(form.get("device_code", ""))
        if record is None:
            return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: unknown device code"}
        if not record["approved"]:
            return 400, {"error": "authorization_pending", "error_description": "AADSTS70016: pending"}
        del state.devices[form["device_code"]]
        return 200, _tokens(state, state.username)
    if grant == "refresh_token":
        user = state.refresh.get(form.get("refresh_token", ""))
        if user is None:
            return 400, {"error": "invalid_grant",
                         "error_description": "AADSTS70000: The provided grant has expired due to it being revoked."}
        if "IMAP.AccessAsUser.All" not in form.get("scope", ""):
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: scope"}
        return 200, _tokens(state, user)
    return 400, {"error": "unsupported_grant_type"}


def _tokens(state: _State, user: str) -> dict[str, Any]:
    access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
    state.access[access] = user
    state.refresh[refresh] = user
    state.issued += [access, refresh]
    return {"token_type": "Bearer", "scope": "https://outlook.office.com/IMAP.AccessAsUser.All",
            "expires_in": 3600, "ext_expires_in": 3600, "access_token": access, "refresh_token": refresh}
