"""Where moto differs from AWS in a way the product depends on, made to behave like AWS: one place,
applied by the tests (tests/conftest.py) and by the local stack (devtools/local/endpoint.py), which
both run moto in this process. Each rule wraps moto's own code, so the client gets the error AWS
answers (its code, and its message where AWS documents one) and the request changes nothing.

What AWS enforces, and who enforces it here (moto 5.2.5, read rule by rule in its source):

| rule                                                          | moto     | this package          |
|---------------------------------------------------------------|----------|-----------------------|
| SES v2 SendEmail tag name/value: `[A-Za-z0-9_-]`, 1-256       | no       | ses.py                |
| SES v2 SendEmail: at most 50 tags                             | no       | ses.py                |
| SES v2 message size: 40 MB after base64                       | no       | ses.py                |
| SES v2 configuration set must exist                           | no       | ses.py                |
| SES v2 unverified sender                                      | yes      | ses.py (SES's words)  |
| SES v2 address it cannot parse: BadRequestException           | v1 code  | ses.py                |
| SES v2 domain identity: DKIM tokens, PENDING until DNS is found | no       | ses_identities.py     |
| SES v2 CreateEmailIdentity twice: AlreadyExistsException      | no       | ses_identities.py     |
| SES sends from a domain only once it is verified               | no       | ses_identities.py     |
| SQS visibility: 12 hours per receive                          | wrong    | sqs.py                |
| SQS message size in bytes, body and attributes                | chars    | sqs.py                |
| SQS SendMessageBatch: total size                              | chars    | sqs.py                |
| SQS SendMessageBatch: 1-10 entries, unique ids                | yes      | sqs.py (also)         |
| SQS DeleteMessageBatch: 1-10 entries, unique ids              | partly   | sqs.py                |
| SQS ChangeMessageVisibilityBatch: 1-10 entries, unique ids    | no       | sqs.py                |
| DynamoDB item size 400 KB, as AWS counts it                   | its own  | dynamodb.py           |
| DynamoDB TransactWriteItems: 100 actions                      | yes      | -                     |
| DynamoDB TransactWriteItems: 4 MB                             | no       | dynamodb.py           |
| DynamoDB BatchWriteItem: 25 requests                          | no       | dynamodb.py           |
| EventBridge PutEvents: 10 entries                             | yes      | -                     |
| EventBridge PutEvents: 256 KB as AWS counts entries           | no       | eventbridge.py        |

Each module says what AWS documents, where its numbers come from, and where it is stricter than
AWS on purpose.
"""

from __future__ import annotations

import functools

from devtools.moto_fidelity import dynamodb, eventbridge, ses, ses_identities, sqs
from devtools.moto_fidelity.ses_identities import set_domain_status

__all__ = ["apply", "set_domain_status"]


@functools.cache
def apply() -> None:
    """Patch moto (once per process: a second call changes nothing)."""
    for rules in (ses, ses_identities, sqs, dynamodb, eventbridge):
        rules.apply()
