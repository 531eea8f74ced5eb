"""The README's POST Object example, run for real: its server hands out a signed form over
HTTP, its lint check passes on that form, and the form uploads to the emulator."""

from __future__ import annotations

import re
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from cos_doctor.emulator import DEFAULT_OWNER_SECRET_ID, DEFAULT_OWNER_SECRET_KEY

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example(name: str) -> str:
    """The ```python block that follows the marker ``<!-- readme-example: name -->``."""
    found = re.search(
        rf"<!-- readme-example: {re.escape(name)} -->\s*```python\n(.*?)```",
        README.read_text(encoding="utf-8"),
        re.DOTALL,
    )
    assert found, f"README has no example {name!r}"
    return found.group(1)


@pytest.fixture
def upload_form_url(monkeypatch):
    """The README's server on 127.0.0.1, signing with the emulator's owner key."""
    monkeypatch.setenv("COS_SECRET_ID", DEFAULT_OWNER_SECRET_ID)
    monkeypatch.setenv("COS_SECRET_KEY", DEFAULT_OWNER_SECRET_KEY)
    namespace = {"__name__": "upload_form_server"}
    exec(compile(readme_example("post-object-server"), "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    server = ThreadingHTTPServer(("127.0.0.1", 0), namespace["UploadForm"])
    # shutdown() waits up to one poll interval (0.5 s by default) for serve_forever to notice.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/upload-form"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_readme_lint_check_passes_on_the_readme_server(upload_form_url):
    """The README's test function, run against the README's server, passes."""
    namespace = {"__name__": "test_upload_form"}
    exec(compile(readme_example("post-object-lint"), "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    namespace["test_upload_form_is_accepted_by_cos"](upload_form_url)


def test_readme_form_uploads_like_a_browser(upload_form_url, emulator, http):
    """The fields the README's server hands out upload to the emulator, file last."""
    issued = http.get(upload_form_url).json()
    url, headers = emulator.localize(issued["url"])
    files = {issued["file_field"]: ("photo.jpg", b"jpeg bytes", "image/jpeg")}
    with http.post(url, headers=headers, data=issued["fields"], files=files) as response:
        assert response.status_code == 204, response.text
    head = emulator.client().head_object(Bucket=emulator.bucket, Key="uploads/photo.jpg")
    assert head["Content-Length"] == str(len(b"jpeg bytes"))
