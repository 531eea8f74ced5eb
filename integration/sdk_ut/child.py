"""Run one function of the SDK's ``ut/test.py`` against the emulator; write its outcome as JSON.

Started by ``run.py`` once per test, with the environment ``ut/test.py`` reads at import and
``HTTP_PROXY`` naming the emulator. Usage: ``child.py CHECKOUT FUNCTION RESULT_FILE``.

The only change to the SDK is the default scheme: ``CosConfig`` without ``Scheme`` means
``http`` here, because the emulator speaks plain HTTP (as a proxy it sees every request with
its real COS host name, so signatures and presigned URLs are exactly what COS would get).
"""

from __future__ import annotations

import importlib.util
import json
import linecache
import sys
import traceback
from pathlib import Path
from typing import Any


def _default_scheme_http() -> None:
    from qcloud_cos import cos_client

    original = cos_client.CosConfig.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("Scheme", "http")
        if kwargs["Scheme"] is None:
            kwargs["Scheme"] = "http"
        original(self, *args, **kwargs)

    cos_client.CosConfig.__init__ = init


def _outcome(error: BaseException, test_file: str) -> dict[str, Any]:
    """What failed and where: the exception, COS's reply if any, the test's own failing line."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == test_file]
    line = frames[-1].lineno if frames else None
    result: dict[str, Any] = {
        "outcome": "failed",
        "type": type(error).__name__,
        "message": str(error)[:500],
        "line": line,
        "source": linecache.getline(test_file, line).strip() if line else "",
    }
    getters = ("get_status_code", "get_error_code", "get_error_msg", "get_resource_location")
    if all(hasattr(error, name) for name in getters):
        status, code, message, resource = (getattr(error, name)() for name in getters)
        result["cos"] = {
            "status": status,
            "code": code,
            "message": message,
            "resource": resource,
        }
    return result


def _load(test_file: str) -> Any:
    spec = importlib.util.spec_from_file_location("sdk_ut_test", test_file)
    if spec is None or spec.loader is None:
        raise ImportError(test_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(checkout: str, function: str, result_file: str) -> int:
    """Import ``ut/test.py`` from ``checkout``, call ``function``, record how it ended."""
    _default_scheme_http()
    test_file = str(Path(checkout, "ut", "test.py"))
    result: dict[str, Any]
    try:
        # Loaded from its file, not from the checkout on sys.path: that would shadow the
        # installed qcloud_cos with the checkout's (run.py's --checkout-sdk chooses that).
        getattr(_load(test_file), function)()
        result = {"outcome": "passed"}
    except BaseException as error:  # every way a test ends is an outcome
        result = _outcome(error, test_file)
    Path(result_file).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
