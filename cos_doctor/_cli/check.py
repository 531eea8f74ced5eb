"""``cos-doctor check``: a preflight of one bucket for an on-call engineer.

Each check is one harmless probe — credentials well formed, DNS and TLS to the bucket host,
clock skew against COS's ``Date``, the bucket in that region, list / read (and with
``write=True`` a create-and-delete of a probe object), the referer and CORS configuration —
and yields one :class:`CheckResult`: ``pass``, ``warn``, ``fail`` or ``skip`` (not
applicable), with the diagnosis of the COS error behind a failure.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import ssl
import time
from dataclasses import InitVar, dataclass, replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from cos_doctor._cli.text import say
from cos_doctor._redact import PATTERNS_ONLY, Redactor, mask_secret_id

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Diagnosis

__all__ = ["CheckResult", "Target", "make_client", "run_checks"]

# RequestTimeTooSkewed starts at 15 minutes; warn well before.
SKEW_FAIL_SECONDS = 900
SKEW_WARN_SECONDS = 60
PROBE_PREFIX = "cos-doctor-check/"
_TIMEOUT = 10


@dataclass(frozen=True)
class CheckResult:
    """One line of ``cos-doctor check``.

    Building one seals ``detail``: it quotes the bucket's configuration (a referer entry, a
    CORS origin), which may hold anything, a signed URL or the checker's own key included.
    """

    check: str  # stable id: credentials, dns, tls, clock, bucket, list, read, write, referer, cors
    status: str  # pass | warn | fail | skip
    detail: str
    diagnosis: Diagnosis | None = None
    redactor: InitVar[Redactor | None] = None

    def __post_init__(self, redactor: Redactor | None) -> None:
        """Seal the detail with ``redactor`` (anything shaped like a secret without one)."""
        object.__setattr__(self, "detail", (redactor or PATTERNS_ONLY)(self.detail))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "check": self.check,
            "status": self.status,
            "detail": self.detail,
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
        }


@dataclass(frozen=True)
class Target:
    """What to check and with which credentials."""

    bucket: str
    region: str
    secret_id: str | None
    secret_key: str | None
    token: str | None = None
    endpoint: str | None = None  # e.g. http://127.0.0.1:9000 (emulator) or a private endpoint
    write: bool = False
    locale: str = "en"

    @property
    def host(self) -> str:
        """The ``Host`` the requests carry (and sign): the bucket's host at this endpoint."""
        _, host, _ = self.connect_to()
        if self.endpoint and not _is_address(host):
            return host  # a private endpoint domain: <bucket>.<endpoint>, as the SDK builds it
        return f"{self.bucket}.cos.{self.region}.myqcloud.com"

    def connect_to(self) -> tuple[str, str, int]:
        """(scheme, host, port) the probes connect to."""
        if self.endpoint:
            parts = urlsplit(self.endpoint)
            scheme = parts.scheme or "https"
            port = parts.port or (443 if scheme == "https" else 80)
            host = parts.hostname or ""
            return scheme, host if _is_address(host) else f"{self.bucket}.{host}", port
        return "https", f"{self.bucket}.cos.{self.region}.myqcloud.com", 443


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True


def make_client(target: Target) -> Any:
    """A ``CosS3Client`` for ``target``; an IP endpoint still signs the bucket's real Host."""
    from qcloud_cos import CosConfig, CosS3Client

    settings: dict[str, Any] = {
        "Region": target.region,
        "SecretId": (target.secret_id or "").strip(),
        "SecretKey": (target.secret_key or "").strip(),
        "Token": target.token,
    }
    if target.endpoint:
        scheme, host, port = target.connect_to()
        settings["Scheme"] = scheme
        if _is_address(host):
            settings.update(IP=host, Port=port)
        else:
            settings["Endpoint"] = urlsplit(target.endpoint).netloc
    return CosS3Client(CosConfig(**settings), retry=0)


def run_checks(target: Target) -> Iterator[CheckResult]:
    """Run every check in order; later ones are skipped when credentials are unusable.

    Each result is sealed with the target's own keys: a line never shows them.
    """
    redact = Redactor([target.secret_key, target.token], [target.secret_id])
    for result in _checks(target):
        yield replace(result, redactor=redact)


def _checks(target: Target) -> Iterator[CheckResult]:
    credentials = _credentials(target)
    yield credentials
    yield _dns(target)
    yield _tls(target)
    yield _clock(target)
    if credentials.status == "fail":
        for name in ("bucket", "list", "read", "write", "referer", "cors"):
            yield CheckResult(name, "skip", say("skipped.no-client", target.locale))
        return
    client = make_client(target)
    bucket = _bucket(target, client)
    yield bucket
    if bucket.diagnosis is not None and bucket.diagnosis.http_status == 404:
        for name in ("list", "read", "write", "referer", "cors"):
            yield CheckResult(name, "skip", say("skipped.no-bucket", target.locale))
        return
    yield _call(
        target, "list", "list_objects", client.list_objects, Bucket=target.bucket, MaxKeys=1
    )
    yield _read(target, client)
    yield _write(target, client)
    yield _referer(target, client)
    yield _cors(target, client)


