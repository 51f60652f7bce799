"""Every notebook, run for real in JupyterLab in headless Chromium, then its form used by clicking.

For each notebook: open it, wait until its kernel is really connected, Run All, check that every
code cell ran without an error and printed what the lesson promises, then fill the notebook's
form, click, and check the result on screen (a masked token, revealed on request) and one
invalid input's one-line error.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from azure.communication.identity import CommunicationIdentityClient

from helpers import emulator
from tests.browser.conftest import (
    KERNEL_DISPLAY_NAME,
    NOTEBOOKS,
    open_notebook,
)

pytestmark = pytest.mark.browser

MASKED = re.compile(r"^eyJhbGciOi…\(\d+ (chars|Zeichen)\)$")  # English or German notebook
FULL_TOKEN = re.compile(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$")
MALFORMED_ID = "not-an-identity-id"
PASTE_ID = "8:acs:<resource id>_<identity>"  # the identity picker's placeholder

# What each notebook's outputs must show after a real run (from the outputs, not the source).
EXPECTED_OUTPUT = {
    "00-set-up-your-environment": ["Using the local ACS Identity service", "Backend: emulator"],
    "01-authenticate-the-client": [
        "The service accepted the signed request and created: 8:acs:",
        "401 Denied",
        "Created with Entra ID authentication: 8:acs:",
    ],
    "02-create-an-identity": ["Created an identity with ID: 8:acs:", "Same identity? False"],
    "03-issue-an-access-token": [
        "Issued an access token with 'voip' scope",
        "eyJhbGciOi…(",
        "Messages in the thread: ['Hello Bob, my chat token works.']",
        "voip token refused: 401",
    ],
    "04-create-identity-and-token": ["Created an identity with ID: 8:acs:", "eyJhbGciOi…("],
    "05-refresh-an-access-token": [
        "Fresh token : eyJhbGciOi…(",
        "Different from the first? True",
        "With a refresher, the chat client sent: ['first message', 'second message'",
    ],
    "06-revoke-access-tokens": [
        "Before revoking: valid",
        "Successfully revoked all access tokens for identity with ID: 8:acs:",
        "After revoking: revoked",
        "After revoking, the chat client is refused: 401",
        "With a new token, chat works again.",
    ],
    "07-delete-an-identity": [
        "Deleted the identity with ID: 8:acs:",
        "Chat refuses the deleted identity's token: 401",
    ],
    "08-run-the-code": ["Access Tokens Quickstart", "Created an identity with ID: 8:acs:"],
    "09-clean-up-resources": ["Identities left: 0", "identities left"],
    "10-teams-users": [
        "Signed in: Alex Wilber",
        "scp    Teams.ManageCalls Teams.ManageChats",
        "Identity: 8:orgid:",
        "Same expiry as the Entra ID token: True",
        "400 ValidationError: AAD application is not the expected one.",
    ],
    "11-async-client": [
        "5 identities, all different: True",
        "Alice got the same identity twice: True",
        "Created and deleted with Entra ID: 8:acs:",
        "Deleted 8 identities.",
    ],
    "12-token-service-and-client": [
        "Token service listening at http://127.0.0.1:",
        "[bob's client] Alice: Hi Bob, this came through our token service.",
        "[token service] alice: known user, issuing a fresh chat token",
        "Stopped the token service and deleted 2 identities.",
    ],
    "identity-console": ["Using the local ACS Identity service"],
    "workshop-bulk-provisioning": [
        "provision: 5 ok, 0 failed",
        "Attendee 1's token is now: revoked",
        "delete: 5 ok, 0 failed",
    ],
}

NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

PANEL_STATE_JS = """
(kernelName) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return {ready: false};
  const root = panel.node;
  const name = root.querySelector('.jp-KernelName');
  const indicator = root.querySelector('.jp-Notebook-ExecutionIndicator');
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const counts = [];
  const errors = [];
  const cells = panel.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    counts.push(cell.executionCount);
    for (const out of cell.outputs.toJSON()) {
      if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
    }
  }
  for (const node of root.querySelectorAll(
      ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")) {
    if (/Traceback|Error/.test(node.textContent)) errors.push(node.textContent.slice(0, 1500));
  }
  return {
    ready: !!name && name.textContent.trim() === kernelName && !!indicator
      && indicator.getAttribute('data-status') === 'idle' && !!kernel,
    idle: !!indicator && indicator.getAttribute('data-status') === 'idle'
      && !!kernel && kernel.status === 'idle',
    counts: counts,
    errors: errors,
  };
}
"""


def panel_state(page) -> dict:
    return page.evaluate(PANEL_STATE_JS, KERNEL_DISPLAY_NAME)


def wait_until(page, predicate: Callable[[dict], bool], what: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = panel_state(page)
        if state.get("errors"):
            pytest.fail(f"error output while waiting for {what}: {state['errors']}")
        if predicate(state):
            return state
        page.wait_for_timeout(200)
    pytest.fail(f"timed out waiting for {what}: {state}")


def run_all_cells(page) -> None:
    """Clear outputs (so stale counts can't pass for new ones), Run All, wait for the last cell."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    cleared = panel_state(page)["counts"]
    assert cleared and all(c is None for c in cleared), cleared
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    def finished(state: dict) -> bool:
        counts = state["counts"]
        return state["idle"] and bool(counts) and all(isinstance(c, int) for c in counts)

    state = wait_until(page, finished, "Run All to finish")
    assert state["counts"] == list(range(1, len(state["counts"]) + 1)), state["counts"]


def output_text(page) -> str:
    return "\n".join(page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_text_contents())


# --------------------------------------------------------------------------- form helpers


def visible_html(page):
    return page.locator(".widget-html-content:visible")


def button(page, name: str):
    """A visible widget button by its text (its accessible name also holds the icon glyph)."""
    exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
    return page.locator("button.jupyter-button:visible").filter(has_text=exact)


def click(page, name: str) -> None:
    button(page, name).click()


def expect_success(page, text: str) -> None:
    from playwright.sync_api import expect

    expect(visible_html(page).filter(has_text=f"✓ {text}").first).to_be_visible()


def expect_error(page, *expected: str) -> str:
    """Exactly one visible '⚠ …' line, mentioning every expected fragment."""
    from playwright.sync_api import expect

    line = page.locator(".widget-html-content:visible > span").filter(has_text="⚠")
    expect(line).to_have_count(1)
    text = line.inner_text()
    assert "\n" not in text.strip() and "Traceback" not in text, text
    for fragment in expected:
        assert fragment in text, text
    return text


def expect_masked_then_revealed(page) -> str:
    """The new token is shown masked; 'Reveal token' shows it whole. Returns the token."""
    from playwright.sync_api import expect

    codes = page.locator(".widget-html-content:visible code")
    expect(codes.filter(has_text=MASKED).first).to_be_visible()
    assert not [c for c in codes.all_text_contents() if FULL_TOKEN.match(c.strip())]
    click(page, "Reveal token")
    revealed = codes.filter(has_text=FULL_TOKEN).first
    expect(revealed).to_be_visible()
    token = revealed.inner_text().strip()
    assert FULL_TOKEN.match(token) and token.count(".") == 2
    return token


def paste_id(
    page, identity_id: str, placeholder: str = PASTE_ID, selected: str = "Selected:"
) -> None:
    """Paste an id and wait until the kernel has it (the form's 'Selected: <id>' line): ipywidgets
    holds back a text box's update while an earlier one is unanswered, so a click sent at once
    could reach the kernel first and act on the dropdown's identity instead."""
    from playwright.sync_api import expect

    page.get_by_placeholder(placeholder).locator("visible=true").fill(identity_id)
    echo = visible_html(page).filter(has_text=f"{selected} {identity_id}")
    expect(echo.first).to_be_visible()


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title, exact=True).click()


