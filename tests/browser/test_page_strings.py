"""The field officer's tablet and the supervisor console carry every string in both languages.

Each page's strings module is imported in Chromium from the page itself: its tables must be exactly
Chinese (the default) and English, with the same keys and no empty text, and every ``data-i18n`` key
the page's markup uses must be in both. The page must also say its language in ``<html lang>``.
"""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer
from tests.browser.steps import assert_no_page_problems

with contextlib.suppress(ImportError):  # without playwright the fixtures skip (fail in CI)
    from playwright.async_api import expect

pytestmark = pytest.mark.browser

LANGUAGES = {"zh-CN", "en"}

READ_TABLES = """
async (module) => {
  const {TABLES} = await import(module);
  const {LOGIN_TABLES} = await import('/shared/staff-login.js');
  const keys = [...document.querySelectorAll('[data-i18n]')].map((element) => element.dataset.i18n);
  return {tables: TABLES, login: LOGIN_TABLES, markup: keys, lang: document.documentElement.lang};
}
"""


@pytest.mark.parametrize("page_name", ["field", "supervisor"])
async def test_every_string_exists_in_chinese_and_english(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips, page_name: str
) -> None:
    party = await launch_party("reader", camera_clips.teller)
    page = party.page
    await page.goto(f"{live_server.base_url}/{page_name}/")
    await expect(page.get_by_test_id("login-button")).to_be_visible()
    found = await page.evaluate(READ_TABLES, f"/{page_name}/strings.js")
    tables: dict[str, dict[str, str]] = found["tables"]
    assert found["lang"] == "zh-CN", "Chinese is the default"
    assert set(tables) == LANGUAGES
    chinese, english = (set(tables[lang]) for lang in ("zh-CN", "en"))
    assert chinese - english == set(), "missing in English"
    assert english - chinese == set(), "missing in Chinese"
    empty = [f"{lang}:{key}" for lang, table in tables.items() for key, text in table.items() if not text]
    assert empty == []
    assert found["markup"], "the page fills its markup from the strings"
    assert set(found["markup"]) - chinese == set(), "markup keys without a string"
    # The Chinese page shows Chinese, not the keys or leftover English (the shared sign-in form too).
    login = await page.get_by_test_id("login-button").text_content()
    assert login == found["login"]["zh-CN"]["login.submit"]

    await page.goto(f"{live_server.base_url}/{page_name}/?lang=en")
    assert await page.evaluate("() => document.documentElement.lang") == "en"
    await expect(page.get_by_test_id("login-button")).to_have_text(found["login"]["en"]["login.submit"])
    assert_no_page_problems(party)