# Local and network checks ---------------------------------------------------------------------


def _credentials(target: Target) -> CheckResult:
    locale = target.locale
    for name, value in (("SecretId", target.secret_id), ("SecretKey", target.secret_key)):
        if not value or not value.strip():
            return CheckResult("credentials", "fail", say("credentials.missing", locale, name=name))
        if value != value.strip():
            return CheckResult(
                "credentials", "fail", say("credentials.whitespace", locale, name=name)
            )
    secret_id = target.secret_id or ""
    masked = mask_secret_id(secret_id)
    problem = None
    if not secret_id.startswith("AKID"):
        problem = say("problem.prefix", locale)
    elif target.token is None and len(secret_id) != 36:
        problem = say("problem.length", locale, length=len(secret_id))
    if problem is not None:
        detail = say("credentials.malformed", locale, masked=masked, problem=problem)
        return CheckResult("credentials", "fail", detail)
    kind = say("kind.temporary" if target.token else "kind.permanent", locale)
    return CheckResult(
        "credentials", "pass", say("credentials.ok", locale, masked=masked, kind=kind)
    )


def _dns(target: Target) -> CheckResult:
    _, host, port = target.connect_to()
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as error:
        reason = error.strerror or str(error)
        return CheckResult("dns", "fail", say("dns.fail", target.locale, host=host, reason=reason))
    addresses = ", ".join(sorted({str(entry[4][0]) for entry in found})[:3])
    return CheckResult("dns", "pass", say("dns.ok", target.locale, host=host, addresses=addresses))


