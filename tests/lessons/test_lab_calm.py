"""A lab that doesn't nag: `make lab` on a fresh working copy, as a learner starts it.

* the copies open unchanged: each carries the `language_info` this machine's kernel reports, and
  is trusted (no "Notebook ... is not trusted" in the terminal);
* a kernel starts without "Kernel is running over TCP without encryption" (ipc transport) and
  runs code over the lab's websocket;
* a save keeps no widget view: where a form was, a hint to run the cell again;
* the front door opens lesson 00 in a fresh workspace (`?reset`), not every earlier tab.
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from helpers import working_copy
from tests.lessons.lab_process import make_lab

ROOT = Path(__file__).resolve().parents[2]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def kernel_reported_language_info() -> dict:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        reply = client.kernel_info(reply=True, timeout=30)
        return reply["content"]["language_info"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_copy_carries_what_this_machines_kernel_reports_and_is_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    working_copy.sync(copy=tmp_path / "copy")
    from nbformat.sign import NotebookNotary

    reported = kernel_reported_language_info()
    for relative in working_copy.originals():
        if relative.suffix != ".ipynb":
            continue
        nb = nbformat.read(tmp_path / "copy" / relative, as_version=4)
        assert nb.metadata["language_info"] == reported, relative
        assert NotebookNotary().check_signature(nb), f"{relative} is not trusted"
    # The solution files travel with their notebooks, in both editions.
    assert (tmp_path / "copy" / "solutions" / "02-create.py").exists()
    assert "Musterlösung" in (tmp_path / "copy" / "de" / "solutions" / "02-create.py").read_text()


def a_form_output() -> dict:
    return nbformat.v4.new_output(
        "display_data",
        data={WIDGET_VIEW: {"model_id": "abc", "version_major": 2}, "text/plain": "VBox()"},
    )


@pytest.mark.parametrize(
    ("path", "hint"),
    [("02-create-an-identity.ipynb", "run the cell"), ("de/02-x.ipynb", "Führen Sie die Zelle")],
)
def test_the_save_hook_leaves_a_hint_where_a_form_was(path, hint):
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    nb.cells = [nbformat.v4.new_code_cell("forms.CreateIdentityForm(lab_client)")]
    nb.cells[0].outputs = [a_form_output(), nbformat.v4.new_output("stream", text="kept\n")]
    model = {"type": "notebook", "content": json.loads(json.dumps(nb))}
    working_copy.forget_widget_views(model=model, path=path, contents_manager=None)
    saved = model["content"]
    assert "widgets" not in saved["metadata"]
    first, second = saved["cells"][0]["outputs"]
    assert WIDGET_VIEW not in first["data"] and hint in first["data"]["text/plain"]
    assert second["text"] == "kept\n"


async def run_code(port: int, kernel_id: str, token: str, code: str) -> str:
    """Run `code` in a kernel through the lab's websocket, as the browser does; its stdout."""
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={token}"
    ws = await websocket_connect(url)
    msg_id, out = uuid.uuid4().hex, []
    header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
              "session": uuid.uuid4().hex, "version": "5.3", "date": ""}  # fmt: skip
    request = {"header": header, "parent_header": {}, "metadata": {}, "channel": "shell",
               "content": {"code": code, "silent": False}, "buffers": []}  # fmt: skip
    ws.write_message(json.dumps(request))
    try:
        while True:
            message = json.loads(await asyncio.wait_for(ws.read_message(), 30))
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                out.append(message["content"]["text"])
            # iopub's "idle" comes after every output of the request; the shell channel's
            # execute_reply may overtake the stream message (channels are not ordered).
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return "".join(out)
    finally:
        ws.close()


def api(base: str, path: str, token: str, method: str = "GET", body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}?token={token}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=20) as resp:
        return json.load(resp)


@pytest.mark.skipif(
    not (Path(sys.prefix) / ".installed").exists(),
    reason="runs only in the environment `make` built (.venv/.installed marks it)",
)
def test_make_lab_starts_quietly_and_saves_no_widget_views(tmp_path):
    name = "02-create-an-identity.ipynb"
    with make_lab(tmp_path) as lab:
        base, token = lab.base, lab.token
        model = api(base, f"/api/contents/{name}", token)  # opening it checks its trust
        session = api(
            base,
            "/api/sessions",
            token,
            "POST",
            {"path": name, "type": "notebook", "kernel": {"name": "python3"}},
        )
        kernel_id = session["kernel"]["id"]
        assert asyncio.run(run_code(lab.port, kernel_id, token, "print(6 * 7)")) == "42\n"

        content = model["content"]
        content["cells"][3]["outputs"] = [a_form_output()]
        body = {"type": "notebook", "format": "json", "content": content}
        api(base, f"/api/contents/{name}", token, "PUT", body)
        saved = (lab.work / name).read_text()
        assert WIDGET_VIEW not in saved and "run the cell to show it again" in saved
    assert "without encryption" not in lab.output
    assert "is not trusted" not in lab.output
