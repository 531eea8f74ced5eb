"""A local Tencent COS emulator that the real ``qcloud_cos`` SDK talks to, unmodified.

It serves the COS XML API over HTTP on 127.0.0.1, verifies q-sign signatures and, for S3
clients such as boto3, AWS SigV4 and SigV2 ones on its own, and returns COS's wire errors
only when its state calls for them: a wrong or disabled key, a clock offset, an expired
presigned URL, a referer white-list, a CORS rule, an archived object, a
sub-account without a grant, a policy deny, a POST policy condition…

Layout (routing, state, wire format and errors live apart)::

    models.py, state.py      the stored values; the state holding them, clock and reset
    config.py, command.py    the documented default account, JSON config; the command line
    request.py, routes.py    reading a request by Host; dispatch to operations
    auth.py, access.py       signature verification; ACL / policy facts for the engine
    aws_auth.py, sigv4.py    SigV4 requests (header, presigned, aws-chunked); the algorithm
    aws_auth_v2.py, sigv2.py SigV2 requests (``AWS AK:sig``, presigned); the algorithm
    referer.py, cors.py      hotlink and CORS responses (decisions: cos_doctor._access.engine)
    *_ops.py, post_object.py the operations
    responses.py, errors.py  wire format of successes; the (code, status, message) table
    app.py, server.py        the WSGI app; the background server and SDK client wiring

Needs the ``emulator`` extra (werkzeug): ``pip install 'cos-doctor[emulator]'``.
"""

from __future__ import annotations

try:
    import werkzeug  # noqa: F401 - fail early with an install hint
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "The COS emulator needs werkzeug: pip install 'cos-doctor[emulator]'"
    ) from missing

from cos_doctor.emulator.app import EmulatorApp
from cos_doctor.emulator.command import main
from cos_doctor.emulator.config import (
    DEFAULT_APPID,
    DEFAULT_BUCKET,
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_OWNER_SECRET_KEY,
    DEFAULT_OWNER_UIN,
    DEFAULT_REGION,
    DEFAULT_SUB_SECRET_ID,
    DEFAULT_SUB_SECRET_KEY,
    DEFAULT_SUB_UIN,
    default_state,
    load_config,
)
from cos_doctor.emulator.models import CorsRule, RefererConfig
from cos_doctor.emulator.server import Emulator
from cos_doctor.emulator.state import EmulatorState

__all__ = [
    "DEFAULT_APPID",
    "DEFAULT_BUCKET",
    "DEFAULT_OWNER_SECRET_ID",
    "DEFAULT_OWNER_SECRET_KEY",
    "DEFAULT_OWNER_UIN",
    "DEFAULT_REGION",
    "DEFAULT_SUB_SECRET_ID",
    "DEFAULT_SUB_SECRET_KEY",
    "DEFAULT_SUB_UIN",
    "CorsRule",
    "Emulator",
    "EmulatorApp",
    "EmulatorState",
    "RefererConfig",
    "default_state",
    "load_config",
    "main",
]
