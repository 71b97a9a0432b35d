"""Every word a client reads, one catalogue per language: en.py, pt_pt.py, pt_br.py, es.py. Each
fills in the same entries (texts.py gives their shape); tests/unit/test_email_catalogues.py renders
every email of every catalogue and checks they say the same things as English."""

from portal_reminders.emails.catalogue.en import ENGLISH
from portal_reminders.emails.catalogue.es import SPANISH
from portal_reminders.emails.catalogue.pt_br import BRAZILIAN_PORTUGUESE
from portal_reminders.emails.catalogue.pt_pt import EUROPEAN_PORTUGUESE
from portal_reminders.emails.model import Language
from portal_reminders.emails.texts import LanguageWording

WORDING: dict[Language, LanguageWording] = {
    "en": ENGLISH,
    "pt-PT": EUROPEAN_PORTUGUESE,
    "pt-BR": BRAZILIAN_PORTUGUESE,
    "es": SPANISH,
}
