"""The FETCH reply reader (agent/backends/imap_wire.py) over transcripts.

Its output must be what imaplib itself returns for the same bytes, so every
case is also run through a real ``imaplib.IMAP4`` reading the same transcript
from a socket pair, and the two answers compared.
"""

from __future__ import annotations

import imaplib
import io
import socket
import threading
from typing import Any

import pytest
from imapclient.response_parser import parse_fetch_response

from agent.backends.imap_wire import ReplyError, read_reply, uid_fetch

HDR = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"


def _reader(transcript: bytes) -> tuple[Any, Any]:
    f = io.BytesIO(transcript)
    return f.readline, f.read


def _via_imaplib(transcript: bytes, tag: bytes) -> tuple[str, list[Any]]:
    """What imaplib's own ``uid("FETCH", ...)`` makes of the same reply."""
    server, client_sock = socket.socketpair()

    def serve() -> None:
        server.sendall(b"* PREAUTH ready\r\n")
        lines = server.makefile("rb")
        while True:
            got_tag, command = lines.readline().strip().split(b" ", 2)[:2]
            if command.upper() == b"CAPABILITY":  # imaplib asks once it has connected
                server.sendall(b"* CAPABILITY IMAP4rev1\r\n" + got_tag + b" OK done\r\n")
                continue
            server.sendall(transcript.replace(tag + b" ", got_tag + b" "))
            return

    t = threading.Thread(target=serve)
    t.start()

    class Pair(imaplib.IMAP4):
        def open(self, host: str = "", port: int = 0, timeout: float | None = None) -> None:
            self.sock = client_sock
            self.file = client_sock.makefile("rb")

    imap = Pair()
    imap.state = "SELECTED"
    typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
    t.join()
    client_sock.close()
    server.close()
    return typ, data


USUAL = (
    b"* 1 FETCH (UID 10 FLAGS (\\Seen) " + HDR + b" {9}\r\nFrom: a\r\n)\r\n"
    b"* 2 FETCH (UID 11 FLAGS () " + HDR + b" {13}\r\nSubject: hi\r\n)\r\n"
    b"t1 OK Fetch completed.\r\n"
)


def test_usual_reply_reads_as_imaplib_reads_it() -> None:
    data = read_reply(*_reader(USUAL), b"t1")
    assert data == [
        (b"1 (UID 10 FLAGS (\\Seen) " + HDR + b" {9}", b"From: a\r\n"), b")",
        (b"2 (UID 11 FLAGS () " + HDR + b" {13}", b"Subject: hi\r\n"), b")",
    ]
    assert _via_imaplib(USUAL, b"t1") == ("OK", data)
    parsed = parse_fetch_response([d for d in data if d is not None], True, True)
    assert parsed[10][HDR] == b"From: a\r\n" and parsed[11][b"FLAGS"] == ()


def test_other_untagged_responses_are_read_past_literals_and_all() -> None:
    transcript = (
        b"* 3 EXISTS\r\n"
        b"* 1 FETCH (UID 10 " + HDR + b" {9}\r\nFrom: a\r\n FLAGS (\\Seen))\r\n"
        b"* OK [ALERT] {5}\r\nhello\r\n"
        b"* 2 EXPUNGE\r\n"
        b"* 2 FETCH (FLAGS (\\Flagged) UID 11)\r\n"
        b"t2 OK done\r\n"
    )
    data = read_reply(*_reader(transcript), b"t2")
    assert data == [
        (b"1 (UID 10 " + HDR + b" {9}", b"From: a\r\n"), b" FLAGS (\\Seen))",
        b"2 (FLAGS (\\Flagged) UID 11)",
    ]
    assert _via_imaplib(transcript, b"t2")[1] == data


def test_a_reply_with_two_literals_in_one_response() -> None:
    transcript = (
        b"* 1 FETCH (UID 10 BODY[1] {3}\r\nabc BODY[2] {2}\r\nde)\r\n"
        b"t3 OK done\r\n"
    )
    data = read_reply(*_reader(transcript), b"t3")
    assert data == [(b"1 (UID 10 BODY[1] {3}", b"abc"), (b" BODY[2] {2}", b"de"), b")"]
    assert _via_imaplib(transcript, b"t3")[1] == data


def test_an_empty_reply_is_none_as_in_imaplib() -> None:
    transcript = b"t4 OK nothing\r\n"
    assert read_reply(*_reader(transcript), b"t4") == [None]
    assert _via_imaplib(transcript, b"t4") == ("OK", [None])


def test_no_and_bad_raise_a_reply_error_that_imapclient_treats_as_a_refusal() -> None:
    from imapclient.exceptions import IMAPClientError

    for status in (b"NO", b"BAD"):
        with pytest.raises(ReplyError, match=status.decode()) as err:
            read_reply(*_reader(b"* 1 FETCH (UID 1)\r\nt5 " + status + b" no such message\r\n"), b"t5")
        assert isinstance(err.value, IMAPClientError)
        assert not isinstance(err.value, imaplib.IMAP4.abort)


@pytest.mark.parametrize(
    "transcript",
    [
        b"* 1 FETCH (UID 10 " + HDR + b" {9}\r\nFrom",  # cut inside a literal
        b"* 1 FETCH (UID 10 FLAGS ())\r\n",  # cut before the tagged reply
        b"* 1 FETCH (UID 10 FLAGS (",  # cut inside a line
        b"* BYE server shutting down\r\n",
        b"+ go ahead\r\n",
    ],
)
def test_a_cut_or_a_bye_is_an_abort_so_the_caller_reconnects(transcript: bytes) -> None:
    with pytest.raises(imaplib.IMAP4.abort):
        read_reply(*_reader(transcript), b"t6")


def test_a_tag_that_merely_starts_like_ours_is_not_ours() -> None:
    transcript = b"t70 OK other\r\n* 1 FETCH (UID 1)\r\nt7 OK ours\r\n"
    # "t70 OK" is not an untagged response and not our tag: it is read past
    assert read_reply(*_reader(transcript), b"t7") == [b"1 (UID 1)"]


def test_uid_fetch_sends_one_command_and_reads_its_reply() -> None:
    sent: list[bytes] = []

    class Conn:
        def send(self, data: bytes) -> None:
            sent.append(data)
            tag = data.split(b" ", 1)[0]
            self._f = io.BytesIO(b"* 1 FETCH (UID 5 FLAGS ())\r\n" + tag + b" OK done\r\n")

        def readline(self) -> bytes:
            return self._f.readline()

        def read(self, n: int) -> bytes:
            return self._f.read(n)

    data = uid_fetch(Conn(), "5:7,9", "UID FLAGS")  # type: ignore[arg-type]
    assert data == [b"1 (UID 5 FLAGS ())"]
    assert len(sent) == 1 and sent[0].endswith(b" UID FETCH 5:7,9 (UID FLAGS)\r\n")
