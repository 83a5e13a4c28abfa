"""``report --html FILE``: one self-contained page (inline CSS, inline SVG, no script, no font, no
link out), readable on a phone. Pure: it returns the page as a string.

Every company name, role and subject is untrusted (anyone can send mail) and
goes through :func:`html.escape`; nothing else from mail reaches the page.
Hand-written SVG rather than a charting library: the charts are three simple
shapes, and a library would bring scripts or network fetches the page must not have.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from agent.pipeline import Row
from agent.report import Report
from agent.report_text import percent

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1rem;color:#1d2433;
background:#f5f7fb;line-height:1.4}
main{max-width:60rem;margin:auto}h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:1.6rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}
.card{background:#fff;border-radius:.6rem;padding:.7rem;box-shadow:0 1px 3px #0002}
.card b{display:block;font-size:1.6rem;color:#2456c7}.card span{font-size:.85rem;color:#555}
svg{width:100%;height:auto;background:#fff;border-radius:.6rem;box-shadow:0 1px 3px #0002}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem}
th,td{padding:.35rem .5rem;border-bottom:1px solid #e3e7ef;text-align:left;vertical-align:top}
.wrap{overflow-x:auto}.muted{color:#666;font-size:.85rem}
@media (max-width:600px){body{padding:.5rem}.card b{font-size:1.3rem}td,th{padding:.3rem}}
"""

_STAGE_COLOURS = {"contacted": "#9aa5b8", "applied": "#6c8ebf", "screening": "#4aa3a2",
                  "interviewing": "#2456c7", "offer": "#2e9e4f", "rejected": "#c94a4a", "withdrew": "#b58a2d",
                  "moved on": "#8a6fb5", "closed": "#777"}


def render_html(rep: Report, now: datetime) -> str:
    """The whole page."""
    return "".join((
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Job search report</title><style>", _CSS, "</style></head><body><main>",
        f'<h1>Job search report</h1><p class="muted">As of {now:%Y-%m-%d %H:%M %Z}, from the follow-up '
        "agent's state: subjects, names and dates only.</p>",
        _cards(rep), "<h2>Funnel</h2>", _funnel(rep), "<h2>Week by week</h2>", _weekly(rep),
        "<h2>Conversations</h2>", _timelines(rep.rows, now), _table(rep.rows),
        "</main></body></html>\n",
    ))


def _cards(rep: Report) -> str:
    after = ", ".join(f"{n} after round {k}" if k else f"{n} on the application"
                      for k, n in rep.rejected_after.items()) or "none"
    days = "-" if rep.median_days_to_reply is None else f"{rep.median_days_to_reply:g}"
    cards = [("conversations", rep.conversations, "conversations"), ("interviews", rep.interviews, "interviews held"),
             ("offers", rep.offers, "offers"), ("rejections", rep.rejections, f"rejections ({after})"),
             ("moved-on", rep.moved_on, "moved on"), ("response-rate", percent(rep.response_rate), "response rate"),
             ("interview-rate", percent(rep.interview_rate), "interview rate"),
             ("median-reply", days, "median days to first reply")]
    return '<div class="cards">' + "".join(
        f'<div class="card" id="{key}"><b>{escape(str(v))}</b><span>{escape(label)}</span></div>'
        for key, v, label in cards) + "</div>"


def _funnel(rep: Report) -> str:
    steps = [("Conversations", rep.conversations), ("Answered by a person", rep.responded),
             ("Interviewed", rep.interviewed), ("Offers", rep.offers)]
    top = max(rep.conversations, 1)
    bars = []
    for i, (label, n) in enumerate(steps):
        w = max(2.0, 560 * n / top)
        y = 10 + i * 44
        bars.append(f'<rect x="{300 - w / 2:.1f}" y="{y}" width="{w:.1f}" height="34" rx="4" '
                    f'fill="{["#6c8ebf", "#4aa3a2", "#2456c7", "#2e9e4f"][i]}"/>'
                    f'<text x="300" y="{y + 22}" text-anchor="middle" font-size="14" fill="#fff" '
                    f'stroke="#0006" stroke-width=".3">{escape(label)}: {n}</text>')
    return (f'<svg viewBox="0 0 600 {20 + 44 * len(steps)}" role="img" aria-label="Funnel">'
            + "".join(bars) + "</svg>")


