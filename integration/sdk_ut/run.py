"""Run the official SDK's own test suite (``ut/test.py``) against the emulator; group the failures.

The SDK's tests are not in its published package and stay out of this project: pass a checkout
of https://github.com/tencentyun/cos-python-sdk-v5 ::

    git clone https://github.com/tencentyun/cos-python-sdk-v5 /tmp/cos-sdk-src
    python integration/sdk_ut/run.py /tmp/cos-sdk-src [--only test_a test_b] [--json out.json]

What it does, so that the figures can be reproduced and judged:

- starts one emulator (the default account; ``COS_APPID`` is its APPID, so ``setUp`` creates
  the suite's buckets itself) and sets the variables ``ut/test.py`` reads at import;
- runs ``setUp`` then every module-level ``test_*`` function in source order (as nose, the
  SDK's runner, does), each in its own process with a time limit, in a scratch directory that is
  also ``HOME`` (the tests write files there, and the SDK its client-side encryption keys);
- sends every request of the tests, SDK or plain ``requests``, through the emulator as their
  HTTP(S) proxy: nothing leaves 127.0.0.1, and the emulator sees each request with the host name
  COS would see. ``ERR_HOST`` (the SDK team's failure mock server) is a closed local port;
- prints passed / failed / skipped, then the failures grouped by reason.

The installed ``qcloud_cos`` is the SDK under test (``--checkout-sdk`` uses the checkout's own).
Not part of CI: it needs the external checkout and takes several minutes.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from cos_doctor.emulator import (
    DEFAULT_APPID,
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_OWNER_SECRET_KEY,
    DEFAULT_REGION,
    Emulator,
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


CHILD = Path(__file__).with_name("child.py")
# The SDK team's failure mock server: here a port nothing listens on.
ERR_PORT = _closed_port()
ERR_HOST = f"127.0.0.1:{ERR_PORT}"
# Tests this runner does not start, and why (printed with the results).
NOT_RUN = {
    "test_upload_file_10000_parts_with_trafficlimit": (
        "uploads a 10 GB file: more than an in-memory emulator should hold"
    ),
}


def test_functions(test_file: Path) -> list[str]:
    """Module-level ``test_*`` functions in source order (a redefinition keeps its last place)."""
    tree = ast.parse(test_file.read_text(encoding="utf-8"))
    lines = {
        node.name: node.lineno
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    return sorted(lines, key=lines.__getitem__)


def child_environment(endpoint: str, scratch: Path, checkout_sdk: Path | None) -> dict[str, str]:
    """The variables ``ut/test.py`` reads, and the proxy that routes everything to the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        COS_SECRET_ID=DEFAULT_OWNER_SECRET_ID,
        COS_SECRET_KEY=DEFAULT_OWNER_SECRET_KEY,
        COS_REGION=DEFAULT_REGION,
        COS_APPID=DEFAULT_APPID,
        # The SDK's CI flag: 5 MB instead of 128 MB files, a test domain for bucket domains.
        TRAVIS_FLAG="true",
        ERR_HOST=ERR_HOST,
        # "true" runs the tests of Cloud Infinite, live channels… (failing here, honestly)
        # rather than letting them return early and count as passed.
        TEST_CI="true",
        USE_CREDENTIAL_INST="false",
        COS_VECTORS_BUCKET=f"vectors-{DEFAULT_APPID}",
        COS_VECTORS_BUCKET_FOR_CREATE_DELETE=f"vectors-tmp-{DEFAULT_APPID}",
        COS_VECTORS_APPID=DEFAULT_APPID,
        COS_VECTORS_SECRET_ID=DEFAULT_OWNER_SECRET_ID,
        COS_VECTORS_SECRET_KEY=DEFAULT_OWNER_SECRET_KEY,
        COS_VECTORS_REGION=DEFAULT_REGION,
        COS_VECTORS_USE_IP="false",
        HTTP_PROXY=endpoint,
        HTTPS_PROXY=endpoint,
        # ERR_HOST is reached directly, so its tests meet a refused connection, not the proxy.
        NO_PROXY="127.0.0.1",
        HOME=str(scratch),
        PYTHONDONTWRITEBYTECODE="1",
    )
    if checkout_sdk is not None:
        env["PYTHONPATH"] = str(checkout_sdk)
    return env


def run_one(
    checkout: Path, function: str, env: dict[str, str], scratch: Path, timeout: float
) -> dict[str, Any]:
    """Run ``function`` in a child process; its outcome, or a timeout."""
    result_file = scratch / f".result-{function}.json"
    result_file.unlink(missing_ok=True)
    started = time.monotonic()
    try:
        subprocess.run(
            [sys.executable, str(CHILD), str(checkout), function, str(result_file)],
            env=env,
            cwd=scratch,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "failed", "type": "Timeout", "message": f"over {timeout:.0f} s"}
    if not result_file.exists():
        return {"outcome": "failed", "type": "Crash", "message": "the child process died"}
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _host_shape(resource: str) -> str:
    # A leading <bucket>-<APPID> or <APPID> label varies; the service's domain is the reason.
    return re.sub(r"^[a-z0-9-]*\d{6,}\.", "<bucket>.", resource.split("/", 1)[0])


