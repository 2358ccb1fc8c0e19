"""The Farsi catalog is complete: every message has a translation and none is fuzzy."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "peyvand" / "locale" / "fa" / "LC_MESSAGES" / "django.po"


def _entries() -> list[str]:
    return [entry for entry in PO.read_text(encoding="utf-8").split("\n\n") if "msgid" in entry]


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    untranslated, fuzzy = [], []
    for entry in _entries():
        msgid = re.search(r'^msgid "(.*)"$', entry, re.M)
        if msgid is None or msgid.group(1) == "":
            continue  # the header
        if "#, fuzzy" in entry or re.search(r"^#,.*\bfuzzy\b", entry, re.M):
            fuzzy.append(msgid.group(1))
        if re.search(r'^msgstr(\[\d\])? ""$', entry, re.M) and not re.search(
            r'^msgstr(\[\d\])? ""\n"', entry, re.M
        ):
            untranslated.append(msgid.group(1))
    assert (untranslated, fuzzy) == ([], [])


def test_the_compiled_catalog_is_loaded() -> None:
    with translation.override("fa"):
        assert translation.gettext("Possible duplicates") == "مخاطبان احتمالاً تکراری"
        assert translation.gettext("Import contacts") == "درون‌ریزی مخاطبان"