def _tls(target: Target) -> CheckResult:
    scheme, host, port = target.connect_to()
    if scheme != "https":
        detail = say("tls.plain", target.locale, endpoint=target.endpoint)
        return CheckResult("tls", "skip", detail)
    context = ssl.create_default_context()
    try:
        with (
            socket.create_connection((host, port), timeout=_TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            version = tls.version() or "TLS"
            certificate = tls.getpeercert() or {}
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or str(error)
        detail = say("tls.fail", target.locale, host=host, port=port, reason=reason)
        return CheckResult("tls", "fail", detail)
    expires = str(certificate.get("notAfter", "?"))
    detail = say("tls.ok", target.locale, host=host, port=port, version=version, expires=expires)
    return CheckResult("tls", "pass", detail)


def _clock(target: Target) -> CheckResult:
    import requests

    scheme, host, port = target.connect_to()
    url = f"{scheme}://{host}:{port}/"
    try:
        with requests.Session() as session:
            session.trust_env = target.endpoint is None  # loopback traffic skips proxies
            sent = time.time()
            response = session.head(url, headers={"Host": target.host}, timeout=_TIMEOUT)
            received = time.time()
        date = response.headers.get("Date")
        server = parsedate_to_datetime(date).timestamp() if date else None
    except (requests.RequestException, TypeError, ValueError) as error:
        detail = say("clock.none", target.locale, reason=type(error).__name__)
        return CheckResult("clock", "warn", detail)
    if server is None:
        return CheckResult("clock", "warn", say("clock.none", target.locale, reason="-"))
    # The Date is whole seconds, stamped somewhere between sending and receiving.
    skew = round((sent + received) / 2 - server)
    direction = say("ahead" if skew >= 0 else "behind", target.locale)
    words = {"skew": abs(skew), "direction": direction}
    if abs(skew) >= SKEW_FAIL_SECONDS:
        return CheckResult("clock", "fail", say("clock.bad", target.locale, **words))
    status = "warn" if abs(skew) >= SKEW_WARN_SECONDS else "pass"
    return CheckResult("clock", status, say("clock.ok", target.locale, **words))


# COS calls ------------------------------------------------------------------------------------


def _diagnosed(call: Callable[..., Any], **arguments: Any) -> tuple[Any, Diagnosis | None]:
    """Run one SDK call; return (result, None) or (None, the diagnosis of its COS error)."""
    from qcloud_cos.cos_exception import CosClientError, CosServiceError

    from cos_doctor._readers.diagnose import diagnose

    try:
        return call(**arguments), None
    except CosServiceError as error:
        return None, getattr(error, "diagnosis", None) or diagnose(error)
    except CosClientError as error:
        return None, diagnose(str(error))


def _failed(check: str, target: Target, call: str, diagnosis: Diagnosis | None) -> CheckResult:
    headline = diagnosis.headline() if diagnosis is not None else ""
    detail = f"{say('call.failed', target.locale, call=call)}: {headline}".rstrip(": ")
    return CheckResult(check, "fail", detail, diagnosis)


def _call(
    target: Target, check: str, name: str, call: Callable[..., Any], **arguments: Any
) -> CheckResult:
    _, diagnosis = _diagnosed(call, **arguments)
    if diagnosis is not None:
        return _failed(check, target, name, diagnosis)
    return CheckResult(check, "pass", say("call.ok", target.locale, call=name))


def _bucket(target: Target, client: Any) -> CheckResult:
    # GET ?location answers with a body (HEAD's errors have none) and names the region.
    location, diagnosis = _diagnosed(client.get_bucket_location, Bucket=target.bucket)
    if diagnosis is not None:
        failed = _failed("bucket", target, "get_bucket_location", diagnosis)
        _, host, _ = target.connect_to()
        if diagnosis.http_status == 404 and not _is_address(host):
            # Where does it live? GET Service lists the account's buckets with their regions.
            from cos_doctor._access.investigate import investigate

            finding = investigate(diagnosis, client, bucket=target.bucket, locale=target.locale)
            failed = CheckResult("bucket", "fail", f"{failed.detail}; {finding.text}", diagnosis)
        return failed
    actual = str((location or {}).get("LocationConstraint") or target.region)
    words = {"bucket": target.bucket, "region": target.region, "actual": actual}
    if actual != target.region:
        return CheckResult("bucket", "fail", say("bucket.other-region", target.locale, **words))
    return CheckResult("bucket", "pass", say("bucket.ok", target.locale, **words))


def _read(target: Target, client: Any) -> CheckResult:
    # A key that cannot exist: NoSuchKey proves the read was allowed, 403 that it was not.
    missing = f"{PROBE_PREFIX}absent-{secrets.token_hex(4)}"
    response, diagnosis = _diagnosed(
        client.get_object, Bucket=target.bucket, Key=missing, Range="bytes=0-0"
    )
    if response is not None:
        response["Body"].get_raw_stream().close()
    if diagnosis is None or diagnosis.error_code == "NoSuchKey":
        return CheckResult("read", "pass", say("read.missing-ok", target.locale))
    return _failed("read", target, "get_object", diagnosis)


def _write(target: Target, client: Any) -> CheckResult:
    if not target.write:
        return CheckResult("write", "skip", say("write.skipped", target.locale))
    key = f"{PROBE_PREFIX}probe-{secrets.token_hex(6)}"
    _, diagnosis = _diagnosed(client.put_object, Bucket=target.bucket, Key=key, Body=b"")
    if diagnosis is not None:
        return _failed("write", target, "put_object", diagnosis)
    _, diagnosis = _diagnosed(client.delete_object, Bucket=target.bucket, Key=key)
    if diagnosis is not None:
        return _failed("write", target, "delete_object", diagnosis)
    return CheckResult("write", "pass", say("write.ok", target.locale, key=key))


def _unreadable(check: str, target: Target, diagnosis: Diagnosis) -> CheckResult:
    code = diagnosis.error_code or diagnosis.rule_id
    return CheckResult(check, "warn", say("config.unreadable", target.locale, code=code), diagnosis)


def _referer(target: Target, client: Any) -> CheckResult:
    from cos_doctor._access.answers import referer_config

    raw, diagnosis = _diagnosed(client.get_bucket_referer, Bucket=target.bucket)
    if diagnosis is not None:
        return _unreadable("referer", target, diagnosis)
    config = referer_config(raw)
    locale = target.locale
    if config is None or not config.enabled:
        return CheckResult("referer", "pass", say("referer.none", locale))
    detail = say(
        "referer.rule",
        locale,
        list=say("white-list" if config.white_list else "black-list", locale),
        domains=", ".join(config.domains) or "-",
        empty=say("allowed" if config.allow_empty else "denied", locale),
    )
    return CheckResult("referer", "pass", detail)


def _cors(target: Target, client: Any) -> CheckResult:
    from cos_doctor._access.answers import cors_rules

    raw, diagnosis = _diagnosed(client.get_bucket_cors, Bucket=target.bucket)
    if diagnosis is not None and diagnosis.error_code == "NoSuchCORSConfiguration":
        return CheckResult("cors", "pass", say("cors.none", target.locale))
    if diagnosis is not None:
        return _unreadable("cors", target, diagnosis)
    rules = cors_rules(raw)
    shown = "; ".join(
        f"{', '.join(r.allowed_origins)} ({', '.join(r.allowed_methods)})" for r in rules
    )
    return CheckResult(
        "cors", "pass", say("cors.rules", target.locale, count=len(rules), rules=shown)
    )
