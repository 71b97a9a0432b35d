"""Stream records (as Lambda delivers them) read back into changes: which records can become events,
by the key layout, and records that cannot be read turned into skips, never exceptions. Images
are the records' own pynamodb serialisation, exactly what the table (and so its stream) holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from portal_reminders import ids
from portal_reminders.models.domain import AuditEvent, AuditType, Job
from portal_reminders.models.domain_events import AuditAppended, NotPublished, StageEntered
from portal_reminders.models.events import InvalidEvent
from portal_reminders.repository.changes import change_from_record, changes_from_stream
from portal_reminders.repository.mapping import audit_to_record, job_to_record

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/client-reminders/stream/2026-11-27T09:00:00.000"
EVENT = AuditEvent(
    id=ids.new_id(ids.EVENT),
    firm_id="firm-a",
    item_id=ids.new_id(ids.ITEM),
    account_id=ids.new_id(ids.ACCOUNT),
    type=AuditType.REMINDER_SENT,
    at=AT,
    actor="system",
    recipients=("ana@client.example",),
    details={"mode": "auto", "number": 1, "of": 2},
    sequence=3,
)
JOB = Job(
    firm_id="firm-a",
    id=ids.new_id(ids.JOB),
    pipeline_id=ids.new_id(ids.PIPELINE),
    account_id=ids.new_id(ids.ACCOUNT),
    stage_id=ids.new_id(ids.STAGE),
    created_at=AT,
    entered_at=AT,
    entry_id=ids.new_id(ids.ENTRY),
)


def image(record: Any) -> dict[str, Any]:
    serialized: dict[str, Any] = record.serialize()
    return serialized


def stream_record(
    event_name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None, sequence: str = "100"
) -> dict[str, Any]:
    keys_of = new or old or {}
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1795770000.0,
        "Keys": {"pk": keys_of["pk"], "sk": keys_of["sk"]},
        "SequenceNumber": sequence,
        "SizeBytes": 512,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        dynamodb["NewImage"] = new
    if old is not None:
        dynamodb["OldImage"] = old
    return {
        "eventID": "c4ca4238a0b923820dcc509a6f75849b",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": ARN,
    }


def test_a_new_audit_event_is_read_back_whole() -> None:
    change = change_from_record(stream_record("INSERT", image(audit_to_record(EVENT))))
    assert isinstance(change, AuditAppended)
    assert change.position == "100"
    entry = change.entry
    assert (entry.id, entry.type, entry.at, entry.actor) == (EVENT.id, "reminder_sent", AT, "system")
    assert (entry.firm_id, entry.item_id, entry.account_id) == (EVENT.firm_id, EVENT.item_id, EVENT.account_id)
    assert entry.recipients == ("ana@client.example",)
    assert entry.details == {"mode": "auto", "number": 1, "of": 2}


def test_an_audit_type_this_version_does_not_know_is_still_read() -> None:
    raw = image(audit_to_record(EVENT))
    raw["type"] = {"S": "email_bounced"}
    change = change_from_record(stream_record("INSERT", raw))
    assert isinstance(change, AuditAppended)
    assert change.entry.type == "email_bounced"


def test_a_new_job_is_a_stage_entry() -> None:
    change = change_from_record(stream_record("INSERT", image(job_to_record(JOB, version=1))))
    assert isinstance(change, StageEntered)
    assert (change.entry.entry_id, change.entry.stage_id, change.entry.job_id) == (JOB.entry_id, JOB.stage_id, JOB.id)
    assert change.entry.entered_at == AT


def test_a_moved_job_is_a_new_stage_entry() -> None:
    moved = replace(JOB, stage_id=ids.new_id(ids.STAGE), entry_id=ids.new_id(ids.ENTRY))
    record = stream_record("MODIFY", image(job_to_record(moved, 2)), image(job_to_record(JOB, 1)))
    change = change_from_record(record)
    assert isinstance(change, StageEntered)
    assert change.entry.entry_id == moved.entry_id


@pytest.mark.parametrize(
    "changed",
    [
        replace(JOB, item_ids=(ids.new_id(ids.ITEM),)),  # the automations remembered their items
        replace(JOB, archived_at=AT),  # archived
    ],
)
def test_any_other_change_of_a_job_is_no_entry(changed: Job) -> None:
    record = stream_record("MODIFY", image(job_to_record(changed, 2)), image(job_to_record(JOB, 1)))
    change = change_from_record(record)
    assert isinstance(change, NotPublished)
    assert not change.malformed


def test_a_job_written_before_entries_were_recorded_is_no_entry() -> None:
    change = change_from_record(stream_record("INSERT", image(job_to_record(replace(JOB, entry_id=None), 1))))
    assert isinstance(change, NotPublished)
    assert not change.malformed


@pytest.mark.parametrize(
    ("event_name", "sort_key"), [("MODIFY", "AUDIT#x"), ("REMOVE", "AUDIT#x"), ("REMOVE", "JOB"), ("MODIFY", "ITEM")]
)
def test_other_changes_are_not_published(event_name: str, sort_key: str) -> None:
    new = {"pk": {"S": "FIRM#firm-a#ITEM#itm_1"}, "sk": {"S": sort_key}}
    change = change_from_record(stream_record(event_name, new, new))
    assert isinstance(change, NotPublished)
    assert not change.malformed


def _without(name: str) -> dict[str, Any]:
    raw = image(audit_to_record(EVENT))
    del raw[name]
    return raw


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"eventName": "INSERT"},
        {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "5"}},
        stream_record("INSERT", _without("event_id")),
        stream_record("INSERT", _without("at")),
        stream_record("INSERT", {**image(audit_to_record(EVENT)), "at": {"N": "12"}}),
        {**stream_record("INSERT", image(audit_to_record(EVENT))), "dynamodb": {"SequenceNumber": "5", "Keys": {}}},
        {
            **stream_record("INSERT", image(audit_to_record(EVENT))),
            "dynamodb": {"SequenceNumber": "5", "Keys": {"pk": {"S": "p"}, "sk": {"S": "AUDIT#1"}}},
        },
        stream_record("INSERT", {**image(job_to_record(JOB, 1)), "stage_id": {"N": "1"}}),
    ],
    ids=[
        "empty",
        "no dynamodb",
        "no keys",
        "no event id",
        "no time",
        "time of the wrong type",
        "empty keys",
        "no new image",
        "job stage of the wrong type",
    ],
)
def test_an_unreadable_record_is_a_malformed_skip_not_an_exception(record: dict[str, Any]) -> None:
    change = change_from_record(record)
    assert isinstance(change, NotPublished)
    assert change.malformed


@pytest.mark.parametrize("event", [None, [], {"records": []}, {"Records": "x"}])
def test_an_event_that_is_no_stream_batch_is_refused(event: Any) -> None:
    with pytest.raises(InvalidEvent):
        changes_from_stream(event)
