"""The emulator's command line: ``python -m cos_doctor.emulator [--port N] [--config FILE]``.

The project CLI runs the same :func:`main` as ``cos-doctor emulator``.

On start it prints one JSON line — endpoint, region, bucket, APPID and the default owner's
secret_id / secret_key — then serves until interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import TYPE_CHECKING

from cos_doctor.emulator import config
from cos_doctor.emulator.server import Emulator

if TYPE_CHECKING:
    from collections.abc import Sequence


_EXAMPLES = """examples:
  cos-doctor emulator --port 9000          # prints one JSON line: endpoint, bucket, keys
  cos-doctor emulator --port 9000 --config accounts.json --verbose
  python -m cos_doctor.emulator --port 9000"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cos-doctor emulator",
        description="Serve a local Tencent COS emulator on 127.0.0.1.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--config", help="JSON file adding accounts, keys and buckets")
    parser.add_argument(
        "--max-body-size",
        type=int,
        metavar="BYTES",
        help="refuse longer request bodies with EntityTooLarge (default: 64 MiB)",
    )
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until interrupted; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        state = config.default_state(config.load_config(args.config) if args.config else None)
        if args.max_body_size is not None:
            state.max_body_size = args.max_body_size
            state.mark_baseline()
    except (OSError, TypeError, ValueError) as problem:
        sys.stderr.write(f"cos-doctor emulator: {problem}\n")
        return 2
    stopping = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with Emulator(state, port=args.port, verbose=args.verbose) as emulator:
        announcement = {
            "endpoint": emulator.endpoint,
            "region": config.DEFAULT_REGION,
            "bucket": config.DEFAULT_BUCKET,
            "appid": config.DEFAULT_APPID,
            "secret_id": config.DEFAULT_OWNER_SECRET_ID,
            "secret_key": config.DEFAULT_OWNER_SECRET_KEY,
        }
        sys.stdout.write(json.dumps(announcement) + "\n")
        sys.stdout.flush()
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
