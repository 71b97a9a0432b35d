"""Where moto differs from AWS in a way the product depends on, made to behave like AWS: one place,
applied by the tests (tests/conftest.py) and by the local stack (devtools/local/endpoint.py), which
both run moto in this process. Each rule wraps moto's own code, so the client gets the error AWS
answers and the request changes nothing.

* ses.py: SES v2 SendEmail's tags, message size, configuration set, sender and addresses.
* sqs.py: SQS visibility timeouts, 12 hours per receive.
"""

from __future__ import annotations

import functools

from devtools.moto_fidelity import ses, sqs


@functools.cache
def apply() -> None:
    """Patch moto (once per process: a second call changes nothing)."""
    for rules in (ses, sqs):
        rules.apply()
