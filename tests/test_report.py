"""``followup-agent report``: exact figures of the known search, and the HTML page, escaped,
rendered by a real headless Chromium (the DOM holds the figures; a phone-sized screenshot is not blank)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from agent.pipeline import rows
from agent.report import make_report
from agent.report_html import render_html
from tests.helpers import make_config
from tests.pipeline_mail import NOW
from tests.scenario_runner import run_cli_in_process
from tests.test_pipeline import maildir_search  # noqa: F401  (the fixture)


def test_the_figures(maildir_search: Path) -> None:  # noqa: F811
    text = run_cli_in_process(maildir_search, "report", "--now", NOW.isoformat())
    for line in ("Conversations               8", "Applications you sent       7", "Answered by a person        6",
                 "Interviewed                 4", "Interviews held             4", "Offers                      1",
                 "Rejections                  1  (1 after round 1)", "Withdrew                    1",
                 "Moved on                    1", "Response rate              86%", "Interview rate             50%",
                 "Days to first reply       3 days", "First contact → interview 12.2 days",
                 "Last interview → outcome  7.3 days", "2026-11-23               2     2         3           0"):
        assert line in text, line


def test_the_report_object() -> None:
    """The definitions on a record built by hand: applications a person answered, medians."""
    def rec(cid: str, msgs: list[tuple[str, str, bool]], outcomes: list[dict[str, str]] = ()) -> dict:  # type: ignore[assignment]
        return {"conversation": cid, "subject": "s", "company": cid, "role": "", "state": "open", "interviews": [],
                "messages": [{"at": a, "from": f, "auto": auto} for a, f, auto in msgs], "outcomes": list(outcomes),
                "next": None}
    recs = [rec("a", [("2026-11-02T15:00:00+00:00", "user", False), ("2026-11-03T15:00:00+00:00", "company", True)]),
            rec("b", [("2026-11-02T15:00:00+00:00", "user", False), ("2026-11-06T15:00:00+00:00", "company", False)]),
            rec("c", [("2026-11-10T15:00:00+00:00", "company", False)],
                [{"kind": "rejection", "at": "2026-11-10T15:00:00+00:00"}])]
    rep = make_report(rows(recs, NOW, make_config()))
    assert (rep.conversations, rep.applications, rep.responded, rep.response_rate) == (3, 2, 1, 0.5)
    assert (rep.rejections, rep.rejected_after, rep.median_days_to_reply) == (1, {0: 1}, 4.0)
    assert [(w.monday.isoformat(), w.new, w.sent, w.received) for w in rep.weeks] == [
        ("2026-11-02", 2, 2, 2), ("2026-11-09", 1, 0, 1)]


HOSTILE = '</title><script>alert(1)</script><img src=x onerror=alert(2)> & "Evil" Corp'


def test_a_hostile_subject_and_company_are_escaped() -> None:
    rec = {"conversation": "c-x", "subject": HOSTILE, "company": HOSTILE, "role": "<b>Engineer</b>",
           "state": "open", "interviews": [], "outcomes": [], "next": None,
           "messages": [{"at": "2026-11-02T15:00:00+00:00", "from": "user", "auto": False}]}
    page = render_html(make_report(rows([rec], NOW, make_config())), NOW)
    assert "<script" not in page and "<img" not in page and "<b>Engineer" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&amp; &quot;Evil&quot; Corp" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched: no link, font or script out
    assert '<meta name="viewport"' in page


def _png_colours(data: bytes) -> int:
    """Distinct colours in an 8-bit RGB(A) PNG, decoded with the standard library (zlib)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
            channels = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, colours = zlib.decompress(idat), width * channels, bytearray(width * channels), set()
    for y in range(height):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the PNG filters (RFC 2083 6)
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 4))
        prev = line
    return len(colours)


@pytest.mark.slow
def test_chromium_renders_the_page(maildir_search: Path, tmp_path: Path) -> None:  # noqa: F811
    if shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is not installed: `apt-get install chromium` (.ci/run installs it).")
    page = tmp_path / "report.html"
    run_cli_in_process(maildir_search, "report", "--html", str(page), "--now", NOW.isoformat())
    flags = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    for figure in ('id="conversations"><b>8</b>', 'id="response-rate"><b>86%</b>', 'id="interview-rate"><b>50%</b>',
                   'id="offers"><b>1</b>', "Funnel", "Initech", "Staff Engineer", "interviewing (round 2)"):
        assert figure in dom, figure
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=412,915", "--hide-scrollbars", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert _png_colours(shot.read_bytes()) > 8
