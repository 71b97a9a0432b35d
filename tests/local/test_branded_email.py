"""A branded reminder (SPEC R21) as a client's mail program shows it: headless Chromium at a
laptop's 1280 px and a phone's 390 px (laid out as a phone does, at the width the email's viewport
asks for). The email is the HTML part the local stack's SES took. Its logo lives on the firm's
https server, which the closed network cannot reach: a small HTTPS server of the test's own answers
for that host (Chromium is told the host resolves to it, and to accept its self-signed
certificate), and serves the email too, so the page loads the logo as a mail program would.
Nothing may run past the screen's edge; the logo and the button are on screen, whole, also in each
language's reminder on a phone (SPEC R21's four languages, with their longer words). Screenshots of
the whole email at each width and in each language are kept in build/artifacts (docs/images has
copies)."""

from __future__ import annotations

import base64
import datetime
import os
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.local.conftest import (
    ARTIFACTS,
    CHROMEDRIVER,
    CHROMIUM,
    CHROMIUM_FLAGS,
    LOOPBACK,
    RunningStack,
    _browser_missing,
)

pytestmark = pytest.mark.allow_hosts(LOOPBACK)

FIRM_HOST = "www.silva-harper.com"
INBOX_HOST = "inbox.test"  # where the test's server shows the email, as a webmail would
LOGO_URL = f"https://{FIRM_HOST}/email-logo.svg"
CONTACT = "olivia.branded@example.com"
PHONE, LAPTOP = 390, 1280
# The firm's logo: a 300 x 96 mark and name, as a firm would upload for its emails.
LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" width="300" height="96" viewBox="0 0 300 96">
<rect x="0" y="12" width="72" height="72" rx="14" fill="#0b7a75"/>
<text x="36" y="58" font-family="DejaVu Serif, Georgia, serif" font-size="22" font-weight="bold" fill="#ffffff"
 text-anchor="middle">S&amp;H</text>
<text x="86" y="48" font-family="DejaVu Serif, Georgia, serif" font-size="25" fill="#1f2933">Silva &amp; Harper</text>
<text x="88" y="74" font-family="DejaVu Sans, Arial, sans-serif" font-size="13" letter-spacing="4"
 fill="#0b7a75">ACCOUNTING</text>
</svg>"""

# Every element's box against the screen, the page's widths, the logo and the button.
MEASURE = """
const root = document.documentElement, screen = root.clientWidth;
const box = element => { const r = element.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };
const outside = e => { const r = e.getBoundingClientRect(); return r.right > screen + 0.5 || r.left < -0.5; };
const overflowing = Array.from(document.body.querySelectorAll("*"))
  .filter(e => e.getBoundingClientRect().width > 0 && outside(e))
  .map(e => e.tagName + (e.textContent || "").trim().slice(0, 40));
const logo = document.querySelector("img"), button = document.querySelector("a[target=_blank]");
return {
  layout: innerWidth, page: root.scrollWidth, screen, overflowing,
  height: Math.ceil(document.body.getBoundingClientRect().height),
  logo: {...box(logo), loaded: logo.complete && logo.naturalWidth > 0, alt: logo.alt},
  button: {...box(button), text: button.textContent, color: getComputedStyle(button.parentElement).backgroundColor},
};
"""


# One client per language, each sent an invoice in its own currency; English's is the one measured
# at both widths, each language's is pictured on a phone (docs/images/reminder-<language>.png).
CLIENTS = {
    "en": ("Harper Family", "Olivia Harper", CONTACT, "Invoice 1042: 2026 tax return", "USD", "Reminder: "),
    "pt-PT": (
        "Família Oliveira",
        "Beatriz Oliveira",
        "beatriz.branded@example.pt",
        "Fatura FT 2026/42",
        "EUR",
        "Lembrete: ",
    ),
    "pt-BR": (
        "Souza Comércio Ltda.",
        "Ana Souza",
        "ana.branded@example.com.br",
        "NF 1042: IRPF 2026",
        "BRL",
        "Lembrete: ",
    ),
    "es": (
        "Fernández Asesores S.L.",
        "Lucía Fernández",
        "lucia.branded@example.es",
        "Factura 2026/42",
        "EUR",
        "Recordatorio: ",
    ),
}
BUTTONS = {"en": "Pay the invoice", "pt-PT": "Pagar a fatura", "pt-BR": "Pagar a fatura", "es": "Pagar la factura"}


@pytest.fixture(scope="module")
def branded_reminders(local_stack: RunningStack) -> dict[str, str]:
    """The HTML part of a branded invoice reminder in each language, as the local stack's SES took it."""
    client = local_stack.new_firm()
    branding = {
        "logo_url": LOGO_URL,
        "accent_color": "#0B7A75",
        "signature": "Maria Silva, CPA\nPartner, Silva & Harper Accounting\n+1 555 0100",
    }
    profile = {
        "name": "Silva & Harper Accounting",
        "portal_url": "https://portal.silva-harper.com",
        "branding": branding,
    }
    client.expect(200, "PUT", "/firm", profile)
    for language, (name, person, address, title, currency, _) in CLIENTS.items():
        contacts = [{"name": person, "email": address, "notify": True}]
        account = client.expect(201, "POST", "/accounts", {"name": name, "language": language, "contacts": contacts})
        invoice = {"amount": "1250.00", "currency": currency, "due_date": "2027-01-15"}
        item = {"kind": "invoice", "title": title, "invoice": invoice}
        item["reminders"] = {"enabled": True, "days_between": 3}
        client.expect(201, "POST", f"/accounts/{account['id']}/action-items", item)
    local_stack.tick(datetime.timedelta(days=3, minutes=1))
    outbox = client.expect(200, "GET", "/_local/outbox")["items"]
    reminders = {}
    for language, (_, _, address, _, _, label) in CLIENTS.items():
        newest = next(mail for mail in outbox if mail["to"] == [address])  # newest first
        assert newest["subject"].startswith(label)
        assert newest["language"] == language
        reminders[language] = str(newest["html"])
    return reminders


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, FIRM_HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(FIRM_HOST), x509.DNSName(INBOX_HOST)]), False)
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, private


