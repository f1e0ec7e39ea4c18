import pytest

from bot.escalation.contact_checks import InvalidAnswer, callback, normalise_phone, optional, plain_text


@pytest.mark.parametrize(
    "typed, number",
    [
        ("021 555 0199", "+64215550199"),
        ("(04) 498 6000", "+6444986000"),
        ("+64 4 498 6000", "+6444986000"),
        ("0800 77 66 22", "0800776622"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0064 21 844 538", "+6421844538"),
    ],
)
def test_nz_and_international_numbers_are_accepted(typed: str, number: str):
    assert normalise_phone(typed) == number


@pytest.mark.parametrize("typed", ["12345", "call me", "+0 123", "021-CALL-NOW", "5" * 30])
def test_bad_numbers_are_refused(typed: str):
    assert normalise_phone(typed) is None
    with pytest.raises(InvalidAnswer, match="phone number or an email address"):
        callback(typed)


def test_an_email_is_a_callback():
    assert callback(" Ana@KiwiTexts.co.nz ") == "ana@kiwitexts.co.nz"


def test_markup_and_huge_answers_get_a_clear_re_ask():
    with pytest.raises(InvalidAnswer, match="without HTML tags"):
        plain_text("<img src=x onerror=alert(1)>", "name", 120)
    with pytest.raises(InvalidAnswer, match="5000 characters"):
        plain_text("a" * 5000, "description", 500)
    assert plain_text("Ana   Smith", "name", 120) == "Ana Smith"
    assert optional("skip", "company", 120) is None