# --------------------------------------------------------------------------- form scenarios


def connection_status(page, new_identity, tmp_path) -> None:
    from playwright.sync_api import expect

    status = visible_html(page).filter(has_text="Connected to")
    expect(status.first).to_contain_text("the local ACS Identity service (emulator)")
    expect(status.first).to_contain_text("access key (key hidden)")


def create_identity(page, new_identity, tmp_path) -> None:
    from playwright.sync_api import expect

    click(page, "Create identity")
    expect_success(page, "Created a new identity.")
    expect(page.locator(".widget-html-content:visible code", has_text="8:acs:")).to_be_visible()


def issue_or_refresh(button: str, done: str):
    def scenario(page, new_identity, tmp_path) -> None:
        paste_id(page, MALFORMED_ID)
        click(page, button)
        expect_error(page, f"'{MALFORMED_ID}' is not an ACS identity id")
        paste_id(page, new_identity())
        click(page, button)
        expect_success(page, done)
        expect_masked_then_revealed(page)

    return scenario


def create_identity_and_token(page, new_identity, tmp_path) -> None:
    click(page, "Create identity and token")
    expect_success(page, "Created an identity and a token for voip")
    expect_masked_then_revealed(page)
    page.get_by_role("checkbox", name="voip", exact=True).uncheck()
    click(page, "Create identity and token")
    expect_error(page, "No scope chosen", "scope")


