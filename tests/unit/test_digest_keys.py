"""The keys of an account's digests in one client day (SPEC R20): the first is the day itself, the
next ones are numbered, and a day's digests are bounded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from portal_reminders.models.domain import Account, Language
from portal_reminders.reminders.delivery import digest

DAY = date(2026, 11, 30)
ACCOUNT = Account(
    firm_id="firm-a",
    id="acc_1",
    name="Souza Family",
    language=Language.EN,
    contacts=(),
    created_at=datetime(2026, 11, 1, tzinfo=UTC),
)


def test_the_first_digest_of_a_day_is_keyed_by_the_day_and_the_next_ones_are_numbered() -> None:
    assert digest.open_key(ACCOUNT, DAY) == "digest:2026-11-30"
    done_once = replace(ACCOUNT, done_keys=("digest:2026-11-30",))
    assert digest.open_key(done_once, DAY) == "digest:2026-11-30#2"
    assert digest.day_of("digest:2026-11-30#2") == DAY
    assert digest.open_key(done_once, date(2026, 12, 1)) == "digest:2026-12-01"


def test_a_day_has_a_bounded_number_of_digests() -> None:
    keys = tuple(digest.key_of(DAY, n) for n in range(1, digest.MAX_DIGESTS_A_DAY + 1))
    assert digest.open_key(replace(ACCOUNT, done_keys=keys), DAY) is None
    assert digest.open_key(replace(ACCOUNT, done_keys=keys[:-1]), DAY) == keys[-1]
