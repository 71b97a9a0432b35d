"""The firm's accent colour, used only where it keeps the email readable.

The email's button has white text on the button colour, and its fallback link is the button
colour on white: both read well only if that colour contrasts enough with white. WCAG 2's
contrast ratio (relative luminance of sRGB colours) says how much; AA asks for 4.5:1 for text of
normal size, which the button's 16 px bold label is (WCAG's "large" bold text starts at 18.66 px).
An accent lighter than that (a pastel, a yellow) keeps the product's own button colour; the
header rule, which carries no text, takes any accent.
"""

from __future__ import annotations

DEFAULT_BUTTON_COLOR = "#1a56db"
BUTTON_TEXT_COLOR = "#ffffff"
MIN_TEXT_CONTRAST = 4.5


def relative_luminance(color: str) -> float:
    """WCAG 2's relative luminance of a "#RRGGBB" colour: 0 for black, 1 for white."""
    red, green, blue = (_linear(int(color[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """From 1 (the same luminance) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def button_color(accent: str | None) -> str:
    """The accent if white text on it is readable, else the product's button colour."""
    if accent is None or contrast_ratio(accent, BUTTON_TEXT_COLOR) < MIN_TEXT_CONTRAST:
        return DEFAULT_BUTTON_COLOR
    return accent.lower()


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