@pytest.fixture(scope="module")
def firm_web(
    branded_reminders: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, list[str]]]:
    """The firm's https server (the logo) and a webmail page per language (/email-<language>.html):
    its port, and the paths asked for."""
    asked: list[str] = []
    pages = {f"/email-{language}.html": html.encode() for language, html in branded_reminders.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(f"{self.headers.get('Host', '').split(':')[0]}{self.path}")
            page = pages.get(self.path)
            body, kind = (page, "text/html; charset=utf-8") if page else (LOGO, "image/svg+xml")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path_factory.mktemp("firm-web")))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def mail_browser(firm_web: tuple[int, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"in CI the browser tests must run: {missing}")
        pytest.skip(missing)
    port, _ = firm_web
    options = Options()
    options.binary_location = str(CHROMIUM)
    flags = [
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-mail')}",
        f"--host-resolver-rules=MAP {FIRM_HOST} 127.0.0.1:{port}, MAP {INBOX_HOST} 127.0.0.1:{port}",
        "--ignore-certificate-errors",  # the test server's certificate is its own
    ]
    for flag in flags:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: WebDriver, language: str, width: int) -> dict[str, Any]:
    """The reminder in this language opened on a screen this wide (a phone lays the page out at the
    width its viewport asks for): what MEASURE sees."""
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width == PHONE}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    browser.get(f"https://{INBOX_HOST}/email-{language}.html")
    WebDriverWait(browser, 30).until(lambda b: b.execute_script("return document.images[0].complete"))
    shown: dict[str, Any] = browser.execute_script(MEASURE)
    return shown


def _picture(browser: WebDriver, shown: dict[str, Any], name: str) -> Path:
    """The whole email as shown, into build/artifacts (docs/images keeps copies)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    whole = {"x": 0, "y": 0, "width": shown["layout"], "height": shown["height"], "scale": 1}
    picture = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": whole}
    )
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(picture["data"]))
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


@pytest.mark.parametrize("width", [LAPTOP, PHONE], ids=["1280px", "390px"])
def test_a_branded_reminder_shows_whole_on_a_laptop_and_a_phone(
    mail_browser: WebDriver, firm_web: tuple[int, list[str]], width: int
) -> None:
    # Given a screen of this width
    # When the branded reminder is opened
    shown = _open(mail_browser, "en", width)

    # Then the logo came from the firm's server, and nothing runs past the screen's edge
    assert f"{FIRM_HOST}/email-logo.svg" in firm_web[1]
    assert shown["layout"] == width
    assert shown["page"] <= shown["screen"], shown
    assert shown["overflowing"] == []
    # And the logo is on screen, whole, at most 48 px high, with the firm's name as its alt text
    logo = shown["logo"]
    assert logo["loaded"]
    assert logo["alt"] == "Silva & Harper Accounting"
    assert 0 < logo["height"] <= 48
    assert 0 <= logo["left"] < logo["right"] <= shown["screen"]
    # And so is the button, in the firm's accent colour
    button = shown["button"]
    assert button["text"] == "Pay the invoice"
    assert button["height"] > 30
    assert 0 <= button["left"] < button["right"] <= shown["screen"]
    assert button["color"] == "rgb(11, 122, 117)"

    # (the whole email, for the docs: docs/images/branded-reminder-<width>.png are copies)
    assert _picture(mail_browser, shown, f"branded-reminder-{width}.png").stat().st_size > 10_000


@pytest.mark.parametrize("language", list(CLIENTS))
def test_a_branded_reminder_in_each_language_shows_whole_on_a_phone(mail_browser: WebDriver, language: str) -> None:
    # Given a phone's screen
    # When the branded reminder in this language is opened (longer words than English's)
    shown = _open(mail_browser, language, PHONE)

    # Then nothing runs past the screen's edge, and the logo and the button in the language are whole
    assert shown["page"] <= shown["screen"], shown
    assert shown["overflowing"] == []
    assert shown["logo"]["loaded"]
    assert 0 <= shown["logo"]["left"] < shown["logo"]["right"] <= shown["screen"]
    button = shown["button"]
    assert button["text"] == BUTTONS[language]
    assert 0 <= button["left"] < button["right"] <= shown["screen"]

    # (the whole email, for the docs: docs/images/reminder-<language>.png are copies)
    assert _picture(mail_browser, shown, f"reminder-{language}.png").stat().st_size > 10_000
