"""Lambda SnapStart for the api function (template.yaml's ApiSnapStart; docs/cold-start.md).

With SnapStart, Lambda imports the handler once, when it publishes a version, snapshots that
process, and starts every new copy of the function from the snapshot. Two hooks follow from that:

* Before the snapshot, `prime` builds what a copy's first request would otherwise build on the
  request's time: the request and response models (api/deferred.py), the settings, the use cases
  the routes call, and their AWS clients (botocore loading its service models). It sends no
  request to AWS (making a client only reads its credentials), so no connection and nothing read
  from the account is in the snapshot.
* After each restore, `reseed` gives the copy its own random generator. Every copy starts with the
  snapshot's state, and the jitter of retries (ours in reminders/clients/retry.py, botocore's)
  exists so that writers that collided do not collide again: copies must not draw alike.

What else the snapshot holds, and why the copies may share it: ids are uuid4 (os.urandom, fresh in
every copy); no clock is cached (portal_reminders.clock reads the system clock); the clients'
credentials are container credentials for a SnapStart function, which botocore renews when they
are about to expire (as a snapshot's soon are);
botocore opens a connection on a request's first call, never when a client is made; Powertools'
idempotency keeps no local cache here; Powertools' cold-start flag and the invocation budget are
set per invocation.

The hooks are registered with `snapshot_restore_py`, which Lambda's Python runtime provides (3.12
and later, whether SnapStart is on or off); elsewhere (tests, the local stack, the build check)
there is none and nothing is registered.
"""

from __future__ import annotations

import random

from portal_reminders.observability import logger
from portal_reminders.wiring import get_services


def prime() -> None:
    """Build what the routes use, as their first requests would (no request is sent to AWS)."""
    # the handler imported the app: its request and response models (api/deferred.py)
    from portal_reminders.api.app import app  # noqa: PLC0415

    app.load_models()
    services = get_services()  # validates the settings: a bad environment fails the deploy
    services.repository.connect()
    built = {
        "accounts": services.accounts,
        "items": services.items,
        "templates": services.templates,
        "pipelines": services.pipelines,
        "approvals": services.approvals,
        # a POST with an Idempotency-Key: Powertools' persistence layer (and boto3 with it)
        "api_idempotency": services.api_idempotency,
        "api_idempotency_config": services.api_idempotency_config,
    }
    logger.info("primed for the snapshot", extra={"built": sorted(built)})


def reseed() -> None:
    """A random generator of this copy's own (seeded from os.urandom)."""
    random.seed()


def register_hooks() -> bool:
    """Register `prime` and `reseed` with Lambda's runtime; False where there is no such runtime."""
    try:
        # deferred: only Lambda's Python runtime has it (see the module docstring)
        from snapshot_restore_py import (  # type: ignore[import-not-found]  # noqa: PLC0415
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(prime)
    register_after_restore(reseed)
    return True
