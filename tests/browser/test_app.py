"""`make app`: the Identity console as a Voila page, used in headless Chromium, fully offline."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

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

    extensions = []
    page.on("request", lambda r: extensions.append(r.url) if "/labextensions/" in r.url else None)
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

    # The lab's kernel-wait plugin is JupyterLab's: Voila never lists kernel specs, so with it
    # the console stayed blank for its whole 60 s wait (share/jupyter/voila/config/voila.json).
    assert [u for u in extensions if "widgets-manager" in u], extensions
    assert not [u for u in extensions if "acs-lab-kernel-wait" in u], extensions
    # Its kernel talks over local sockets, as `make lab`'s: no "running over TCP" warning.
    terminal = voila_server.log.read_text()
    assert "Kernel started" in terminal and "over TCP" not in terminal, terminal[-2000:]
    problems = page.problems
    assert problems["failed"] == [], problems["failed"]
    assert problems["external"] == [], "requests left the machine"
    assert problems["console"] == [], problems["console"]


def _status(url: str, host: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # report the 302 to the login page as it is


def test_make_app_needs_its_token_and_a_loopback_host_name(voila_server):
    """The review drove the console from a page on another site (DNS rebinding: its own Host
    name, pointing at 127.0.0.1) and from a request without any token."""
    parts = urlsplit(voila_server)
    port = parts.port
    bare = f"http://127.0.0.1:{port}/"
    assert _status(voila_server) == 200
    assert _status(bare) in (302, 403)  # to the login page, never the console
    assert _status(bare + "?token=wrong") in (302, 403)
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert _status(voila_server, host) == 200, host
    for host in (f"attacker.example:{port}", f"127.0.0.1.attacker.example:{port}", "evil"):
        assert _status(voila_server, host) == 403, host
    kernels = f"http://127.0.0.1:{port}/api/kernels/00000000-0000-0000-0000-000000000000"
    assert _status(kernels + f"/channels?{parts.query}", f"attacker.example:{port}") == 403
