"""The local stack's pages on a phone (390 px wide, laid out as a phone does: at the width the page's
viewport asks for) and on a laptop (1280 px): nothing runs past the screen's edge, and every email
in the outbox shows whole, its frame as tall as the email. Screenshots of each page at each width
are kept in build/artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.local.conftest import ARTIFACTS, LOOPBACK, RunningStack

pytestmark = pytest.mark.allow_hosts(LOOPBACK)

PHONE, LAPTOP = 390, 1280
DAILY = {"enabled": True, "days_between": 1}
CHAT = (
    "Could you send us the October invoices (notas fiscais) of both companies, and the bank statements "
    "of the savings account? We need them before we can close the quarter. " * 8
).strip()

# How wide the page lays out, how wide it is, and how wide the screen shows it.
PAGE_WIDTHS = """
const root = document.documentElement;
return {layout: innerWidth, page: root.scrollWidth, screen: root.clientWidth};
"""
# Each email frame: loaded yet (its srcdoc, not the blank document a frame starts with), its height,
# its email's height, and what the email would scroll to inside the frame.
EMAIL_FRAMES = """
return Array.from(document.querySelectorAll("iframe.body")).map(frame => {
  const doc = frame.contentDocument, root = doc && doc.documentElement;
  return {
    subject: frame.title,
    loaded: !!doc && doc.URL === "about:srcdoc" && doc.readyState === "complete",
    frame: frame.clientHeight,
    email: root ? root.getBoundingClientRect().height : 0,
    scroll: root ? root.scrollHeight : 0,
  };
});
"""


@pytest.fixture(params=[PHONE, LAPTOP], ids=["390px", "1280px"])
def screen(request: pytest.FixtureRequest, browser: WebDriver) -> Iterator[int]:
    """The browser as a phone (mobile: it honours the page's viewport) or a laptop of that width."""
    width = int(request.param)
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width == PHONE}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    yield width
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture(scope="module")
def emails_of_every_length(local_stack: RunningStack) -> None:
    """An invoice, a long chat message, a Portuguese signature request, and a day later the
    Portuguese account's digest of its reminders (SPEC R20): emails of different heights, published
    as events too, made once for every page and width."""
    client = local_stack.new_firm()
    client.expect(200, "PUT", "/firm", {"name": "Silva & Harper Accounting", "reply_to": "office@example.com"})
    contacts = [{"name": "Olivia Harper", "email": "olivia.widths@example.com", "notify": True}]
    english = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": contacts})
    contacts = [{"name": "Beatriz Oliveira", "email": "beatriz.widths@example.com", "notify": True}]
    portuguese = client.expect(
        201, "POST", "/accounts", {"name": "Oliveira Comércio Ltda.", "language": "pt-BR", "contacts": contacts}
    )
    invoice = {"amount": "1250.00", "currency": "USD", "due_date": "2027-01-15"}
    for account, item in (
        (english, {"kind": "invoice", "title": "Invoice 1042: 2026 tax return", "invoice": invoice}),
        (english, {"kind": "chat", "title": "October invoices and bank statements", "message": CHAT}),
        (portuguese, {"kind": "signature", "title": "Procuração eletrônica para a Receita Federal"}),
        (portuguese, {"kind": "organizer", "title": "IRS 2026", "reminders": DAILY}),
        (portuguese, {"kind": "proposal", "title": "Carta de compromisso 2027", "reminders": DAILY}),
    ):
        client.expect(201, "POST", f"/accounts/{account['id']}/action-items", item)
    local_stack.client().expect(200, "POST", "/_local/tick", {})  # the stream published, the bus delivered
    local_stack.client().expect(200, "POST", "/_local/tick", {"in": "1d"})  # the digest goes


def _open(browser: WebDriver, url: str, ready: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 60).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ready)))


def _assert_fits(browser: WebDriver, width: int, page: str) -> None:
    widths: dict[str, Any] = browser.execute_script(PAGE_WIDTHS)
    assert widths["layout"] == width, f"{page} lays out {widths['layout']} px wide on a {width} px screen"
    assert widths["page"] <= widths["screen"], f"{page} runs past the screen's edge: {widths}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{page}-{width}.png"))


@pytest.mark.usefixtures("emails_of_every_length")
def test_the_outbox_fits_the_screen_and_shows_every_email_whole(
    local_stack: RunningStack, browser: WebDriver, screen: int
) -> None:
    # Given emails of different lengths and languages in the outbox
    # When the outbox page is opened on this screen, and its email frames have loaded
    _open(browser, f"{local_stack.url}/_local/outbox.html", "iframe.body")
    frames = WebDriverWait(browser, 30).until(
        lambda driver: (found := driver.execute_script(EMAIL_FRAMES)) and all(f["loaded"] for f in found) and found
    )

    # Then the page is no wider than the screen
    _assert_fits(browser, screen, "outbox")
    # And every frame is as tall as its email: none cut off, none a fixed height with a gap below
    assert len(frames) >= 4
    assert any(f["subject"].startswith("Lembrete: ") and "2 pendências" in f["subject"] for f in frames)
    cut_off = [f for f in frames if f["frame"] < f["scroll"] or f["frame"] > f["email"] + 2]
    assert not cut_off, f"{len(cut_off)} of {len(frames)} email frames are not their email's height: {cut_off}"


@pytest.mark.usefixtures("emails_of_every_length")
def test_the_events_page_fits_the_screen(local_stack: RunningStack, browser: WebDriver, screen: int) -> None:
    # Given published events (items sent), whose ids and titles are long unbroken words
    # When the events page is opened on this screen
    _open(browser, f"{local_stack.url}/_local/events.html", "article.event")

    # Then it is no wider than the screen
    _assert_fits(browser, screen, "events")


def test_swagger_ui_fits_the_screen_with_an_operation_open(
    local_stack: RunningStack, browser: WebDriver, screen: int
) -> None:
    # Given Swagger UI on this screen
    _open(browser, f"{local_stack.url}/swagger", ".opblock")

    # When the firm user opens "send an item" and tries it out (its parameter and response tables, its buttons)
    operation = browser.find_element(
        By.XPATH,
        "//div[contains(@class, 'opblock-post')][.//*[contains(@class, 'opblock-summary-path')]"
        "[translate(normalize-space(.), '\u200b', '') = '/accounts/{account_id}/action-items']]",
    )
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    WebDriverWait(browser, 30).until(lambda _: operation.find_element(By.CSS_SELECTOR, ".try-out__btn")).click()
    WebDriverWait(browser, 30).until(lambda _: operation.find_element(By.CSS_SELECTOR, ".execute"))
    browser.execute_script("arguments[0].scrollIntoView()", operation)

    # Then the page is no wider than the screen
    _assert_fits(browser, screen, "swagger")
