"""The README's way to run the notebooks: ``.venv/bin/jupyter lab chapters/``.

A JupyterLab server is started from the environment that runs the tests (``.venv``
under ``make test``) on 127.0.0.1, exactly as a reader starts it. The test opens a
chapter through the server's REST API, starts the chapter's kernel in a session as
the JupyterLab UI does when the notebook is opened, and runs code in that kernel over
its websocket: the kernel must be this environment's Python, with the book's
``utils`` and TensorFlow importable. The classic Notebook interface must be served too.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest
from tornado.websocket import websocket_connect

from tests.conftest import REPO

BIN = Path(sys.executable).parent
# `jupyter lab chapters/` serves chapters/ as its root: paths in the API are relative to it.
ROOT = REPO / "chapters"
CHAPTER = "01_convolution.ipynb"
START_SECONDS = 60
KERNEL_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A ``jupyter lab`` process and a client for its REST API."""

    def __init__(self, tmp_path: Path, root: Path = REPO) -> None:
        """``jupyter lab chapters/`` run in ``root`` (the repository, or a copy of it)."""
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (tmp_path / "jupyter.log").open("w")
        env = {
            **os.environ,
            # As the Makefile does: kernels of this environment, settings in the sandbox.
            "JUPYTER_DATA_DIR": str(BIN.parent / "share" / "jupyter"),
            "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
            "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        }
        self.process = subprocess.Popen(
            [
                str(BIN / "jupyter"),
                "lab",
                "chapters/",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.port_retries=0",
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def request(
        self, method: str, path: str, body: dict | None = None
    ) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"token {self.token}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, method: str, path: str, body: dict | None = None) -> dict:
        status, data = self.request(method, path, body)
        assert 200 <= status < 300, f"{method} {path}: HTTP {status}: {data[:300]!r}"
        return json.loads(data)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "jupyter lab exited: " + self.read_log()
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        pytest.fail(
            f"jupyter lab did not answer within {START_SECONDS} s: " + self.read_log()
        )

    def read_log(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert (BIN / "jupyter-lab").exists(), (
        f"JupyterLab is not installed in {BIN.parent}"
    )
    running = Server(tmp_path_factory.mktemp("jupyter"))
    try:
        running.wait_until_up()
        yield running
    finally:
        running.stop()


async def run_in_kernel(server: Server, kernel_id: str, code: str) -> str:
    """Execute ``code`` in the kernel over its websocket; its stdout (errors fail the test)."""
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?token={server.token}"
    connection = await websocket_connect(url)
    msg_id = uuid.uuid4().hex
    connection.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                    "date": "",
                },
                "parent_header": {},
                "metadata": {},
                "content": {"code": code, "silent": False, "store_history": False},
                "buffers": [],
                "channel": "shell",
            }
        )
    )
    stdout, errors = [], []
    deadline = time.monotonic() + KERNEL_SECONDS
    try:
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(connection.read_message(), KERNEL_SECONDS)
            assert raw is not None, "the kernel's websocket closed"
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                (stdout if content["name"] == "stdout" else errors).append(
                    content["text"]
                )
            elif kind == "error":
                errors.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        connection.close()
    assert not errors, "".join(errors)
    return "".join(stdout)


def test_the_server_lists_every_chapter(server):
    listing = server.json("GET", "/api/contents/")
    served = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    assert served == {path.name for path in ROOT.glob("*.ipynb")}


def test_jupyterlab_and_the_classic_notebook_are_served(server):
    for page in ("/lab", f"/lab/tree/{CHAPTER}", "/tree", f"/notebooks/{CHAPTER}"):
        status, body = server.request("GET", page)
        assert status == 200, f"GET {page}: HTTP {status}"
        assert b"<html" in body.lower()


def test_a_chapter_opens_with_the_books_kernel(server):
    opened = server.json("GET", f"/api/contents/{CHAPTER}")
    assert opened["type"] == "notebook"
    stored = nbformat.read(ROOT / CHAPTER, as_version=4)
    kernel_name = stored.metadata.kernelspec.name
    assert kernel_name in server.json("GET", "/api/kernelspecs")["kernelspecs"]

    session = server.json(
        "POST",
        "/api/sessions",
        {
            "path": CHAPTER,
            "type": "notebook",
            "name": "",
            "kernel": {"name": kernel_name},
        },
    )
    try:
        assert session["kernel"]["name"] == kernel_name
        out = asyncio.run(
            run_in_kernel(
                server,
                session["kernel"]["id"],
                "import sys, os\n"
                "import utils\n"
                "import tensorflow as tf\n"
                "print(sys.prefix)\n"
                "print(os.getcwd())\n"
                "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])\n",
            )
        )
    finally:
        server.request("DELETE", f"/api/sessions/{session['id']}")
    prefix, cwd, log_level = out.split()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve(), (
        f"the chapter's kernel runs {prefix}, not this environment ({sys.prefix})"
    )
    assert Path(cwd).resolve() == ROOT.resolve()
    assert log_level == "3", "utils did not configure TensorFlow in the kernel"
