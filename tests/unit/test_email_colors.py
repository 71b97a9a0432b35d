"""The firm's accent colour on the email's button only where white text on it stays readable
(WCAG 2 contrast of at least 4.5:1): pure arithmetic on "#RRGGBB" colours."""

from __future__ import annotations

import pytest

from portal_reminders.emails.colors import DEFAULT_BUTTON_COLOR, button_color, contrast_ratio


def test_contrast_runs_from_1_for_one_colour_to_21_for_black_on_white() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#0b7a75", "#0B7A75") == pytest.approx(1.0)
    # WCAG's own example pair: #777777 on white is just under AA
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    ("accent", "button"),
    [
        ("#0B7A75", "#0b7a75"),  # teal, 5.2:1: kept (lowercase, as the HTML writes colours)
        ("#6B21A8", "#6b21a8"),  # purple, 8.7:1
        ("#767676", "#767676"),  # the lightest grey that passes, 4.54:1
        ("#777777", DEFAULT_BUTTON_COLOR),  # 4.48:1: just too light
        ("#FFCC00", DEFAULT_BUTTON_COLOR),  # yellow, 1.5:1
        ("#00897B", DEFAULT_BUTTON_COLOR),  # a lighter teal, 4.3:1
        (None, DEFAULT_BUTTON_COLOR),
    ],
)
def test_the_button_takes_the_accent_only_if_white_text_on_it_reads(accent: str | None, button: str) -> None:
    assert button_color(accent) == button


def test_the_default_button_itself_reads() -> None:
    assert contrast_ratio(DEFAULT_BUTTON_COLOR, "#ffffff") >= 4.5
