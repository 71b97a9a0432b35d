"""Key layout of the single table. Every key starts with the firm, so one firm can never address
another firm's records: an id from another firm simply finds nothing."""

from __future__ import annotations

from datetime import datetime
from zlib import crc32

# The sparse due index is write-sharded: items spread over this many partition keys so that one
# hot key cannot cap throughput. Changing it strands items on shards no scan queries: it is a
# constant of the data layout, not a setting.
DUE_SHARDS = 8

# Every record of a firm has a partition key starting with this: IAM lets a function write the
# firms' records by it (template.yaml, dynamodb:LeadingKeys "FIRM#*"), apart from the stack's own.
FIRM_PREFIX = "FIRM#"
FIRM_SK = "FIRM"
ACCOUNT_SK = "ACCOUNT"
ITEM_SK = "ITEM"
TEMPLATE_SK = "TEMPLATE"
PIPELINE_SK = "PIPELINE"
JOB_SK = "JOB"
TEMPLATE_PREFIX = "TEMPLATE#"
AUDIT_PREFIX = "AUDIT#"
# the firm's own wordings, beside its profile in the firm's partition
WORDING_PREFIX = "WORDING#"
ITEM_PREFIX = "ITEM#"


# Records that belong to the stack, not a firm (no key a firm can address starts like these); IAM
# lets only the functions that own each write it: the send timeline the three that email, the scan's
# lock the scan.
SEND_TIMELINE_PK = "STACK#SEND-TIMELINE"
# Which firm holds a sending domain: one record per domain, whichever firm claims it.
DOMAIN_CLAIM_PREFIX = "DOMAIN#"
DOMAIN_CLAIM_SK = "CLAIM"
SCAN_STATE_PK = "STACK#SCAN"
# The daily email counters live apart from the firm's own records (so that IAM can let the
# functions update them and nothing else of the firm's).
DAILY_EMAILS_PREFIX = "EMAILS#"
STACK_SK = "STATE"


def stamp(at: datetime) -> str:
    """Sortable UTC timestamp for keys (microseconds, fixed width)."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def firm_pk(firm_id: str) -> str:
    return f"{FIRM_PREFIX}{firm_id}"


def wording_sk(marker: str) -> str:
    """A wording's sort key in the firm's partition, from its WordingKey.marker."""
    return f"{WORDING_PREFIX}{marker}"


def account_pk(firm_id: str, account_id: str) -> str:
    return f"FIRM#{firm_id}#ACCOUNT#{account_id}"


def item_pk(firm_id: str, item_id: str) -> str:
    return f"FIRM#{firm_id}#ITEM#{item_id}"


def template_pk(firm_id: str, template_id: str) -> str:
    return f"FIRM#{firm_id}#TEMPLATE#{template_id}"


def templates_partition(firm_id: str) -> str:
    """The account-index partition that lists a firm's templates."""
    return f"FIRM#{firm_id}#TEMPLATES"


def template_in_firm_sk(created_at: datetime, template_id: str) -> str:
    return f"{TEMPLATE_PREFIX}{stamp(created_at)}#{template_id}"


def pipeline_pk(firm_id: str, pipeline_id: str) -> str:
    return f"FIRM#{firm_id}#PIPELINE#{pipeline_id}"


def job_pk(firm_id: str, job_id: str) -> str:
    return f"FIRM#{firm_id}#JOB#{job_id}"


def approvals_partition(firm_id: str) -> str:
    """The sparse approval-index partition holding a firm's documents pending approval."""
    return f"FIRM#{firm_id}#APPROVALS"


def approval_sk(account_id: str, item_id: str) -> str:
    return f"{account_id}#{item_id}"


def pending_partition(firm_id: str) -> str:
    """The sparse pending-index partition holding a firm's pending items (rescheduling reads it)."""
    return f"FIRM#{firm_id}#PENDING"


def pending_sk(account_id: str, item_id: str) -> str:
    return f"{account_id}#{item_id}"


def worklist_partition(firm_id: str) -> str:
    """The worklist-index partition holding every item of a firm (GET /action-items, SPEC R19)."""
    return f"FIRM#{firm_id}#WORK"


# An item without a due date is never overdue: it sorts after every date.
NEVER_OVERDUE = 9_999_999_999


def worklist_sk(status: str, overdue_from: int, item_id: str) -> str:
    """By status, then by the instant the item becomes overdue (epoch seconds, fixed width), escalated
    or not: a status, and "overdue now", are ranges of the key. The escalated items have the same key
    in their own sparse index (escalated_pk), so that listing reads only them."""
    return f"{status}#{overdue_from:010d}#{item_id}"


def item_in_account_sk(status: str, sent_at: datetime, item_id: str) -> str:
    return f"{ITEM_PREFIX}{status}#{stamp(sent_at)}#{item_id}"


def audit_sk(at: datetime, sequence: int, position: int, event_id: str) -> str:
    """Oldest first; events of one write share `at` and `sequence` and keep their `position`."""
    return f"{AUDIT_PREFIX}{stamp(at)}#{sequence:010d}.{position:02d}#{event_id}"


def task_sk(at: datetime, item_id: str) -> str:
    return f"{stamp(at)}#{item_id}"


def due_shard(item_id: str) -> str:
    return f"DUE#{crc32(item_id.encode()) % DUE_SHARDS}"


def all_due_shards(start: int = 0) -> list[str]:
    """Every shard, starting at `start` (the scan rotates where it starts, so none starves)."""
    return [f"DUE#{(start + n) % DUE_SHARDS}" for n in range(DUE_SHARDS)]


def domain_claim_pk(domain: str) -> str:
    return f"{DOMAIN_CLAIM_PREFIX}{domain}"


def daily_emails_pk(firm_id: str) -> str:
    return f"{DAILY_EMAILS_PREFIX}{firm_id}"
