"""The mail tags' encoding (SPEC R15, R22): whatever id the identity provider gives a firm, its tag
is in SES's alphabet and reads back as the id; tags written before the encoding still read back."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from portal_reminders import ids
from portal_reminders.reminders.delivery import mail_tags

# SES v2 API reference, MessageTag: ASCII letters, digits, '_' and '-', at most 256
SES_TAG_VALUE = re.compile(r"[A-Za-z0-9_-]{1,256}")


@given(st.from_regex(ids.EXTERNAL_ID_PATTERN, fullmatch=True))
@example("silva.contabilidade@example.pt")
@example("acme.co")
@example("_starts-with-the-marker")
@example("x" * 128)
def test_every_firm_id_encodes_to_a_value_ses_accepts_and_reads_back(firm_id: str) -> None:
    # Given any firm id the product accepts; When it is encoded as a tag value
    tag = mail_tags.encode(firm_id)

    # Then the value is in SES's alphabet and no longer than 256, and decodes to the id
    assert SES_TAG_VALUE.fullmatch(tag), tag
    assert mail_tags.decode(tag) == firm_id


def test_an_id_already_in_ses_alphabet_goes_out_as_it_is() -> None:
    # Given the product's own ids; Then they are tagged as they are, readable in SES's console
    assert mail_tags.encode("itm_01JD3ZQ8W4") == "itm_01JD3ZQ8W4"
    assert mail_tags.encode("firm-a") == "firm-a"


@pytest.mark.parametrize("written_before", ["silva.contabilidade@example.pt", "acme.co", "a@b"])
def test_a_plain_value_with_dots_or_at_signs_written_before_the_encoding_still_reads_back(written_before: str) -> None:
    # Given a tag value this module wrote as it was before it encoded '.' and '@'
    # Then it still reads back as itself (mail sent then can still bounce)
    assert mail_tags.decode(written_before) == written_before


@pytest.mark.parametrize("foreign", ["a b", "x:y", "", "a\n"])
def test_a_value_the_product_never_writes_is_refused(foreign: str) -> None:
    with pytest.raises(mail_tags.BadTag):
        mail_tags.decode(foreign)
