"""Benchmark: a warm poll with nothing new, beside the login floor (issue 15, item 3).

    python bench/poll_service.py [--messages 2000] [--repeat 5]

Builds the mailbox of ``bench/poll_imap.py`` (its functions, used as a library) on a Dovecot,
polls once cold, then prints, best of ``--repeat``:

login floor
    A fresh imapclient process that logs in and asks STATUS of INBOX, Sent and Drafts.
warm poll (user's path)
    ``poll --once`` in a fresh process, password from ``password_command`` (the keyring asked
    first, as documented; its "no backend" answer remembered from the run before).
warm poll (credentials path)
    The same with ``$CREDENTIALS_DIRECTORY``, as the shipped system unit has it.
in-service warm poll
    The service's own poll function (``agent.service._default_poll``) called again and again in
    one long-running process holding the state lock: what a poll costs once the code is loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from poll_imap import NOW, load, poll, run, with_credentials, write_config  # type: ignore[import-not-found]  # noqa: E402

from tests.dovecot import start_dovecot  # noqa: E402

_FLOOR = (
    "from imapclient import IMAPClient\n"
    "c = IMAPClient({host!r}, {port}, ssl=False, timeout=60); c.login({user!r}, {pw!r})\n"
    "for f in ('INBOX', 'Sent', 'Drafts'):\n    c.folder_status(f, ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY'])\n"
    "c.logout()\n"
)


def in_service(cfg: Path, times: int) -> list[float]:
    """Seconds of each of ``times`` polls by the service's poll function, in this process."""
    from agent.cli import _parse_now
    from agent.config import load_config
    from agent.service import _default_poll
    from agent.store_lock import StateLock

    config = load_config(cfg)
    now = _parse_now(NOW)
    out = []
    with StateLock(config.state.path) as lock:
        for _ in range(times):
            t0 = time.perf_counter()
            _default_poll(config, now, lock)
            out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="followup-bench-service-"))
    root.chmod(0o755)
    server = start_dovecot(Path(tempfile.mkdtemp(prefix="dovecot-", dir=root)))
    try:
        user = server.add_user()
        load(server, user, args.messages, root / "build")
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "agent")], check=True,
                       stdout=subprocess.DEVNULL)
        cfg = write_config(root, server, user, root / "state" / "state.db")
        poll(cfg, with_credentials(root))  # the cold poll
        poll(cfg, None)  # the keyring asked once, its answer remembered
        floor_src = _FLOOR.format(host=server.host, port=server.port, user=user.username, pw=user.password)
        rows = []
        for _ in range(args.repeat):  # the floor and the polls take turns
            rows.append((run([sys.executable, "-c", floor_src], stdout_json=False)[0],
                         poll(cfg, None)[0], poll(cfg, with_credentials(root))[0]))
        floor_s, user_s, creds_s = (min(r[i] for r in rows) for i in range(3))
        service = in_service(cfg, args.repeat + 1)
        load_avg = os.getloadavg()[0]
        print(f"{args.messages} messages; load average {load_avg:.1f} on {os.cpu_count()} cores; best of "
              f"{args.repeat}")
        print(f"login floor (imapclient: login + STATUS x3)   {floor_s:6.3f} s")
        print(f"warm poll, password_command (user's path)     {user_s:6.3f} s = {user_s / floor_s:4.1f}x floor")
        print(f"warm poll, $CREDENTIALS_DIRECTORY             {creds_s:6.3f} s = {creds_s / floor_s:4.1f}x floor")
        warm = min(service[1:])
        print(f"in-service warm poll (first {service[0]:.3f} s)     {warm:6.3f} s = {warm / floor_s:4.1f}x floor")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
