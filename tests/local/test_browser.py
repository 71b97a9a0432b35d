"""Real browser tests: headless Chromium (Debian's chromium and chromium-driver, which `make test`
installs when it runs as root) against the running local stack. The outbox page shows the sent
reminder as the client sees it, a screenshot of it is kept as an artifact, and Swagger UI loads
the API's OpenAPI document with no internet, and the events page lists the published events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.local.conftest import ARTIFACTS, LOOPBACK, RunningStack

pytestmark = pytest.mark.allow_hosts(LOOPBACK)


def test_the_outbox_page_shows_the_reminder_as_the_client_sees_it(
    local_stack: RunningStack, browser: WebDriver
) -> None:
    # Given an invoice sent to a notify contact, and a tick three days later
    client = local_stack.new_firm()
    client.expect(200, "PUT", "/firm", {"name": "Silva & Harper Accounting"})
    contacts = [{"name": "Olivia Harper", "email": "olivia.browser@example.com", "notify": True}]
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": contacts})
    title = "Invoice 1042: 2026 tax return"
    client.expect(
        201,
        "POST",
        f"/accounts/{account['id']}/action-items",
        {
            "kind": "invoice",
            "title": title,
            "invoice": {"amount": "1250.00", "currency": "USD", "due_date": "2027-01-15"},
            "reminders": {"enabled": True, "days_between": 3},
        },
    )
    local_stack.tick(timedelta(days=3, minutes=1))

    # When the outbox page is opened
    browser.get(f"{local_stack.url}/_local/outbox.html")
    # (the stack is shared with other tests, whose reminders the same tick may send just after)
    mails = WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_all_elements_located(
            (By.CSS_SELECTOR, 'article.mail[data-to="olivia.browser@example.com"]')
        )
    )

    # Then the contact's newest mail is the reminder, to the contact, in English
    newest = mails[0]
    subject = newest.find_element(By.CSS_SELECTOR, "h2.subject").text
    assert subject.startswith("Reminder: ")
    assert title in subject
    assert newest.get_attribute("data-to") == "olivia.browser@example.com"
    assert "olivia.browser@example.com" in newest.text
    assert newest.get_attribute("data-language") == "en"

    # And its HTML part renders the invoice as the client would read it
    frame = newest.find_element(By.CSS_SELECTOR, "iframe.body")
    browser.execute_script("arguments[0].scrollIntoView()", frame)
    browser.switch_to.frame(frame)
    body = WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.TAG_NAME, "body")))
    assert title in body.text
    assert "1,250.00" in body.text
    browser.switch_to.default_content()
    browser.execute_script("arguments[0].scrollIntoView()", newest)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    email_png, page_png = ARTIFACTS / "outbox.png", ARTIFACTS / "outbox-page.png"
    assert newest.screenshot(str(email_png))
    assert browser.save_screenshot(str(page_png))
    assert email_png.stat().st_size > 5_000
    print(f"\nscreenshots: {email_png} (the reminder email), {page_png} (the outbox page)")  # noqa: T201 - where the artifact is


def test_swagger_ui_loads_the_openapi_document_offline(local_stack: RunningStack, browser: WebDriver) -> None:
    browser.get(f"{local_stack.url}/swagger")

    title = WebDriverWait(browser, 60).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".information-container .title"))
    )
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock")

    assert "Client reminders API" in title.text
    assert len(operations) >= 10
    paths = {element.text for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/accounts/{account_id}/action-items" in {p.replace("\u200b", "") for p in paths}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "swagger.png"))


def test_the_events_page_lists_the_published_events_newest_first(local_stack: RunningStack, browser: WebDriver) -> None:
    # Given an item sent and completed, and the stack settled
    client = local_stack.new_firm()
    contacts = [{"name": "Olivia Harper", "email": "olivia.events@example.com", "notify": True}]
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": contacts})
    item = client.expect(201, "POST", f"/accounts/{account['id']}/action-items", {"kind": "chat", "title": "W-2?"})
    client.expect(200, "POST", f"/action-items/{item['id']}/complete", {"via": "reply"})
    local_stack.tick(timedelta(seconds=1))

    # When the events page is opened
    browser.get(f"{local_stack.url}/_local/events.html")
    cards = WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_all_elements_located((By.CSS_SELECTOR, "article.event"))
    )

    # Then the item's completion is listed before its sending, each with its detail and no address
    mine = [card for card in cards if item["id"] in card.text]
    assert [card.get_attribute("data-detail-type") for card in mine] == ["ItemCompleted", "ItemSent"]
    assert '"via": "reply"' in mine[0].text
    assert "olivia.events@example.com" not in browser.page_source
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "events-page.png"))


def test_swagger_ui_executes_a_call_with_a_token(local_stack: RunningStack, browser: WebDriver) -> None:
    # Given a firm with a profile, and its user's token
    client = local_stack.new_firm()
    client.expect(200, "PUT", "/firm", {"name": "Silva Contabilidade"})
    wait = WebDriverWait(browser, 60)
    browser.get(f"{local_stack.url}/swagger")

    # When the user authorizes with the token in Swagger UI
    wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, ".auth-wrapper button.authorize"))).click()
    field = wait.until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".auth-container input")))
    field.send_keys(client.token or "")
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done").click()

    # And tries GET /firm out
    operation = browser.find_element(
        By.XPATH,
        "//div[contains(@class, 'opblock-get')][.//*[contains(@class, 'opblock-summary-path')]"
        "[translate(normalize-space(.), '\u200b', '') = '/firm']]",
    )
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, ".try-out__btn")).click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, ".execute")).click()

    # Then the call went through the gateway with the token and the firm's profile came back
    status = wait.until(
        lambda _: operation.find_element(By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
    )
    body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .response-col_description pre").text
    assert status.text.strip() == "200"
    assert "Silva Contabilidade" in body
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "swagger-try-it-out.png"))


def test_clicking_bounce_on_the_outbox_page_suppresses_the_contact(
    local_stack: RunningStack, browser: WebDriver
) -> None:
    # Given a proposal emailed to Olivia (the newest mail in the outbox)
    client = local_stack.new_firm()
    address = "olivia.bounce@example.com"
    contacts = [{"name": "Olivia Harper", "email": address, "notify": True}]
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": contacts})
    client.expect(201, "POST", f"/accounts/{account['id']}/action-items", {"kind": "proposal", "title": "EL 2027"})
    browser.get(f"{local_stack.url}/_local/outbox.html")
    wait = WebDriverWait(browser, 60)
    mail = wait.until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, f'article.mail[data-to="{address}"]'))
    )
    assert mail.get_attribute("data-suppressed") == ""
    assert "mailable" in mail.text

    # When "bounce" is clicked on it
    button = mail.find_element(By.CSS_SELECTOR, 'button.ses-event[data-type="bounce"]')
    browser.execute_script("arguments[0].scrollIntoView()", button)
    button.click()

    # Then the page shows the contact suppressed after the bounce (it reloads once SES's event was handled)
    suppressed = wait.until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, f'article.mail[data-to="{address}"][data-suppressed="bounce"]')
        )
    )
    assert "suppressed after a bounce" in suppressed.text
    listed = browser.find_elements(By.CSS_SELECTOR, f'#suppressed li.suppressed-contact[data-email="{address}"]')
    assert len(listed) == 1
    # and so does the API
    [olivia] = client.expect(200, "GET", f"/accounts/{account['id']}")["contacts"]
    assert olivia["suppressed"]["reason"] == "bounce"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script("arguments[0].scrollIntoView()", suppressed)
    browser.save_screenshot(str(ARTIFACTS / "outbox-bounced.png"))