def _weekly(rep: Report) -> str:
    weeks = rep.weeks
    if not weeks:
        return '<p class="muted">No activity yet.</p>'
    top = max(max(w.sent, w.received, w.interviews) for w in weeks) or 1
    slot = 560 / len(weeks)
    bw = max(1.0, slot / 3 - 1)
    parts = ['<svg viewBox="0 0 600 240" role="img" aria-label="Weekly activity">',
             '<line x1="20" y1="200" x2="590" y2="200" stroke="#999"/>']
    for i, w in enumerate(weeks):
        x = 25 + i * slot
        for j, (n, colour, what) in enumerate(((w.sent, "#6c8ebf", "sent"), (w.received, "#4aa3a2", "received"),
                                              (w.interviews, "#2456c7", "interviews"))):
            h = 170 * n / top
            parts.append(f'<rect x="{x + j * (bw + 1):.1f}" y="{200 - h:.1f}" width="{bw:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>week of {w.monday:%Y-%m-%d}: {n} {what}</title></rect>')
        if len(weeks) <= 12 or i % max(1, len(weeks) // 8) == 0:
            parts.append(f'<text x="{x:.1f}" y="218" font-size="11" fill="#555">{w.monday:%b %-d}</text>')
    parts.append('<text x="25" y="236" font-size="12" fill="#6c8ebf">■ sent</text>'
                 '<text x="95" y="236" font-size="12" fill="#4aa3a2">■ received</text>'
                 '<text x="185" y="236" font-size="12" fill="#2456c7">■ interviews</text></svg>')
    return "".join(parts)


def _timelines(rows: tuple[Row, ...], now: datetime) -> str:
    """One line per conversation from its first message to now: dots for messages, diamonds for
    interviews, a mark for the outcome."""
    dated = [r for r in rows if r.first_contact is not None]
    if not dated:
        return ""
    start = min(r.first_contact for r in dated if r.first_contact is not None)
    span = max((now - start).total_seconds(), 86400.0)

    def x(d: datetime) -> float:
        return 170 + 410 * min(max((d - start).total_seconds() / span, 0.0), 1.0)

    parts = [f'<svg viewBox="0 0 600 {20 + 26 * len(dated)}" role="img" aria-label="Timelines">']
    for i, r in enumerate(dated):
        y = 18 + 26 * i
        assert r.first_contact is not None
        end = r.outcome_at or r.last_activity or now
        parts.append(f'<text x="4" y="{y + 4}" font-size="12">{escape((r.company or "?")[:22])}</text>'
                     f'<line x1="{x(r.first_contact):.1f}" y1="{y}" x2="{x(end):.1f}" y2="{y}" '
                     f'stroke="{_STAGE_COLOURS.get(r.stage, "#777")}" stroke-width="3"/>')
        parts += [f'<circle cx="{x(d):.1f}" cy="{y}" r="3" fill="#6c8ebf"/>' for d in r.sent]
        parts += [f'<circle cx="{x(d):.1f}" cy="{y}" r="3" fill="#4aa3a2"/>' for d in r.received]
        parts += [f'<rect x="{x(d) - 5:.1f}" y="{y - 5}" width="10" height="10" fill="#2456c7" '
                  f'transform="rotate(45 {x(d):.1f} {y})"/>' for d in r.interviews]
    return "".join(parts) + "</svg>"


def _table(rows: tuple[Row, ...]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("Company", "Role", "Stage", "First contact", "Interviews",
                                             "Next step", "Subject"))
    body = []
    for r in rows:
        stage = r.stage + (f" (round {r.round})" if r.round else "")
        if r.rejected_after_round:
            stage += f" after round {r.rejected_after_round}"
        nxt = f"{r.next_step} {r.next_due:%Y-%m-%d}" if r.next_step and r.next_due else "-"
        first = f"{r.first_contact:%Y-%m-%d}" if r.first_contact else "-"
        body.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in (
            r.company or "?", r.role or "-", stage, first, len(r.interviews), nxt, r.subject)) + "</tr>")
    return f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
