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
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def enqueue(self, bodies: Sequence[str]) -> int:
        failed = 0
        for batch in batches(bodies):
            entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(batch)]
            try:
                response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                logger.warning("batch not queued", extra={"messages": len(batch), "error": str(error)})
                failed += len(batch)
                continue
            for failure in response.get("Failed", []):
                failed += 1
                extra = {"code": failure.get("Code"), "sender_fault": failure.get("SenderFault")}
                logger.warning("message not queued", extra=extra)
        return failed
