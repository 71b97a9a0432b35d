"""The send queue on Amazon SQS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from portal_reminders.observability import logger
from portal_reminders.ports import SendQueue

SQS_BATCH = 10


class SqsSendQueue(SendQueue):
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def enqueue(self, bodies: Sequence[str]) -> int:
        failed = 0
        for start in range(0, len(bodies), SQS_BATCH):
            batch = bodies[start : start + SQS_BATCH]
            entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(batch)]
            response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            for failure in response.get("Failed", []):
                failed += 1
                logger.warning(
                    "message not queued",
                    extra={"code": failure.get("Code"), "sender_fault": failure.get("SenderFault")},
                )
        return failed
