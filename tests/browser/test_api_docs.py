"""The API's browsable docs work in Chromium under the Content-Security-Policy: the schema
loads and the operations are listed, with no violation reported."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_content_security_policy import Watched

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_list_the_operations_under_the_policy(browser, live_server):
    watched = Watched(browser, live_server)
    try:
        watched.goto("/api/v1/docs")
        page = watched.page
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/requests/{reference}" in [p.replace("\u200b", "") for p in paths]
        assert watched.violations() == []
    finally:
        watched.context.close()
