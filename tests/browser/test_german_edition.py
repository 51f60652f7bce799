"""The German edition in real JupyterLab and headless Chromium: German notebooks run end to end,
their forms speak German (the notebook's folder decides, no setting), and no English label shows.

"English label" is taken from the catalog itself: every message whose German translation differs
from the English text. A button, tab, checkbox or field label showing that English text fails.
"""

from __future__ import annotations

import re

import pytest

from helpers import i18n
from tests.browser.conftest import ARTIFACTS, NOTEBOOKS, open_notebook
from tests.browser.test_notebooks_in_lab import (
    MASKED,
    panel_state,
    paste_id,
    run_all_cells,
    visible_html,
    wait_until,
)

pytestmark = pytest.mark.browser

GERMAN = NOTEBOOKS / "de"
MALFORMED_ID = "keine-identitaets-id"
PASTE_ID = "8:acs:<Ressourcen-ID>_<Identität>"

# Everything a learner reads as a control's name.
LABELS_JS = """
() => {
  const seen = [];
  const add = (kind, node) => {
    if (node.offsetParent === null) return;  // hidden
    const text = (node.textContent || '').trim();
    if (text) seen.push([kind, text]);
  };
  const panel = window.jupyterapp.shell.currentWidget.node;
  panel.querySelectorAll('button.jupyter-button').forEach(n => add('button', n));
  panel.querySelectorAll('.widget-tab .lm-TabBar-tabLabel, .jupyter-widget-tab .lm-TabBar-tabLabel')
    .forEach(n => add('tab', n));
  panel.querySelectorAll('.widget-label, .widget-checkbox label, .widget-inline-hbox label')
    .forEach(n => add('label', n));
  panel.querySelectorAll('input[placeholder]').forEach(n => {
    if (n.offsetParent !== null) seen.push(['placeholder', n.getAttribute('placeholder')]);
  });
  panel.querySelectorAll('[title]').forEach(n => {
    if (n.closest('.jp-OutputArea-output') && n.offsetParent !== null)
      seen.push(['tooltip', n.getAttribute('title')]);
  });
  return seen;
}
"""


def english_only_messages() -> set[str]:
    """English texts that German learners must never see: they have a different translation."""
    from babel.messages.pofile import read_po

    with i18n.catalog_path("de").open("rb") as po:
        catalog = read_po(po, locale="de")
    return {
        m.id
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and m.string != m.id and "{" not in m.id
    }


def assert_no_english_labels(page) -> list[tuple[str, str]]:
    english = english_only_messages()
    labels = [tuple(x) for x in page.evaluate(LABELS_JS)]
    leaked = [(kind, text) for kind, text in labels if text in english]
    assert not leaked, f"English labels in a German notebook: {leaked}"
    return labels


def open_and_run(page, path: str) -> None:
    open_notebook(page, path)
    wait_until(page, lambda s: s["ready"], "the kernel to connect", timeout=120)
    run_all_cells(page)


def button(page, name: str):
    exact = re.compile(rf"^\s*{re.escape(name)}\s*$")
    return page.locator("button.jupyter-button:visible").filter(has_text=exact)


def expect_line(page, mark: str, text: str) -> str:
    from playwright.sync_api import expect

    line = visible_html(page).filter(has_text=f"{mark} {text}").first
    expect(line).to_be_visible()
    return line.inner_text()


def test_the_english_label_list_is_not_empty():
    """A control: the check below compares against real English labels."""
    english = english_only_messages()
    assert {"Issue token", "Reveal token", "Create identity"} <= english


def test_german_lesson_03_runs_and_its_form_speaks_german(lab_page):
    from playwright.sync_api import expect

    page = lab_page
    open_and_run(page, "de/03-issue-an-access-token.ipynb")
    text = "\n".join(page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_text_contents())
    assert "Der lokale ACS Identity-Dienst unter https://127.0.0.1:" in text
    # The quickstart's own output lines stay as the docs print them.
    assert "Issued an access token with 'voip' scope" in text
    labels = assert_no_english_labels(page)
    assert ("button", "Token ausstellen") in labels, labels
    # An invalid id: one German error line.
    paste_id(page, MALFORMED_ID, placeholder=PASTE_ID, selected="Ausgewählt:")
    button(page, "Token ausstellen").click()
    error = page.locator(".widget-html-content:visible > span").filter(has_text="⚠")
    expect(error).to_have_count(1)
    assert f"'{MALFORMED_ID}' ist keine ACS-Identitäts-ID" in error.inner_text()
    # A new identity and a token: German success line, masked token, German reveal button.
    page.get_by_placeholder(PASTE_ID).locator("visible=true").fill("")
    button(page, "Neue Identität").click()
    expect_line(page, "✓", "Neue Identität erstellt")
    button(page, "Token ausstellen").click()
    expect_line(page, "✓", "Token für voip ausgestellt")
    codes = page.locator(".widget-html-content:visible code")
    expect(codes.filter(has_text=MASKED).first).to_be_visible()
    expect(visible_html(page).filter(has_text="Gültigkeitsdauer").first).to_be_visible()
    assert_no_english_labels(page)
    # The lesson's quiz: German question, German "Prüfen", a German explanation.
    quiz = page.locator(".jp-OutputArea-output:visible").filter(
        has_text="mit einem Token an, das nur den Bereich voip hat"
    )
    answer = "Der Chatdienst lehnt das Token ab (401): Nur ein Chatbereich erlaubt Chat."
    quiz.get_by_role("radio", name=answer, exact=True).first.check()
    button(quiz, "Prüfen").first.click()
    expect(
        quiz.get_by_text("✓ Richtig: Die Bereiche entscheiden, was ein Token kann").first
    ).to_be_visible()
    expect(quiz.get_by_role("link", name="(Quelle)").first).to_have_attribute(
        "href", re.compile(r"^https://learn\.microsoft\.com/de-de/")
    )
    assert_no_english_labels(page)
    # For a person to look at (test-artifacts/ is git-ignored).
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form = page.locator(".jp-OutputArea-output:visible").filter(has=button(page, "Token zeigen"))
    form.first.screenshot(path=str(ARTIFACTS / "german-03-issue-token-form.png"))
    assert not panel_state(page)["errors"]


def test_german_identity_console_has_german_tabs_and_buttons(lab_page):
    page = lab_page
    open_and_run(page, "de/identity-console.ipynb")
    for tab in ("Identität erstellen", "Identität + Token", "Identität löschen"):
        page.get_by_role("tab", name=tab, exact=True).click()
        assert_no_english_labels(page)
    page.get_by_role("tab", name="Identität + Token", exact=True).click()
    button(page, "Identität und Token erstellen").click()
    expect_line(page, "✓", "Identität und Token für voip in einer Anforderung erstellt")
    button(page, "Token zeigen").click()
    assert_no_english_labels(page)
    assert not panel_state(page)["errors"]
    page.locator(".jp-OutputArea-output:visible").last.screenshot(
        path=str(ARTIFACTS / "german-identity-console.png")
    )


def test_the_same_notebook_outside_de_is_english(lab_page):
    """No setting: only the folder differs between the two runs."""
    page = lab_page
    open_and_run(page, "00-set-up-your-environment.ipynb")
    text = "\n".join(page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_text_contents())
    assert "Using the local ACS Identity service" in text
    assert "Der lokale ACS Identity-Dienst" not in text
