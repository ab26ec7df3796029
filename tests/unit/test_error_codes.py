"""The collector of server codes (tests/support/error_codes.py) finds every family of codes, so the
browser test of the pages' sentences (tests/browser/test_error_texts.py) checks them all."""

from __future__ import annotations

from tests.support.error_codes import class_codes, error_codes, flow_message_codes, literal_codes


def test_codes_of_every_family_are_collected() -> None:
    assert {"not_eligible", "invalid_callback", "invalid_feedback", "feedback_closed"} <= class_codes()
    assert {"not_signed_in", "access_log"} <= class_codes()  # the auditor API
    families = {
        "flow refusals": {"consent_required", "step_required", "wrong_question", "customer_not_found"},
        "core banking rules": {"pin_personal", "card_already_active", "no_change", "application_decided"},
        "verification refusals": {"locked_out", "no_reference", "customer_absent"},
        "failed commands": {"server_error"},
    }
    for family, codes in families.items():
        assert codes <= literal_codes(), family
    assert all(code.replace("_", "").isalpha() and code.islower() for code in error_codes())


def test_flow_message_codes_come_from_the_registry_for_both_audiences() -> None:
    codes = flow_message_codes()
    assert {"enter_pin", "wait_for_teller", "flow_finished"} <= codes["customer"]
    assert {"confirm_card", "script_question", "wrap_up"} <= codes["teller"]
