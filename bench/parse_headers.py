"""Benchmark: parse_message on header blocks (a cold poll), stdlib route vs fast route.

Prints figures; asserts nothing beyond identical results (speed is measured
here, never in tests).

    python bench/parse_headers.py [--messages 20000] [--rounds 3]

The blocks are what a cold poll of a 20,000-message Maildir hands the parser
(the header block up to and including the empty line), in the same mix as
bench/poll_maildir.py: newsletters, personal mail, work mail, sent replies.
Two sets are timed: the bare blocks ``agent.samples.message`` writes, and
the same blocks behind the transport headers real delivered mail carries
(Received hops, DKIM and ARC signatures, Authentication-Results: folded
lines, a few kilobytes).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.mail import parse
from agent.mail.headers import split_header_block
from agent.model import Message, RawMessage
from agent.samples import message

NY = ZoneInfo("America/New_York")
ME = "Jordan Lee <jordan.lee@gmail.com>"
START = datetime(2026, 6, 1, 9, tzinfo=NY)


def header_block(data: bytes) -> bytes:
    """What the Maildir backend reads for a headers-only poll."""
    ends = [i + n for i, n in ((data.find(b"\n\n"), 2), (data.find(b"\n\r\n"), 3)) if i >= 0]
    return data[: min(ends)] if ends else data


def blocks(total: int, seed: int = 7) -> list[bytes]:
    rnd = random.Random(seed)
    out: list[bytes] = []
    for n in range(total):
        kind = rnd.random()
        when = START + timedelta(minutes=rnd.randrange(0, 170 * 24 * 60))
        if kind < 0.6:
            data = message(f"News {n % 50} <news@list{n % 50}.example>", ME, f"Weekly digest #{n}", "x", when,
                           f"n{n}@list.example", headers={"List-Id": f"<list{n % 50}.example>",
                                                          "List-Unsubscribe": "<https://x.example/u>"})
        elif kind < 0.8:
            data = message(f"Friend {n % 200} <friend{n % 200}@yahoo.com>", ME, f"Plans {n}", "x", when,
                           f"p{n}@yahoo.com", in_reply_to=f"p{n - 1}@yahoo.com")
        elif kind < 0.9:
            data = message(f"Colleague <c{n % 300}@work.example>", ME, f"Project update {n}", "x", when,
                           f"w{n}@work.example")
        else:
            data = message(ME, f"friend{n % 200}@yahoo.com", f"Re: Plans {n}", "x", when, f"me{n}@gmail.com",
                           in_reply_to=f"p{n}@yahoo.com", references=(f"p{n - 2}@yahoo.com", f"p{n}@yahoo.com"))
        out.append(header_block(data))
    return out


def transport(n: int, rnd: random.Random) -> bytes:
    """The headers receiving servers put in front of a delivered message."""
    sig = "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(340))
    host = f"mail{n % 40}.example"
    stamp = "Thu, 30 Jul 2026 04:50:03 -0700 (PDT)"
    lines = [
        "Delivered-To: jordan.lee@gmail.com",
        f"Received: by 2002:a05:6a10:8c0e:b0:5a1:6e2e:3b54 with SMTP id j14csp{n}pxb;\r\n        {stamp}",
        f"X-Received: by 2002:a17:907:3f0d:b0:a7a:abc0:1234 with SMTP id hq13-{n}mr1ejc.12;\r\n        {stamp}",
        "ARC-Seal: i=1; a=rsa-sha256; t=1722340203; cv=none;\r\n        d=google.com; s=arc-20160816;\r\n"
        f"        b={sig[:64]}\r\n         {sig[64:128]}",
        "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20160816;\r\n"
        "        h=list-unsubscribe:mime-version:subject:message-id:to:from:date:dkim-signature;\r\n"
        f"        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n        b={sig[128:192]}",
        f"ARC-Authentication-Results: i=1; mx.google.com;\r\n       dkim=pass header.i=@{host} header.s=s1;\r\n"
        f"       spf=pass (google.com: domain of bounce@{host} designates 192.0.2.1 as permitted sender)"
        f" smtp.mailfrom=bounce@{host};\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from={host}",
        f"Return-Path: <bounce@{host}>",
        f"Received: from {host} ({host}. [192.0.2.1])\r\n        by mx.google.com with ESMTPS id a640c23a62f3a.{n}\r\n"
        f"        for <jordan.lee@gmail.com>\r\n        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\r\n"
        f"        {stamp}",
        f"Received-SPF: pass (google.com: domain of bounce@{host} designates 192.0.2.1 as permitted sender)"
        " client-ip=192.0.2.1;",
        f"Authentication-Results: mx.google.com;\r\n       dkim=pass header.i=@{host} header.s=s1;\r\n"
        f"       spf=pass smtp.mailfrom=bounce@{host};\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from={host}",
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={host}; s=s1;\r\n\tt=1722340202;"
        " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\th=Date:From:To:Subject:Message-ID:MIME-Version;\r\n"
        f"\tb={sig[:90]}\r\n\t {sig[90:180]}\r\n\t {sig[180:270]}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def realistic(plain: list[bytes], seed: int = 11) -> list[bytes]:
    rnd = random.Random(seed)
    return [transport(n, rnd) + block for n, block in enumerate(plain)]


def timed(raws: list[RawMessage], fast: bool, rounds: int) -> tuple[float, list[Message]]:
    run: Callable[[RawMessage], Message] = lambda r: parse._parse_message(r, None, fast=fast)  # noqa: E731
    best = float("inf")
    out: list[Message] = []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        out = [run(r) for r in raws]
        best = min(best, time.perf_counter() - t0)
    return best / len(raws) * 1e6, out


def report(name: str, data: list[bytes], rounds: int) -> None:
    raws = [RawMessage(id=f"INBOX/{i}", folder="INBOX", data=d, headers_only=True) for i, d in enumerate(data)]
    taken = sum(split_header_block(d) is not None for d in data)
    size = sum(map(len, data)) / len(data)
    slow, slow_out = timed(raws, False, rounds)
    fast, fast_out = timed(raws, True, rounds)
    same = slow_out == fast_out
    print(f"{name:<24} {len(data)} blocks, {size:5.0f} B avg, fast route {taken / len(data):4.0%}: "
          f"stdlib {slow:6.1f} us/msg, fast {fast:5.1f} us/msg, x{slow / fast:4.1f}, "
          f"identical: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit("fast route differs from the stdlib route")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    plain = blocks(args.messages)
    print(f"generated {len(plain)} header blocks in {time.perf_counter() - t0:.1f} s")
    report("samples.message blocks", plain, args.rounds)
    report("with transport headers", realistic(plain), args.rounds)


if __name__ == "__main__":
    main()