def form_with(page, button_name: str):
    """The output area holding the form that has this button (a notebook may show several)."""
    return page.locator(".jp-OutputArea-output:visible").filter(has=button(page, button_name))


def revoke_tokens(page, new_identity, tmp_path) -> None:
    """The notebook's flow: issue in the first form, revoke in the second, which shares its
    identities and checks the token before and after."""
    from playwright.sync_api import expect

    issue, revoke = form_with(page, "Issue token"), form_with(page, "Revoke tokens")
    click(issue, "New identity")
    expect_success(issue, "Created a new identity")
    click(issue, "Issue token")
    expect_success(issue, "Issued a token for voip")
    click(revoke, "Revoke tokens")
    expect_success(revoke, "Revoked every token issued before")
    expect(visible_html(revoke).filter(has_text="revoked").first).to_be_visible()
    paste_id(revoke, MALFORMED_ID)
    click(revoke, "Revoke tokens")
    expect_error(revoke, "is not an ACS identity id")


def delete_identity(page, new_identity, tmp_path) -> None:
    identity_id = new_identity()
    paste_id(page, identity_id)
    click(page, "Delete identity")
    expect_success(page, "Deleted the identity")
    paste_id(page, identity_id)  # the form clears the box after a delete
    click(page, "Delete identity")
    expect_error(page, "That identity doesn't exist")


def identity_console(page, new_identity, tmp_path) -> None:
    from playwright.sync_api import expect

    expect(visible_html(page).filter(has_text="Connected to").first).to_be_visible()
    open_tab(page, "Identity + token")
    click(page, "Create identity and token")
    expect_success(page, "Created an identity and a token")
    expect_masked_then_revealed(page)
    open_tab(page, "Delete identity")
    click(page, "Delete identity")  # the new identity is preselected in every picker
    expect_success(page, "Deleted the identity")
    paste_id(page, MALFORMED_ID)
    click(page, "Delete identity")
    expect_error(page, "is not an ACS identity id")


