"""Every code the server can send has a sentence in Chinese and in English on the pages.

The codes are collected from the Python source (tests/support/error_codes.py): error classes,
refusal and failure calls, verification refusal reasons, and the registry of flow-message codes.
The sentences come from web_client/shared/error-texts.js, imported in Chromium. A code added to
the server without both languages fails here.

The staff pages (teller console, field tablet) word every code through the same module, in its
staff wording: their own ``serverErrorText`` gives the shared sentence for each code in each
language, and their string tables keep no copies of error sentences.
"""

from __future__ import annotations

import pytest

from signaling.errors import CloseCode
from tests.browser.harness import CameraClips, LaunchParty, LiveServer
from tests.browser.steps import assert_no_page_problems, open_customer_page
from tests.support.error_codes import error_codes, flow_message_codes

pytestmark = pytest.mark.browser

JS_MISSING = """
async ({errors, messages, closes}) => {
  const {hasText, errorText, flowMessageText} = await import('/shared/error-texts.js');
  const missing = [];
  for (const lang of ['zh-CN', 'en']) {
    for (const code of errors) {
      if (!hasText('error', code, lang)) missing.push(`error ${code} ${lang}`);
      if (!hasText('staff', code, lang)) missing.push(`staff error ${code} ${lang}`);
    }
    for (const [audience, codes] of Object.entries(messages)) {
      for (const code of codes) {
        if (!hasText(audience, code, lang)) missing.push(`${audience} message ${code} ${lang}`);
      }
    }
    for (const code of closes) {
      if (!hasText('close', code, lang)) missing.push(`close ${code} ${lang}`);
    }
  }
  const samples = {
    eligible: errorText('not_eligible', 'zh-CN', {age: 60}),
    hours: errorText('invalid_callback', 'zh-CN', {hours: '08:00-20:00'}),
    question: flowMessageText('customer', 'question', 'zh-CN',
      {question_id: 'identity_and_role', script: 'default', company: '宁夏贺兰商贸有限公司',
        representative: '刘敏'}),
    bankScript: flowMessageText('customer', 'question', 'zh-CN',
      {question_id: 'identity_and_role', script: 'bank', text: 'Are you Liu Min?'}),
    waiting: flowMessageText('customer', 'wait_for_teller', 'en', {business: 'password_reset'}),
  };
  return {missing, samples};
}
"""


async def test_every_server_code_has_a_sentence_in_both_languages(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    await open_customer_page(customer, live_server)
    errors = sorted(error_codes())
    messages = {audience: sorted(codes) for audience, codes in flow_message_codes().items()}
    closes = [int(code) for code in CloseCode if code >= 1001]
    result = await customer.page.evaluate(
        JS_MISSING, {"errors": errors, "messages": messages, "closes": closes}
    )
    assert not result["missing"], "\n".join(result["missing"])
    samples = result["samples"]
    assert samples["eligible"] == "“一键转人工”面向60岁及以上的客户。请先填写身份证号码，或选择业务后排队。"
    assert "08:00–20:00" in samples["hours"]
    assert samples["question"] == "您是宁夏贺兰商贸有限公司的法定代表人刘敏吗？"
    assert samples["bankScript"] == "Are you Liu Min?"  # a bank's own script is shown as written
    assert samples["waiting"] == "The teller is checking your account."
    assert_no_page_problems(customer)


PAGE_OWN_CODES = ("closed", "network", "client_error")
"""Codes a page makes itself (the connection closed, a fetch failed, the browser failed)."""

JS_STAFF_PAGE = """
async ({module, errors}) => {
  const page = await import(module);
  const shared = await import('/shared/error-texts.js');
  const lang = document.documentElement.lang;
  const server = 'The server says so in English.';
  const words = {};
  for (const code of errors) {
    words[code] = [page.serverErrorText(code, server), shared.staffErrorText(code, lang, server)];
  }
  const copies = Object.values(page.TABLES).flatMap((table) => Object.keys(table))
    .filter((key) => key.startsWith('error.'));
  return {lang, words, copies, server, staffCodes: [...shared.STAFF_CODES],
    unknown: page.serverErrorText('a_code_from_a_newer_server', server)};
}
"""


@pytest.mark.parametrize("page_name", ["teller", "field"])
async def test_the_staff_pages_word_every_server_code_through_the_shared_module(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips, page_name: str
) -> None:
    staff = await launch_party("staff", camera_clips.teller)
    errors = sorted(error_codes())
    for lang in ("zh-CN", "en"):
        await staff.page.goto(f"{live_server.base_url}/{page_name}/?lang={lang}")
        await staff.page.get_by_test_id("login-button").wait_for()
        found = await staff.page.evaluate(
            JS_STAFF_PAGE, {"module": f"/{page_name}/strings.js", "errors": errors}
        )
        assert found["lang"] == lang
        assert found["copies"] == [], f"{page_name} keeps its own error sentences"
        for code, (page_text, shared_text) in found["words"].items():
            assert page_text == shared_text, (page_name, lang, code)
            # A sentence of its own: neither the server's English nor the "did not go through (code)".
            assert page_text and found["server"] not in page_text and f"{code})" not in page_text, (
                lang,
                code,
            )
        # A code this module does not know: the server's words on an English page only.
        assert (found["server"] in found["unknown"]) == (lang == "en")
        assert set(found["staffCodes"]) <= set(errors) | set(PAGE_OWN_CODES), "staff wording for no code"
    assert_no_page_problems(staff)
