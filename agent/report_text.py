"""``report`` as text on stdout: the funnel, the rates, the medians, then week by week."""

from __future__ import annotations

from typing import TextIO

from agent.report import Report

__all__ = ["percent", "write_report"]


def percent(rate: float | None) -> str:
    """A rate as a whole percentage, or "-" when nothing was there to count."""
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:g} days"


def write_report(rep: Report, out: TextIO) -> None:
    """The report, plain text (the same figures as the HTML page)."""
    if not rep.conversations:
        out.write("No recruiting conversations in the state (run `followup-agent poll --once` first).\n")
        return
    after = ", ".join(f"{n} after round {k}" if k else f"{n} on the application"
                      for k, n in rep.rejected_after.items()) or "none"
    out.write("Funnel\n")
    for label, n in (("Conversations", rep.conversations), ("Applications you sent", rep.applications),
                     ("Answered by a person", rep.responded), ("Interviewed", rep.interviewed),
                     ("Interviews held", rep.interviews), ("Offers", rep.offers)):
        out.write(f"  {label:<24}{n:>5}\n")
    out.write(f"  {'Rejections':<24}{rep.rejections:>5}  ({after})\n")
    out.write(f"  {'Withdrew':<24}{rep.withdrew:>5}\n  {'Moved on':<24}{rep.moved_on:>5}\n\n")
    out.write("Rates\n")
    out.write(f"  Response rate            {percent(rep.response_rate):>5}  (applications a person answered)\n")
    out.write(f"  Interview rate           {percent(rep.interview_rate):>5}  (conversations with an interview)\n\n")
    out.write("Medians\n")
    for label, v in (("Days to first reply", rep.median_days_to_reply),
                     ("First contact → interview", rep.median_days_to_first_interview),
                     ("Between interviews", rep.median_days_between_interviews),
                     ("Last interview → outcome", rep.median_days_to_outcome)):
        out.write(f"  {label:<26}{_days(v)}\n")
    out.write("\nWeek by week (week of)   new  sent  received  interviews\n")
    for w in rep.weeks:
        out.write(f"  {w.monday:%Y-%m-%d}            {w.new:>4}  {w.sent:>4}  {w.received:>8}  {w.interviews:>10}\n")
