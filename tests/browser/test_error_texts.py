"""Every code the server can send has a sentence in Chinese and in English on the pages.

The codes are collected from the Python source (tests/support/error_codes.py): error classes,
refusal and failure calls, verification refusal reasons, and the registry of flow-message codes.
The sentences come from web_client/shared/error-texts.js, imported in Chromium. A code added to
the server without both languages fails here.
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
