"""schemathesis hooks for openapi.json, in process (tests/contract) and for the CLI against
`make run` (SCHEMATHESIS_HOOKS=tests.contract.hooks, docs/api-clients.md):

- the `time-zone` string format (api/types.py): the names the API accepts, from the same pinned
  tzdata list the server checks, so schema-valid data holds real zone names; without it the
  fuzzer would send any string of the pattern's shape, which the document says is a 422.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from portal_reminders import zones
from portal_reminders.api.types import TIME_ZONE_FORMAT

schemathesis.openapi.format(TIME_ZONE_FORMAT, st.sampled_from(zones.names()))
