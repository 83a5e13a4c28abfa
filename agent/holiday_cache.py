"""The business calendar's holiday tables kept between processes, in the user's cache folder.

Why: every poll decides each tracked conversation again, and each decision
snaps due times to business days, so each poll needs this year's public
holidays. Computing them means importing the ``holidays`` package (about 45
modules, ~15 ms of a fresh process: more than all of a warm poll's decisions;
issue 15). A year's table is a pure function of the country, the subdivision,
the year and the package's own files, so it is computed once and kept in
``$XDG_CACHE_HOME/followup-agent/holidays-<package>.json``, keyed by all four;
a new ``holidays`` release (its files change) or another country means a new
entry. The calendar itself stays pure: it is given the known tables and
hands back every table it holds (:meth:`BusinessCalendar.holiday_tables`).

Best effort, like agent/secrets.py's keyring note: an unreadable, corrupt or
unwritable cache only costs the import, never a different answer.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from agent.businesstime import BusinessCalendar, HolidayTable
from agent.config import Config


def cache_file(env: Mapping[str, str], fingerprint: str) -> Path:
    """Where the tables are kept: the XDG cache folder, as for the keyring note, one file per
    installed ``holidays`` package (two installations side by side do not overwrite each other)."""
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return Path(base) / "followup-agent" / f"holidays-{digest}.json"


def package_fingerprint() -> str | None:
    """The installed ``holidays`` package, by the size and time of its files that change with every
    release (``__init__.py``, ``version.py``), found without importing it; None when absent."""
    spec = find_spec("holidays")
    if spec is None or not spec.origin:
        return None
    try:
        stats = [os.stat(p) for p in (spec.origin, os.path.join(os.path.dirname(spec.origin), "version.py"))]
    except OSError:
        return None
    return ";".join([spec.origin, *(f"{st.st_size}:{st.st_mtime_ns}" for st in stats)])


def _prefix(config: Config) -> str:
    s = config.schedule
    return f"{s.holidays}/{s.holidays_subdivision or ''}/"


def _read(path: Path, fingerprint: str | None) -> dict[str, dict[str, str]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or fingerprint is None or doc.get("package") != fingerprint:
        return {}
    tables = doc.get("tables")
    return tables if isinstance(tables, dict) else {}


def _table(raw: Any) -> HolidayTable | None:
    if not isinstance(raw, dict):
        return None
    try:
        return {date.fromisoformat(d): str(name) for d, name in raw.items()}
    except (TypeError, ValueError):
        return None


class HolidayCache:
    """One process's view of the cache file: read once, written back when a table was added."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.fingerprint = package_fingerprint()
        self.path = cache_file(os.environ if env is None else env, self.fingerprint or "")
        self._tables = _read(self.path, self.fingerprint)

    def calendar(self, config: Config) -> BusinessCalendar:
        """``BusinessCalendar.from_config(config)`` with the years this cache knows for its country."""
        known: dict[int, HolidayTable] = {}
        if config.schedule.holidays:
            prefix = _prefix(config)
            for key, raw in self._tables.items():
                if key.startswith(prefix) and key[len(prefix):].isdigit() and (t := _table(raw)) is not None:
                    known[int(key[len(prefix):])] = t
        return BusinessCalendar.from_config(config, known)

    def keep(self, calendar: BusinessCalendar, config: Config) -> None:
        """Write back the tables ``calendar`` computed that the file lacks (best effort)."""
        if not config.schedule.holidays or self.fingerprint is None:
            return
        prefix = _prefix(config)
        new = {f"{prefix}{year}": {d.isoformat(): name for d, name in sorted(table.items())}
               for year, table in calendar.holiday_tables().items() if f"{prefix}{year}" not in self._tables}
        if not new:
            return
        self._tables.update(new)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"package": self.fingerprint, "tables": self._tables}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass
