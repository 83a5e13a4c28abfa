"""``imap.ca_file`` pointing at a self-signed certificate (Proton Mail Bridge's case, issue 14).

The Bridge serves IMAP on loopback with a certificate it signed itself. The
README tells the user to export it and set ``imap.ca_file`` to it; these tests
show that this is enough, on STARTTLS and on implicit TLS, that the
certificate is still verified (no ca_file, or another CA, fails), and that the
failure says which key to set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.errors import AgentError
from agent.model import DRAFTS, SENT
from tests.dovecot import DovecotServer, DovecotUser


@pytest.fixture
def bridge_user(dovecot_self_signed: DovecotServer) -> Iterator[DovecotUser]:
    user = dovecot_self_signed.add_user()
    try:
        yield user
    finally:
        user.close()


def _folders(user: DovecotUser, **overrides: object) -> dict[str, str]:
    mb = user.mailbox(**overrides)
    try:
        mb.changes(None)
        return {role: mb._folders[role] for role in (SENT, DRAFTS)}
    finally:
        mb.close()


def test_the_certificate_really_is_self_signed(dovecot_self_signed: DovecotServer) -> None:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(Path(dovecot_self_signed.ca_file).read_bytes())
    assert cert.issuer == cert.subject


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_ca_file_set_to_the_self_signed_certificate_is_trusted(
        bridge_user: DovecotUser, dovecot_self_signed: DovecotServer, security: str) -> None:
    port = dovecot_self_signed.port if security == "starttls" else dovecot_self_signed.tls_port
    folders = _folders(bridge_user, security=security, port=port, ca_file=dovecot_self_signed.ca_file)
    assert folders == {SENT: "Sent", DRAFTS: "Drafts"}


def test_without_ca_file_or_with_another_ca_the_certificate_is_refused(
        bridge_user: DovecotUser, dovecot_self_signed: DovecotServer) -> None:
    for ca_file in (None, dovecot_self_signed.wrong_ca_file):
        with pytest.raises(AgentError, match="imap.ca_file") as err:
            _folders(bridge_user, security="starttls", port=dovecot_self_signed.port, ca_file=ca_file)
        assert "certificate" in str(err.value)