def _cos_reason(cos: dict[str, Any]) -> str:
    status, code, resource = cos["status"], cos["code"], str(cos["resource"])
    if status == 501:
        return "501 NotImplemented: a COS API the emulator does not serve"
    if code == "InvalidRequest" and "names no bucket" in str(cos["message"]):
        return f"a host outside object storage: {_host_shape(resource)}"
    if code == "NoSuchBucket":
        bucket = resource.split(".", 1)[0]
        return f"404 NoSuchBucket: {bucket} (the SDK team's bucket; the suite never creates it)"
    return f"{status} {code}: {cos['message']}"


def reason(result: dict[str, Any]) -> str:
    """One line saying why a test failed, shared by every test that failed the same way."""
    kind, message = result.get("type", ""), str(result.get("message", ""))
    if result.get("cos"):
        return _cos_reason(result["cos"])
    if kind in {"Timeout", "Crash"}:
        return f"{kind}: {message}"
    if kind == "AssertionError":
        return f"assertion: {result.get('source')}"
    first = message.splitlines()[0] if message else ""
    first = re.sub(rf"\b{ERR_PORT}\b", "<ERR_HOST port>", re.sub(r"0x[0-9a-f]+", "0x…", first))
    return f"{kind}: {first[:160]}"


def report(results: dict[str, dict[str, Any]]) -> str:
    """Counts, then each reason with the tests it stopped, most frequent first."""
    outcomes = defaultdict(list)
    for name, result in results.items():
        outcomes[result["outcome"]].append(name)
    counts = (
        f"{len(outcomes['passed'])} passed, {len(outcomes['failed'])} failed, "
        f"{len(outcomes['skipped'])} not run, of {len(results)} functions"
    )
    lines = [counts, ""]
    groups: dict[str, list[str]] = defaultdict(list)
    for name in outcomes["failed"]:
        groups[reason(results[name])].append(name)
    for name in outcomes["skipped"]:
        groups["not run: " + results[name]["message"]].append(name)
    for why, names in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        lines.append(f"[{len(names)}] {why}")
        for name in names:
            line = results[name].get("line")
            lines.append(f"      {name}" + (f" (ut/test.py:{line})" if line else ""))
    return "\n".join(lines)


def sdk_version(checkout: Path, checkout_sdk: bool) -> str:
    """Which SDK the children import, for the report's first line."""
    if checkout_sdk:
        text = (checkout / "qcloud_cos" / "version.py").read_text(encoding="utf-8")
        found = re.search(r"['\"]([^'\"]+)['\"]", text)
        return f"the checkout's qcloud_cos {found[1] if found else '?'}"
    return f"the installed qcloud_cos {importlib.metadata.version('cos-python-sdk-v5')}"


def main(argv: list[str] | None = None) -> int:
    """Run the suite; exit 0 whatever the tests did (the report is the product), 2 on misuse."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of cos-python-sdk-v5")
    parser.add_argument("--only", nargs="+", help="run these test functions only")
    parser.add_argument("--timeout", type=float, default=90, help="seconds per test (90)")
    parser.add_argument("--json", type=Path, help="also write every outcome to this file")
    parser.add_argument("--checkout-sdk", action="store_true", help="test the checkout's SDK")
    args = parser.parse_args(argv)
    test_file = args.checkout / "ut" / "test.py"
    if not test_file.is_file():
        parser.error(f"{test_file} not found: pass a checkout of cos-python-sdk-v5")
    functions = test_functions(test_file)
    if args.only:
        functions = [name for name in functions if name in set(args.only)]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="cos-sdk-ut-") as tmp, Emulator() as emulator:
        scratch = Path(tmp)
        env = child_environment(
            emulator.endpoint, scratch, args.checkout if args.checkout_sdk else None
        )
        setup = run_one(args.checkout, "setUp", env, scratch, args.timeout)
        if setup["outcome"] != "passed":
            print(f"setUp failed: {reason(setup)}")
            return 1
        for number, name in enumerate(functions, 1):
            if name in NOT_RUN:
                results[name] = {"outcome": "skipped", "message": NOT_RUN[name]}
                continue
            results[name] = run_one(args.checkout, name, env, scratch, args.timeout)
            print(f"{number:3}/{len(functions)} {results[name]['outcome']:6} {name}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print()
    print(f"SDK under test: {sdk_version(args.checkout, args.checkout_sdk)}")
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
