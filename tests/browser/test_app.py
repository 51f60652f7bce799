"""`make app`: the Identity console as a Voila page, used in headless Chromium, fully offline."""

from __future__ import annotations

import pytest

from tests.browser.test_notebooks_in_lab import (
    click,
    expect_error,
    expect_masked_then_revealed,
    expect_success,
    open_tab,
    paste_id,
    visible_html,
)

pytestmark = pytest.mark.browser


def test_make_app_serves_a_working_console_without_leaving_the_machine(voila_server, page):
    from playwright.sync_api import expect  # lazy: without Playwright the fixtures skip or fail

    # Voila runs the notebook while it streams the page; the first load takes a few seconds.
    page.goto(voila_server, timeout=120_000)
    expect(page.get_by_role("tab", name="Identity + token", exact=True)).to_be_visible(
        timeout=120_000
    )
    expect(visible_html(page).filter(has_text="Connected to").first).to_contain_text(
        "the local ACS Identity service (emulator)"
    )
    # Code cells are hidden in app mode; only outputs and widgets show.
    expect(page.get_by_text("lab_client = connect()")).to_have_count(0)

    open_tab(page, "Identity + token")
    click(page, "Create identity and token")
    expect_success(page, "Created an identity and a token")
    expect_masked_then_revealed(page)

    open_tab(page, "Revoke tokens")
    paste_id(page, "not-an-identity-id")
    click(page, "Revoke tokens")
    expect_error(page, "is not an ACS identity id")

    problems = page.problems
    assert problems["failed"] == [], problems["failed"]
    assert problems["external"] == [], "requests left the machine"
    assert problems["console"] == [], problems["console"]