def bulk_provisioning(page, new_identity, tmp_path) -> None:
    from playwright.sync_api import expect

    def text_box(label: str):
        return page.locator(f".widget-text:visible:has(label:text-is('{label}')) input")

    text_box("Attendees").fill("0")
    text_box("Attendees").press("Enter")
    click(page, "Provision")
    expect_error(page, "0 attendees is outside the allowed range", "between 1 and 500")
    text_box("Attendees").fill("3")
    text_box("Attendees").press("Enter")
    click(page, "Provision")
    expect_success(page, "Provisioned 3 of 3 attendees (numbers 1 to 3).")
    expect(visible_html(page).filter(has_text="3 provisioned ok, 0 failed")).to_be_visible()
    # The call the loop made once per attendee, as code to copy.
    expect(page.locator(".acs-lab-code:visible pre")).to_contain_text(
        'client.create_user_and_token(["chat", "voip"], token_expires_in=timedelta(minutes=480))'
    )
    page.get_by_role("checkbox", name="include tokens", exact=True).check()
    expect(visible_html(page).filter(has_text="Caution: The CSV will hold")).to_be_visible()
    page.get_by_role("checkbox", name="include tokens", exact=True).uncheck()
    expect(visible_html(page).filter(has_text="Caution: The CSV will hold")).to_have_count(0)
    csv_path = tmp_path / "room.csv"
    text_box("CSV file").fill(str(csv_path))
    text_box("CSV file").press("Enter")
    click(page, "Export CSV")
    expect_success(page, "Wrote 3 rows (ids and expiry, no tokens)")
    lines = csv_path.read_text().splitlines()
    assert len(lines) == 4 and "eyJ" not in "".join(lines)
    click(page, "Revoke all")
    expect(visible_html(page).filter(has_text="3 revoked ok, 0 failed")).to_be_visible()
    click(page, "Delete all")
    # It says first what it will delete and which file it will remove, then waits.
    expect(visible_html(page).filter(has_text=str(csv_path))).to_be_visible()
    assert csv_path.exists()
    click(page, "Yes, delete all")
    expect(visible_html(page).filter(has_text="3 deleted ok, 0 failed")).to_be_visible()
    expect_success(page, "Deleted 3 identities. Removed 1 exported file(s)")
    assert not csv_path.exists()


def teams_exchange(page, new_identity, tmp_path) -> None:
    """Exchange before signing in (a one-line error), then sign in (simulated) and exchange."""
    from playwright.sync_api import expect

    click(page, "Exchange")
    expect_error(page, "No Entra ID token given.")
    click(page, "Sign in (simulated)")
    expect_success(page, "Signed in (simulated)")
    click(page, "Exchange")
    expect_success(page, "Exchanged: an ACS token for the Teams user.")
    expect(page.locator(".widget-html-content:visible code", has_text="8:orgid:")).to_be_visible()
    expect_masked_then_revealed(page)


FORM_SCENARIOS = {
    "00-set-up-your-environment": connection_status,
    "01-authenticate-the-client": connection_status,
    "02-create-an-identity": create_identity,
    "03-issue-an-access-token": issue_or_refresh("Issue token", "Issued a token for voip"),
    "04-create-identity-and-token": create_identity_and_token,
    "05-refresh-an-access-token": issue_or_refresh("Refresh token", "Issued a fresh token"),
    "06-revoke-access-tokens": revoke_tokens,
    "07-delete-an-identity": delete_identity,
    "08-run-the-code": identity_console,
    "09-clean-up-resources": identity_console,
    "10-teams-users": teams_exchange,
    "11-async-client": connection_status,
    "12-token-service-and-client": issue_or_refresh("Issue token", "Issued a token for voip"),
    "identity-console": identity_console,
    "workshop-bulk-provisioning": bulk_provisioning,
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def service_client():
    """A client for the same local service the lab's kernels use (one shared state dir)."""
    with emulator.start(state_dir=os.environ["ACS_EMULATOR_HOME"]) as emu:
        yield CommunicationIdentityClient.from_connection_string(
            emu.connection_string, connection_verify=emu.ca_bundle, retry_total=0
        )


@pytest.fixture
def new_identity(service_client):
    """Creates an identity on demand (right before use: notebook 09 resets the service)."""
    return lambda: service_client.create_user().properties["id"]


# --------------------------------------------------------------------------- the tests


def test_every_notebook_has_a_browser_scenario():
    stems = {p.stem for p in NOTEBOOK_PATHS}
    assert stems == set(EXPECTED_OUTPUT) == set(FORM_SCENARIOS)


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_notebook_runs_in_jupyterlab_and_its_form_works(
    path: Path, lab_page, new_identity, tmp_path
):
    page = lab_page
    open_notebook(page, path.name)
    wait_until(page, lambda s: s["ready"], "the kernel to connect", timeout=120)
    run_all_cells(page)
    text = output_text(page)
    for expected in EXPECTED_OUTPUT[path.stem]:
        assert expected in text, f"{expected!r} not in the outputs:\n{text[:3000]}"
    FORM_SCENARIOS[path.stem](page, new_identity, tmp_path)
    assert not panel_state(page)["errors"]
