"""A learner in JupyterLab (headless Chromium): a quiz answered by clicking, and an exercise done
wrongly, then rightly, with the checker's one line changing from ✗ to ✓.

Screenshots of both land in test-artifacts/browser/ (looked at by a person, not compared).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, NOTEBOOKS, open_notebook
from tests.browser.test_notebooks_in_lab import button, run_all_cells, wait_until

pytestmark = pytest.mark.browser

LESSON = NOTEBOOKS / "03-issue-an-access-token.ipynb"


def cell_with_source(page, text: str) -> int:
    """The position of the cell whose source is `text` (pinned: its text will change)."""
    index = page.evaluate(
        """(text) => {
          const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
          for (let i = 0; i < cells.length; i++) {
            if (cells.get(i).sharedModel.getSource() === text) return i;
          }
          return -1;
        }""",
        text,
    )
    assert index >= 0, f"no cell with source {text!r}"
    return index


def cell_at(page, index: int):
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def type_into(page, cell, code: str) -> None:
    """Replace a code cell's source as a learner would: select all, type."""
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(code)


def run_cell_and_next(page, cell) -> None:
    """Run this cell (Shift+Enter) and the checker after it (Shift+Enter again)."""
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    wait_until(page, lambda s: s["idle"], "the cells to run")


def test_a_learner_answers_the_quiz_and_does_an_exercise(lab_page):
    from playwright.sync_api import expect

    page = lab_page
    open_notebook(page, LESSON.name)
    wait_until(page, lambda s: s["ready"], "the kernel to connect", timeout=120)
    run_all_cells(page)

    # The quiz: three questions, each with its Check button.
    checks = button(page, "Check")
    expect(checks).to_have_count(3)
    quiz = page.locator(".widget-vbox").filter(has=checks.first).first
    quiz.scroll_into_view_if_needed()
    page.get_by_label("timedelta(minutes=30)").check()
    checks.nth(1).click()
    wrong = page.locator(".widget-html-content span").filter(has_text="✗ Wrong:")
    expect(wrong).to_contain_text("at least one hour")
    page.get_by_label("timedelta(hours=2)").check()
    checks.nth(1).click()
    right = page.locator(".widget-html-content span").filter(has_text="✓ Right:")
    expect(right).to_contain_text("60 to 1440 minutes")
    expect(page.locator(".widget-html-content a", has_text="(source)").first).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    quiz.screenshot(path=str(ARTIFACTS / "quiz-03.png"))

    # The lifetime exercise: a wrong answer first (the default 24 hours), then the right one.
    at = cell_with_source(page, "my_chat_token = ...")
    exercise, checker = cell_at(page, at), cell_at(page, at + 1)
    type_into(page, exercise, 'my_chat_token = client.get_token(learner, ["chat"])')
    run_cell_and_next(page, exercise)
    expect(checker.locator(".jp-OutputArea-output")).to_contain_text(
        "✗ The token lives 1440 minutes"
    )
    type_into(
        page,
        exercise,
        'my_chat_token = client.get_token(learner, ["chat"], '
        "token_expires_in=timedelta(minutes=90))",
    )
    run_cell_and_next(page, exercise)
    expect(checker.locator(".jp-OutputArea-output")).to_have_text(
        "✓ The token allows chat and lives 90 minutes.\n"
    )
    exercise.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "exercise-03.png"))
    assert not wait_until(page, lambda s: s["idle"], "idle")["errors"]
