"""The menu paths the trainer guide gives are real in the pinned JupyterLab, and do what it says.

View › Appearance › Presentation Mode and View › Appearance › Simple Interface are clicked like a
trainer would, in a real JupyterLab in headless Chromium; a screenshot of the open menu is kept in
test-artifacts/browser/ to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import open_notebook

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "trainer-guide.md"
ARTIFACTS = ROOT / "test-artifacts" / "browser"

pytestmark = pytest.mark.browser


def open_view_appearance(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="View").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Appearance").first.hover()


def click_menu_item(page, label: str):
    page.locator(".lm-Menu-content > .lm-Menu-item", has_text=label).last.click()


@pytest.mark.parametrize(
    "path", ["View › Appearance › Presentation Mode", "View › Appearance › Simple Interface"]
)
def test_the_trainer_guide_gives_these_menu_paths(path):
    assert f"**{path}**" in GUIDE.read_text()


def test_presentation_mode_and_simple_interface_are_under_view_appearance(lab_page):
    page = lab_page
    open_notebook(page, "08-run-the-code.ipynb")
    page.wait_for_selector(".jp-Notebook")
    shell = page.locator("#main")  # JupyterLab's shell marks its modes on itself
    assert "jp-mod-presentationMode" not in (shell.get_attribute("class") or "")

    open_view_appearance(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "view-appearance-menu.png"))
    click_menu_item(page, "Presentation Mode")
    page.wait_for_function(
        "document.querySelector('#main').classList.contains('jp-mod-presentationMode')"
    )
    assert shell.get_attribute("data-shell-mode") == "multiple-document"
    open_view_appearance(page)
    click_menu_item(page, "Simple Interface")
    page.wait_for_function(
        "document.querySelector('#main').dataset.shellMode === 'single-document'"
    )
    # Back as it was: the next test uses the same page.
    open_view_appearance(page)
    click_menu_item(page, "Simple Interface")
    open_view_appearance(page)
    click_menu_item(page, "Presentation Mode")
    page.wait_for_function(
        "!document.querySelector('#main').classList.contains('jp-mod-presentationMode')"
    )
