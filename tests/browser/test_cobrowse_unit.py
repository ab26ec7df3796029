"""Unit tests of the co-browse serializer, masking and mirror (JavaScript), run in Chromium.

The cases live in ``tests/browser/js/cobrowse_unit.js``: one function evaluated on the customer page,
importing the real modules, returning one result per case. Like every browser test they run in CI
(``CI=true``) and are skipped locally only when Chromium is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.harness import CameraClips, LaunchParty, LiveServer
from tests.browser.steps import assert_no_page_problems, open_customer_page

pytestmark = pytest.mark.browser

CASES = Path(__file__).with_name("js") / "cobrowse_unit.js"


async def test_serializer_round_trip_masking_and_mirror_safety(
    live_server: LiveServer, launch_party: LaunchParty, camera_clips: CameraClips
) -> None:
    customer = await launch_party("customer", camera_clips.customer)
    await open_customer_page(customer, live_server)
    results = await customer.page.evaluate(CASES.read_text())
    assert len(results) >= 12
    failed = [f"{r['name']}: {r['detail']}" for r in results if not r["ok"]]
    assert not failed, "\n".join(failed)
    # The hostile fixture's handler and style attributes are refused by the page's CSP before the
    # serializer even sees them; those refusals are the only console errors allowed.
    customer.problems[:] = [p for p in customer.problems if "Content Security Policy" not in p]
    assert_no_page_problems(customer)
