"""Every send-queue message the product writes fits in one SQS message with room to spare (SPEC
R22): each at the largest its contract allows, counted as SQS counts it (devtools/moto_fidelity),
is far below the 256 KiB a message, and a batch, may hold."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from devtools.moto_fidelity import sqs as sqs_rules
from portal_reminders import ids
from portal_reminders.models.messages import (
    APPROVALS_PER_MESSAGE,
    AccountApprovalsMessage,
    ApprovalsRequestMessage,
    ManualEmailMessage,
    RescheduleMessage,
    ScheduledEmailMessage,
    to_body,
)

# A firm or user id as long as a claim may be, and a firm's message as long as allowed, of characters
# that to_body escapes to twelve bytes each (a surrogate pair of \\uXXXX)
LONGEST_EXTERNAL_ID = "f" * 128
LONGEST_MESSAGE = "\U0001d538" * 5000
KIB = 1024

LARGEST = {
    "scheduled": ScheduledEmailMessage(
        firm_id=LONGEST_EXTERNAL_ID, item_id=ids.new_id(ids.ITEM), account_id=ids.new_id(ids.ACCOUNT), number=1000
    ),
    "manual": ManualEmailMessage(
        firm_id=LONGEST_EXTERNAL_ID,
        item_id=ids.new_id(ids.ITEM),
        account_id=ids.new_id(ids.ACCOUNT),
        resend_id=ids.new_id(ids.RESEND),
        actor=LONGEST_EXTERNAL_ID,
        message=LONGEST_MESSAGE,
    ),
    "approvals_request": ApprovalsRequestMessage(
        firm_id=LONGEST_EXTERNAL_ID,
        request_id=ids.new_id(ids.REQUEST),
        actor=LONGEST_EXTERNAL_ID,
        message=LONGEST_MESSAGE,
        account_ids=[ids.new_id(ids.ACCOUNT) for _ in range(1000)],
    ),
    "account_approvals": AccountApprovalsMessage(
        firm_id=LONGEST_EXTERNAL_ID,
        account_id=ids.new_id(ids.ACCOUNT),
        item_ids=[ids.new_id(ids.ITEM) for _ in range(APPROVALS_PER_MESSAGE)],
        part=1000,
        request_id=ids.new_id(ids.REQUEST),
        actor=LONGEST_EXTERNAL_ID,
        message=LONGEST_MESSAGE,
    ),
    "reschedule": RescheduleMessage(firm_id=LONGEST_EXTERNAL_ID, account_id=ids.new_id(ids.ACCOUNT), after="a" * 2048),
}


@pytest.mark.parametrize("kind", sorted(LARGEST))
def test_the_largest_message_of_each_kind_is_under_half_of_what_sqs_takes(kind: str) -> None:
    message: BaseModel = LARGEST[kind]
    assert sqs_rules.message_bytes(to_body(message)) <= 128 * KIB


def test_an_approval_request_cannot_name_anything_but_account_ids() -> None:
    # The bound above holds because the message names accounts by id: anything longer is refused
    with pytest.raises(ValueError, match="account_ids"):
        ApprovalsRequestMessage(
            firm_id="firm-a", request_id=ids.new_id(ids.REQUEST), actor="user-1", account_ids=["a" * 100_000]
        )
