"""The bot's wording is defined once, in domain.yml (bot/wording.py reads it outside Rasa)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.wording import Reply, say, support_contact
from core.errors import ConfigError


def test_the_shipped_domain_defines_the_support_phone_and_email():
    phone, email = support_contact()
    assert phone.startswith("0800") and "@" in email


def test_a_domain_without_them_says_what_to_add(tmp_path: Path):
    domain = tmp_path / "domain.yml"
    domain.write_text("version: '3.1'\nslots: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="support_phone"):
        support_contact(domain)


def test_no_response_writes_the_contact_out_instead_of_using_the_slots():
    phone, email = support_contact()
    domain = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text(encoding="utf-8"))
    texts = [variant.get("text", "") for variants in domain["responses"].values() for variant in variants]
    assert not [text for text in texts if phone in text or email in text]
    assert sum("{support_phone}" in text for text in texts) >= 10


def test_a_reply_is_said_as_rasa_fills_its_response():
    reply = Reply("utter_status_quiet", {"as_of": "Tue 8 September 2020 09:00 NZST", "next": "Nothing is planned."})
    assert reply.text == "As of Tue 8 September 2020 09:00 NZST, no maintenance window is running. Nothing is planned."
    phone, _ = support_contact()
    assert phone in say("utter_urgent")  # the slots' values fill the contact


def test_a_response_that_is_not_in_the_domain_is_a_clear_error():
    with pytest.raises(ConfigError, match="utter_no_such_thing"):
        say("utter_no_such_thing")


def test_the_web_chat_widget_gets_the_support_contact_from_the_domain(tmp_path: Path):
    from conftest import settings_env

    from core.settings import Settings
    from helpdesk_web.server import demo_page

    phone, email = support_contact()
    page = demo_page(Settings.from_env(settings_env(tmp_path)))
    assert f'data-support="ring {phone} or email {email}"' in page and "{{" not in page
