"""The send queue on Amazon SQS."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal_reminders.observability import logger
from portal_reminders.ports import SendQueue

SQS_BATCH = 10
# SendMessageBatch refuses a request whose bodies add up to more than this (and so does one body).
SQS_BATCH_BYTES = 262_144
# SQS keeps a received message invisible for at most 12 hours.
MAX_VISIBILITY = 43_200


def batches(bodies: Sequence[str]) -> Iterator[list[str]]:
    """Up to 10 bodies a batch, and never more than SQS's batch size in bytes."""
    batch: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if batch and (len(batch) == SQS_BATCH or size + length > SQS_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(body)
        size += length
    if batch:
        yield batch


class SqsSendQueue(SendQueue):
    def __init__(self, client: Any, queue_url: str, dead_letter_url: str = "") -> None:
        self._client = client
        self._queue_url = queue_url
        self._dead_letter_url = dead_letter_url

    def enqueue(self, bodies: Sequence[str]) -> list[str]:
        return self._send(self._queue_url, bodies)

    def dead_letter(self, bodies: Sequence[str]) -> list[str]:
        if not self._dead_letter_url:
            return list(bodies)
        return self._send(self._dead_letter_url, bodies)

    def retry_later(self, delays: Sequence[tuple[str, int]]) -> None:
        """A failed message otherwise comes back after the queue's visibility timeout; this sets its
        own (the backoff). If SQS refuses, the default timeout applies: the message is not lost."""
        for start in range(0, len(delays), SQS_BATCH):
            entries = [
                {"Id": str(n), "ReceiptHandle": handle, "VisibilityTimeout": max(0, min(seconds, MAX_VISIBILITY))}
                for n, (handle, seconds) in enumerate(delays[start : start + SQS_BATCH])
            ]
            try:
                response = self._client.change_message_visibility_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                logger.warning("retry delays not set", extra={"messages": len(entries), "error": str(error)})
                continue
            for failure in response.get("Failed", []):
                logger.warning("retry delay not set", extra={"code": failure.get("Code")})

    def _send(self, queue_url: str, bodies: Sequence[str]) -> list[str]:
        failed: list[str] = []
        for batch in batches(bodies):
            entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(batch)]
            try:
                response = self._client.send_message_batch(QueueUrl=queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                logger.warning("batch not queued", extra={"messages": len(batch), "error": str(error)})
                failed.extend(batch)
                continue
            for failure in response.get("Failed", []):
                failed.append(batch[int(failure["Id"])])
                extra = {"code": failure.get("Code"), "sender_fault": failure.get("SenderFault")}
                logger.warning("message not queued", extra=extra)
        return failed
