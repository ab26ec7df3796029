"""Information update: the customer enters new details, the teller reviews and confirms or sends them back."""

from __future__ import annotations

from tests.unit.test_flow_common import PENSIONER_ID, Driver, all_texts
from video_bank.core_banking import demo
from video_bank.flows.commands import UpdateContact
from video_bank.flows.inputs import DetailsEntered, DetailsReviewed
from video_bank.flows.outputs import Audience
from video_bank.flows.steps import Actor, FlowStatus, Step

NEW_PHONE = "13812345678"
NEW_ADDRESS = "12 Ningan Street, Jinfeng District, Yinchuan, Ningxia"


def test_info_update_end_to_end_changes_phone_and_address_after_the_tellers_review() -> None:
    driver = Driver("info_update")
    driver.verified(PENSIONER_ID)
    entered = driver.customer(DetailsEntered, phone=NEW_PHONE, address=NEW_ADDRESS)
    assert entered.code is None
    review = entered.message(Audience.TELLER, "review_details")
    assert review.data["new"] == {"phone": NEW_PHONE, "address": NEW_ADDRESS}
    assert review.data["current"] == {"phone": "139****1234", "address": "88 Jie***"}
    assert driver.flow.expected() == {(Actor.TELLER, "details_reviewed"), (Actor.TELLER, "cancelled")}
    reviewed = driver.teller(DetailsReviewed, approve=True)
    (command,) = reviewed.commands
    assert isinstance(command, UpdateContact)
    customer = driver.bank.customers[demo.PENSIONER.id]
    assert (customer.phone, customer.address) == (NEW_PHONE, NEW_ADDRESS)
    assert (driver.flow.status, driver.flow.outcome) == (FlowStatus.COMPLETED, "details_updated")
    (change,) = driver.changes
    assert change.diff() == {
        "phone": {"before": "139****1234", "after": "138****5678"},
        "address": {"before": "88 Jie***", "after": "12 Nin***"},
    }
    assert NEW_PHONE not in all_texts(driver.log)
    assert "Ningan Street" not in all_texts(driver.log)


def test_only_the_changed_field_is_sent() -> None:
    driver = Driver("info_update")
    driver.verified(PENSIONER_ID)
    driver.customer(DetailsEntered, phone=NEW_PHONE, address=demo.PENSIONER.address)
    (command,) = driver.teller(DetailsReviewed, approve=True).commands
    assert isinstance(command, UpdateContact)
    assert (command.phone, command.address) == (NEW_PHONE, None)


def test_the_teller_sends_the_details_back_with_a_reason_and_the_customer_enters_them_again() -> None:
    driver = Driver("info_update")
    driver.verified(PENSIONER_ID)
    driver.customer(DetailsEntered, phone=NEW_PHONE)
    assert driver.teller(DetailsReviewed, approve=False).code == "reason_required"
    back = driver.teller(DetailsReviewed, approve=False, reason="the customer said another number")
    assert back.code is None
    assert back.message(Audience.CUSTOMER, "details_rejected").data == {
        "reason": "the customer said another number"
    }
    assert "enter_details" in back.said(Audience.CUSTOMER)
    assert driver.flow.step is Step.ENTER_DETAILS
    assert driver.bank.customers[demo.PENSIONER.id] == demo.PENSIONER
    assert driver.teller(DetailsReviewed, approve=True).code == "step_required"
    driver.customer(DetailsEntered, phone="13812345679")
    driver.teller(DetailsReviewed, approve=True)
    assert driver.bank.customers[demo.PENSIONER.id].phone == "13812345679"


def test_invalid_or_unchanged_details_are_refused() -> None:
    driver = Driver("info_update")
    driver.verified(PENSIONER_ID)
    assert driver.customer(DetailsEntered, phone="12345").code == "invalid_phone"
    assert driver.customer(DetailsEntered, address="abc").code == "invalid_address"
    assert driver.customer(DetailsEntered, phone=demo.PENSIONER.phone).code == "no_change"
    assert driver.flow.step is Step.ENTER_DETAILS


def test_the_review_cannot_come_before_the_details_nor_from_the_customer() -> None:
    driver = Driver("info_update")
    driver.verified(PENSIONER_ID)
    assert driver.teller(DetailsReviewed, approve=True).code == "step_required"
    driver.customer(DetailsEntered, phone=NEW_PHONE)
    assert driver.customer(DetailsReviewed, approve=True).code == "wrong_actor"
    assert driver.teller(DetailsEntered, phone=NEW_PHONE).code == "wrong_actor"
    assert driver.bank.customers[demo.PENSIONER.id] == demo.PENSIONER
