"""audioguide draft on the guides people have at hand: Notepad's "Unicode" text, saved web pages, exercise shorthand."""

from __future__ import annotations

import codecs

import pytest
import yaml

from audioguide.draft import draft_routine
from audioguide.errors import GuideError

GUIDE = "Neck stretch\n\nTilt your right ear towards your shoulder for ten seconds.\n\nRoll your shoulders 8 times.\n"


@pytest.mark.parametrize("encoding, bom", [
    ("utf-16-le", codecs.BOM_UTF16_LE),  # Windows Notepad's "Unicode"
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE),
    ("utf-32-be", codecs.BOM_UTF32_BE),
    ("utf-8", codecs.BOM_UTF8),
])
def test_text_with_a_byte_order_mark_is_read_in_its_encoding(encoding, bom):
    raw = bom + GUIDE.replace("Neck", "Nück").encode(encoding)
    assert draft_routine(raw) == draft_routine(GUIDE.replace("Neck", "Nück"))
    assert yaml.safe_load(draft_routine(raw))["title"] == "Nück stretch"


@pytest.mark.parametrize("raw, message", [
    (codecs.BOM_UTF16_LE + b"N\x00e", "upload.txt: starts with a UTF-16 byte order mark but is not UTF-16 text (byte 4)"),
    (codecs.BOM_UTF16_LE + "Stand up.\x00".encode("utf-16-le"), "upload.txt: is a binary file"),
    (b"Stand\x00up.", "upload.txt: is a binary file"),  # NULs without a mark: still binary
])
def test_a_broken_unicode_guide_is_one_line(raw, message):
    with pytest.raises(GuideError) as caught:
        draft_routine(raw, display="upload.txt")
    assert str(caught.value).startswith(message)
