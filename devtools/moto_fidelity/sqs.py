"""SQS as AWS checks it, where moto 5.2.5 does not.

* ChangeMessageVisibility: AWS caps a message's visibility at 12 hours *per receive* ("the next
  time it is received [its timeout] reverts to the original value"); moto counts the 12 hours from
  when the message was *sent*, so it refuses every change to a message older than 12 hours. The
  send function backs a reminder off with visibility changes for up to 24 hours (SPEC R14).
* Message size, counted in UTF-8 bytes of the body plus each message attribute's name, type and
  value, as AWS counts it (moto counts the body's characters and leaves the attributes out):
  SendMessage at most the queue's MaximumMessageSize and MAX_PAYLOAD_BYTES ->
  InvalidParameterValue; SendMessageBatch at most MAX_PAYLOAD_BYTES for all its messages together
  -> BatchRequestTooLong.
* Batches: at most 10 entries (TooManyEntriesInBatchRequest), at least one
  (AWS.SimpleQueueService.EmptyBatchRequest), unique ids (BatchEntryIdsNotDistinct) of at most 80
  letters, digits, `-` and `_` (InvalidBatchEntryId). moto checks all of these for
  SendMessageBatch; for DeleteMessageBatch it checks only that there is an entry and that the
  receipt handles (not the ids) differ, and for ChangeMessageVisibilityBatch nothing.

MAX_PAYLOAD_BYTES is the 256 KiB that SQS held every message and batch to until 2025, when
it raised the bound to 1 MiB (moto follows the new bound). The product is built to the old one
(adapters/sqs.py splits batches at 256 KiB): holding the tests to it keeps the product working on
queues whose MaximumMessageSize says 262144, and a rule stricter than AWS can only fail a test
that AWS would have passed, never the other way round.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Any

from moto.sqs import models as sqs_models
from moto.sqs.exceptions import (
    BatchEntryIdsNotDistinct,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    InvalidParameterValue,
    ReceiptHandleIsInvalid,
    SQSException,
    TooManyEntriesInBatchRequest,
)

MAX_VISIBILITY_SECONDS = 43_200
MAX_PAYLOAD_BYTES = 262_144
MAX_BATCH_ENTRIES = 10
BATCH_ENTRY_ID = re.compile(r"[\w-]{1,80}", re.ASCII)

Backend = sqs_models.SQSBackend


class BatchRequestTooLong(SQSException):
    def __init__(self, length: int) -> None:
        super().__init__(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {MAX_PAYLOAD_BYTES} bytes. You have sent {length} bytes.",
        )


def _attribute_bytes(value: dict[str, Any]) -> int:
    if "StringValue" in value:
        return len(str(value["StringValue"]).encode())
    binary = value.get("BinaryValue") or b""
    if isinstance(binary, str):
        try:
            return len(base64.b64decode(binary))
        except binascii.Error:
            return len(binary.encode())
    return len(binary)


def message_bytes(body: str, attributes: dict[str, Any] | None = None) -> int:
    """What SQS counts against the message size: the body, and each attribute's name, type and value."""
    size = len(body.encode())
    for name, value in (attributes or {}).items():
        size += len(name.encode()) + len(str(value.get("DataType", "")).encode()) + _attribute_bytes(value)
    return size


def _check_batch(entries: Sequence[dict[str, Any]], action: str) -> None:
    if not entries:
        raise EmptyBatchRequest(action=action)
    if len(entries) > MAX_BATCH_ENTRIES:
        raise TooManyEntriesInBatchRequest(len(entries))
    seen: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("Id", ""))
        if not BATCH_ENTRY_ID.fullmatch(entry_id):
            raise InvalidBatchEntryId()
        if entry_id in seen:
            raise BatchEntryIdsNotDistinct(entry_id)
        seen.add(entry_id)


def _change_message_visibility(self: Backend, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
    queue = self.get_queue(queue_name)
    if not 0 <= int(visibility_timeout) <= MAX_VISIBILITY_SECONDS:
        raise InvalidParameterValue(
            f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: must be 0 to 43200."
        )
    for message in queue._messages:
        if message.had_receipt_handle(receipt_handle):
            message.change_visibility(visibility_timeout)
            if message.visible and message in queue.pending_messages:
                queue.pending_messages.remove(message)
            return
    raise ReceiptHandleIsInvalid


def _send_message(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_message(self: Backend, queue_name: str, message_body: str, *args: Any, **kwargs: Any) -> Any:
        attributes = kwargs.get("message_attributes", args[0] if args else None)
        limit = min(int(self.get_queue(queue_name).maximum_message_size), MAX_PAYLOAD_BYTES)
        if message_bytes(message_body, attributes) > limit:
            raise InvalidParameterValue(
                f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            )
        return original(self, queue_name, message_body, *args, **kwargs)

    return send_message


def _send_message_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_message_batch(self: Backend, queue_name: str, entries: dict[str, dict[str, Any]]) -> Any:
        _check_batch(list(entries.values()), "Send")
        total = sum(message_bytes(e["MessageBody"], e.get("MessageAttributes")) for e in entries.values())
        if total > MAX_PAYLOAD_BYTES:
            raise BatchRequestTooLong(total)
        return original(self, queue_name, entries)

    return send_message_batch


def _delete_message_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_message_batch(self: Backend, queue_name: str, receipts: list[dict[str, Any]]) -> Any:
        _check_batch(receipts, "Delete")
        return original(self, queue_name, receipts)

    return delete_message_batch


def _change_message_visibility_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    def change_message_visibility_batch(self: Backend, queue_name: str, entries: list[dict[str, Any]]) -> Any:
        _check_batch(entries, "ChangeMessageVisibility")
        return original(self, queue_name, entries)

    return change_message_visibility_batch


def apply() -> None:
    Backend.change_message_visibility = _change_message_visibility  # type: ignore[method-assign]
    Backend.send_message = _send_message(Backend.send_message)  # type: ignore[method-assign]
    Backend.send_message_batch = _send_message_batch(Backend.send_message_batch)  # type: ignore[method-assign]
    Backend.delete_message_batch = _delete_message_batch(Backend.delete_message_batch)  # type: ignore[method-assign]
    Backend.change_message_visibility_batch = _change_message_visibility_batch(  # type: ignore[method-assign]
        Backend.change_message_visibility_batch
    )
