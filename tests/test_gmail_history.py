"""agent/backends/gmail_history.py: what history.list records say happened (pure, no server)."""

from __future__ import annotations

from typing import Any

from agent.backends.gmail_history import HistoryReader, meaningful


def msg(mid: str, *labels: str) -> dict[str, Any]:
    return {"message": {"id": mid, "labelIds": list(labels)}}


def relabel(mid: str, labels: list[str], *now: str) -> dict[str, Any]:
    return {**msg(mid, *now), "labelIds": labels}


def read(*records: dict[str, Any], drafts: tuple[str, ...] = (), dirty: bool = False) -> HistoryReader:
    history = HistoryReader(drafts, dirty)
    for record in records:
        history.read(record)
    return history


def test_added_mail_is_changed_spam_and_trash_removed_drafts_only_dirty_the_drafts() -> None:
    h = read({"messagesAdded": [msg("m1", "INBOX"), msg("m2", "SPAM"), msg("d1", "DRAFT")]})
    assert h.ids("changed") == ["m1"] and h.ids("removed") == ["m2"] and h.drafts_dirty
    assert "d1" not in h.events


def test_deleted_messages_are_removed_and_a_deleted_draft_dirties_the_drafts() -> None:
    h = read({"messagesDeleted": [msg("m1")]}, drafts=("d9",))
    assert h.ids("removed") == ["m1"] and not h.drafts_dirty
    assert read({"messagesDeleted": [msg("d9")]}, drafts=("d9",)).drafts_dirty
    assert read({"messagesDeleted": [msg("x", "DRAFT")]}).drafts_dirty


def test_label_changes_read_only_what_means_something() -> None:
    h = read({"labelsAdded": [relabel("m1", ["UNREAD", "STARRED"]), relabel("m2", ["Label_7"]),
                              relabel("m3", ["TRASH"])],
              "labelsRemoved": [relabel("m4", ["CATEGORY_PROMOTIONS"]), relabel("m5", ["TRASH"])]})
    assert h.ids("changed") == ["m2", "m5"]  # out of the trash: read again
    assert h.ids("removed") == ["m3"] and "m1" not in h.events and "m4" not in h.events
    assert not h.drafts_dirty
    assert read({"labelsAdded": [relabel("m1", ["DRAFT"])]}).drafts_dirty
    assert read({"labelsRemoved": [relabel("d1", ["UNREAD"])]}, drafts=("d1",)).drafts_dirty


def test_the_latest_record_wins_in_the_order_first_seen() -> None:
    h = read({"messagesAdded": [msg("m1", "INBOX"), msg("m2", "INBOX")]},
             {"messagesDeleted": [msg("m1")]},
             {"labelsAdded": [relabel("m2", ["TRASH"])]},
             {"labelsRemoved": [relabel("m2", ["TRASH"])]})
    assert h.events == {"m1": "removed", "m2": "changed"}


def test_within_one_record_additions_then_deletions_then_labels() -> None:
    h = read({"labelsAdded": [relabel("m1", ["Label_1"])], "messagesDeleted": [msg("m1")],
              "messagesAdded": [msg("m1", "INBOX")]})
    assert h.events == {"m1": "changed"}


def test_a_cursor_without_a_drafts_snapshot_lists_them_again() -> None:
    assert read(dirty=True).drafts_dirty and not read().drafts_dirty


def test_meaningful_labels() -> None:
    assert meaningful("INBOX") and meaningful("Label_3") and meaningful("SENT")
    assert not any(meaningful(x) for x in ("UNREAD", "STARRED", "IMPORTANT", "CATEGORY_SOCIAL"))
