"""``investigate()``: read the bucket's own configuration and name what refused a request.

Opt-in, never run by the hook. Given a diagnosed error and a client allowed to read the
bucket's configuration, it makes read calls only (``get_bucket_policy``, ``get_bucket_acl``,
``get_object_acl``, ``get_bucket_referer``, ``get_bucket_cors``, ``head_object``,
``get_bucket_location``, ``list_buckets``), replays the request through the access engine
(:mod:`cos_doctor._access.engine`, the same code the emulator decides with) and returns a
:class:`Finding` naming the statement, grant or rule that decided. A read it could not make
is reported as such and never guessed around; nothing on the bucket is ever changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from dataclasses import InitVar, dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from cos_doctor._access import answers as sdk
from cos_doctor._access import engine as _access
from cos_doctor._locale import resolve_locale, say
from cos_doctor._redact import PATTERNS_ONLY, Redactor, client_redactor
from cos_doctor.diagnosis import Diagnosis, Evidence, EvidenceValue, sealed_value

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Finding", "Read", "investigate"]

# The SDK methods investigate() may call; a test pins that nothing else is ever called.
READ_CALLS = frozenset(
    {
        "get_bucket_policy",
        "get_bucket_acl",
        "get_object_acl",
        "get_bucket_referer",
        "get_bucket_cors",
        "head_object",
        "get_bucket_location",
        "list_buckets",
    }
)
# SDK method → CAM action, for calls whose diagnosis does not carry ``required_action``.
_METHOD_ACTIONS = {("GET", True): "GetObject", ("HEAD", True): "HeadObject"}
_METHOD_ACTIONS.update({("PUT", True): "PutObject", ("DELETE", True): "DeleteObject"})
_METHOD_ACTIONS.update({("GET", False): "GetBucket", ("HEAD", False): "HeadBucket"})
_NOT_CONFIGURED = frozenset(
    {"NoSuchBucketPolicy", "NoSuchCORSConfiguration", "NoSuchRefererConfiguration", "NoSuchKey"}
)
_UIN = re.compile(r"uin/(\d+)")
_APPID = re.compile(r"-(\d+)$")


@dataclass(frozen=True)
class Read:
    """One read call investigate() made, and what came of it.

    ``outcome`` is ``ok``, ``not-configured`` (the bucket has none), ``denied`` (the read
    itself was refused) or ``failed`` (any other error; ``error_code`` says which).
    """

    call: str
    outcome: str
    error_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"call": self.call, "outcome": self.outcome, "error_code": self.error_code}


@dataclass(frozen=True)
class Finding:
    """What the bucket's configuration says about one failed request.

    ``kind`` is a stable identifier (``policy-deny``, ``no-grant``, ``referer-not-listed``,
    ``cors-origin``, ``archived``, ``region``… see the README); ``text`` the sentence in the
    requested locale; ``decided_by`` the statement or rule that decided (``bucket policy
    statement 2``, ``bucket policy statement "DenyInterns"``, ``CORS rule 1``, ``referer
    rule``) or ``None``; ``facts`` the values the sentence is built from; ``reads`` every read
    call made. ``diagnosis`` is the input diagnosis with the finding added as evidence.

    Building one seals it, like a :class:`~cos_doctor.Diagnosis`: the configuration it
    quotes (a policy's ``Sid``, a referer entry) may hold anything, the reading client's own
    keys included, so ``text``, ``decided_by`` and ``facts`` pass ``redactor``.
    """

    kind: str
    text: str
    decided_by: str | None = None
    facts: tuple[tuple[str, EvidenceValue], ...] = ()
    reads: tuple[Read, ...] = ()
    locale: str = "en"
    diagnosis: Diagnosis | None = field(default=None, repr=False, compare=False)
    redactor: InitVar[Redactor | None] = None

    def __post_init__(self, redactor: Redactor | None) -> None:
        """Seal the sentence, what decided and the facts."""
        redact = redactor or PATTERNS_ONLY
        object.__setattr__(self, "text", redact(self.text))
        if self.decided_by is not None:
            object.__setattr__(self, "decided_by", redact(self.decided_by))
        facts = tuple((name, sealed_value(value, redact)) for name, value in self.facts)
        object.__setattr__(self, "facts", facts)

    @property
    def unreadable(self) -> tuple[Read, ...]:
        """The reads that could not be made (denied or failed)."""
        return tuple(r for r in self.reads if r.outcome in {"denied", "failed"})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the event and ``--json`` show)."""
        return {
            "kind": self.kind,
            "text": self.text,
            "decided_by": self.decided_by,
            "facts": {k: list(v) if isinstance(v, tuple) else v for k, v in self.facts},
            "reads": [r.to_dict() for r in self.reads],
            "locale": self.locale,
        }


@dataclass(frozen=True)
class _Request:
    """The facts of the failed request that the evaluation needs."""

    rule_id: str
    bucket: str
    key: str | None
    region: str | None
    action: str
    principal: str | None
    principal_known: bool
    referer: str | None
    origin: str | None
    method: str | None


class _Reader:
    """Makes the read calls and remembers what came of each."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.reads: list[Read] = []

    def read(self, call: str, **arguments: Any) -> tuple[str, Any]:
        """Call ``client.<call>(**arguments)``; return (outcome, result or None)."""
        if call not in READ_CALLS:  # pragma: no cover - a programming error, never user input
            raise ValueError(f"{call} is not a read call")
        from qcloud_cos.cos_exception import CosClientError, CosServiceError

        from cos_doctor._log.event import quiet

        try:
            with quiet():  # investigate's own reads: a refusal is a finding, not an event
                result = getattr(self.client, call)(**arguments)
        except CosServiceError as error:
            code = str(error.get_error_code() or "") or None
            if code in _NOT_CONFIGURED:
                outcome = "not-configured"
            elif code in {"AccessDenied", "AccessForbidden"}:
                outcome = "denied"
            else:
                outcome = "failed"
            self.reads.append(Read(call, outcome, code))
            return outcome, None
        except CosClientError as error:
            self.reads.append(Read(call, "failed", type(error).__name__))
            return "failed", None
        self.reads.append(Read(call, "ok"))
        return "ok", result


def investigate(  # noqa: PLR0913 - keyword-only hints for what a pasted error cannot say
    error: Any,
    client: Any,
    *,
    principal: str | None = None,
    bucket: str | None = None,
    key: str | None = None,
    referer: str | None = None,
    origin: str | None = None,
    method: str | None = None,
    locale: str | None = None,
    log: bool = True,
) -> Finding:
    """Read the bucket's configuration with ``client`` and name what refused ``error``.

    ``error`` is a diagnosed exception (``CosDiagnosedError``), a bare ``CosServiceError``,
    a :class:`~cos_doctor.Diagnosis` or an error body. ``client`` is a ``CosS3Client``
    allowed to read the bucket's configuration — the caller's own, or an administrator's.
    ``principal`` is the CAM principal that made the failed request
    (``qcs::cam::uin/<OwnerUin>:uin/<Uin>``), which no COS API reveals; without it an
    anonymous request is known as such and a signed one is evaluated for every principal the
    bucket names. ``bucket``, ``key``, ``referer``, ``origin`` and ``method`` fill in what a
    pasted error body cannot say.

    The finding is added to the diagnosis as evidence (keys ``investigation``,
    ``investigation_decided_by``, ``investigation_unreadable``), set back on ``error`` when it
    is a diagnosed exception, and logged as the ``cos_request_investigated`` event unless
    ``log=False``. Only read calls are made.
    """
    language = resolve_locale(locale)
    diagnosis = _diagnosis_of(error, language)
    request = _request_facts(
        diagnosis, principal, bucket=bucket, key=key, referer=referer, origin=origin, method=method
    )
    reader = _Reader(client)
    facts: dict[str, EvidenceValue]
    if not request.bucket:
        kind, decided_by, facts = "undetermined", None, {"reason": "no bucket named"}
    else:
        investigator = _INVESTIGATORS.get(request.rule_id)
        if investigator is None and request.rule_id in _ACCESS_RULES:
            investigator = _access_decision
        if investigator is None:
            # Keys, signatures, clocks, POST forms: nothing on the bucket decides these.
            kind, decided_by, facts = "not-configuration", None, {"rule_id": request.rule_id}
        else:
            kind, decided_by, facts = investigator(request, reader, client)
    from cos_doctor._sdk.live import client_secrets

    reads = tuple(reader.reads)
    redact = client_redactor(client_secrets(client))
    finding = _finding(
        kind, decided_by, facts, reads, locale=language, diagnosis=diagnosis, redact=redact
    )
    if hasattr(error, "diagnosis") and not isinstance(error, Diagnosis):
        with contextlib.suppress(AttributeError):  # a read-only attribute on a foreign type
            error.diagnosis = finding.diagnosis
    if log:
        _log(finding)
    return finding


# The request's facts -------------------------------------------------------------------------


def _diagnosis_of(error: Any, locale: str) -> Diagnosis:
    if isinstance(error, Diagnosis):
        return error
    found = getattr(error, "diagnosis", None)
    if isinstance(found, Diagnosis):
        return found
    from cos_doctor._readers.diagnose import diagnose

    return diagnose(error, locale=locale)


def _request_facts(  # noqa: PLR0913 - one hint per fact a pasted body cannot carry
    diagnosis: Diagnosis,
    principal: str | None,
    *,
    bucket: str | None,
    key: str | None,
    referer: str | None,
    origin: str | None,
    method: str | None,
) -> _Request:
    required = diagnosis.evidence_value("required_action")
    key = key if key is not None else diagnosis.key
    if isinstance(required, str):
        action = required.split(":", 1)[-1]
    else:
        http_method = (diagnosis.http_method or "GET").upper()
        action = _METHOD_ACTIONS.get((http_method, bool(key)), "GetObject")
    anonymous = diagnosis.evidence_value("credential_kind") == "anonymous"
    if principal is None and anonymous:
        principal = _access.ANYONE
    sent_referer = diagnosis.evidence_value("referer_sent")
    sent_origin = diagnosis.evidence_value("origin_sent")
    preflight = diagnosis.evidence_value("preflight_method")
    return _Request(
        rule_id=diagnosis.rule_id,
        bucket=bucket or diagnosis.bucket or "",
        key=key or None,
        region=diagnosis.region,
        action=action,
        principal=None if principal == _access.ANYONE else principal,
        principal_known=principal is not None,
        referer=referer if referer is not None else _text(sent_referer),
        origin=origin if origin is not None else _text(sent_origin),
        method=(method or _text(preflight) or diagnosis.http_method or "GET").upper(),
    )


def _text(value: EvidenceValue) -> str | None:
    return value if isinstance(value, str) and value else None


# Investigators: (kind, decided_by, facts) ------------------------------------------------------

_Outcome = tuple[str, "str | None", dict[str, EvidenceValue]]


def _access_decision(request: _Request, reader: _Reader, _client: Any) -> _Outcome:
    """ACL and bucket policy, replayed through the engine."""
    bucket = request.bucket
    policy_outcome, policy = reader.read("get_bucket_policy", Bucket=bucket)
    acl_outcome, acl = reader.read("get_bucket_acl", Bucket=bucket)
    object_acl: tuple[_access.Grant, ...] | None = None
    if request.key:
        object_outcome, raw = reader.read("get_object_acl", Bucket=bucket, Key=request.key)
        # No such object (NoSuchKey, reported "not-configured"): the bucket ACL decides.
        if object_outcome == "ok" and str(raw.get("CannedACL", "")).lower() != "default":
            object_acl = sdk.grants(raw, skip_owner=True)
    owner_uin = sdk.owner_uin(acl) if acl_outcome == "ok" else ""
    statements = sdk.policy_statements(policy) if policy_outcome == "ok" else ()
    config = _access.AccessConfig(
        owner_uin=owner_uin,
        bucket_policy=statements,
        bucket_acl=sdk.grants(acl, skip_owner=True) if acl_outcome == "ok" else (),
        object_acl=object_acl,
    )
    resource = _resource(request)
    facts: dict[str, EvidenceValue] = {
        "action": f"name/cos:{request.action}",
        "resource": resource,
        "principal": _shown(request.principal or _access.ANYONE, owner_uin)
        if request.principal_known
        else None,
    }
    if any(read.outcome in {"denied", "failed"} for read in reader.reads):
        # A decision made without the policy or an ACL would be a guess: say what is missing.
        return "unreadable", None, facts
    if request.principal_known:
        asked = _access.AccessRequest(request.action, resource, request.principal)
        decision = _access.decide(asked, config)
        if decision.reason == "no-grant" and config.object_acl is not None:
            # The object's own ACL replaced a bucket ACL that would have let this through.
            bucket_only = _access.decide(asked, dataclasses.replace(config, object_acl=None))
            if bucket_only.allowed:
                return "object-acl", "object ACL", facts
        return _from_decision(decision, facts, owner_uin)
    # Who signed is unknown: name a deny that applies to anyone the bucket names.
    probe = _access.AccessRequest(request.action, resource, None)
    denies = [s for s in statements if s.effect == "deny" and _access.applies(s, probe, None)]
    if denies:
        facts["principals"] = _principals(denies[0], owner_uin)
        facts["statement"] = _statement_label(denies[0])
        return "policy-deny-unconfirmed", _decided_by(denies[0]), facts
    # No deny: who, if anyone, does the bucket let do this?
    allows = [s for s in statements if s.effect == "allow" and _access.applies(s, probe, None)]
    permission = _access.ACL_PERMISSION.get(request.action)
    grantees = [
        g.grantee
        for g in (config.object_acl if config.object_acl is not None else config.bucket_acl)
        if permission is not None and g.permission in {permission, "FULL_CONTROL"}
    ]
    named = [name for s in allows for name in s.principals] + grantees
    if named:
        shown = dict.fromkeys(_shown(name, owner_uin) for name in named)
        facts["principals"] = ", ".join(shown)
        return "allowed-to-others", None, facts
    facts["principal"] = "?"
    return "no-grant", None, facts


def _from_decision(
    decision: _access.Decision, facts: dict[str, EvidenceValue], owner_uin: str
) -> _Outcome:
    deciding = decision.deciding
    if isinstance(deciding, _access.Statement):
        facts["statement"] = _statement_label(deciding)
        facts["principals"] = _principals(deciding, owner_uin)
        if not decision.allowed:
            return "policy-deny", _decided_by(deciding), facts
        facts["decided_by"] = _decided_by(deciding)
        return "bucket-allows", _decided_by(deciding), facts
    if isinstance(deciding, _access.AclGrant):
        label = f"{deciding.source} grant {deciding.grant.permission}"
        facts["decided_by"] = label
        return "bucket-allows", label, facts
    if decision.reason == "owner":
        facts["decided_by"] = "owner"
        return "bucket-allows", "owner", facts
    return "no-grant", None, facts


def _referer_decision(request: _Request, reader: _Reader, _client: Any) -> _Outcome:
    outcome, raw = reader.read("get_bucket_referer", Bucket=request.bucket)
    if outcome in {"denied", "failed"}:
        return "unreadable", None, {}
    config = sdk.referer_config(raw) if outcome == "ok" else None
    decision = _access.decide_referer(config, request.referer)
    facts: dict[str, EvidenceValue] = {
        "domains": ", ".join(config.domains) if config is not None else "",
        "referer": request.referer,
        "entry": decision.entry,
        "list_type": ("white" if config.white_list else "black") if config else None,
    }
    kinds = {
        "empty-denied": "referer-no-referer",
        "not-listed": "referer-not-listed" if config and config.white_list else "referer-passes",
        "black-listed": "referer-black-listed",
        "no-rule": "referer-none",
        "disabled": "referer-none",
    }
    kind = kinds.get(decision.reason, "referer-passes")
    if kind == "referer-passes":
        # The rule lets it through: the refusal (if any) came from the ACL or policy.
        del facts["entry"]
        return kind, None, facts
    return kind, "referer rule" if kind != "referer-none" else None, facts


def _cors_decision(request: _Request, reader: _Reader, _client: Any) -> _Outcome:
    outcome, raw = reader.read("get_bucket_cors", Bucket=request.bucket)
    if outcome in {"denied", "failed"}:
        return "unreadable", None, {}
    rules = sdk.cors_rules(raw) if outcome == "ok" else ()
    decision = _access.decide_cors(rules, request.origin or "", request.method or "GET")
    facts: dict[str, EvidenceValue] = {
        "origin": request.origin,
        "method": request.method,
    }
    if decision.rule is None:
        return "cors-none", None, facts
    rule = decision.rule
    facts.update(
        rule=decision.position,
        origins=", ".join(rule.allowed_origins),
        methods=", ".join(rule.allowed_methods),
        headers=", ".join(rule.allowed_headers),
    )
    label = f"CORS rule {decision.position}"
    if decision.allowed:
        return "cors-matched", label, facts
    return f"cors-{decision.reason}", label, facts


def _storage_decision(request: _Request, reader: _Reader, _client: Any) -> _Outcome:
    if not request.key:
        return "undetermined", None, {}
    outcome, headers = reader.read("head_object", Bucket=request.bucket, Key=request.key)
    if outcome != "ok":
        return "unreadable", None, {}
    lowered = {str(k).lower(): str(v) for k, v in dict(headers).items()}
    storage_class = lowered.get("x-cos-storage-class", "STANDARD")
    restore = lowered.get("x-cos-restore", "")
    facts: dict[str, EvidenceValue] = {"storage_class": storage_class, "restore": restore or None}
    if storage_class not in {"ARCHIVE", "DEEP_ARCHIVE"}:
        return "not-archived", None, facts
    if 'ongoing-request="true"' in restore:
        return "restoring", "storage class", facts
    if restore:
        return "restored", "storage class", facts
    return "archived", "storage class", facts


def _region_decision(request: _Request, reader: _Reader, client: Any) -> _Outcome:
    client_region = sdk.client_region(client) or request.region
    facts: dict[str, EvidenceValue] = {"client_region": client_region}
    outcome, location = reader.read("get_bucket_location", Bucket=request.bucket)
    if outcome == "ok":
        bucket_region = str(location.get("LocationConstraint") or "")
        facts["bucket_region"] = bucket_region
        if bucket_region and bucket_region != client_region:
            return "region", "bucket region", facts
        return "region-matches", None, facts
    listed_outcome, listing = reader.read("list_buckets")
    if listed_outcome != "ok":
        return "unreadable", None, facts
    buckets = (listing.get("Buckets") or {}).get("Bucket") or []
    for entry in buckets if isinstance(buckets, list) else [buckets]:
        if entry.get("Name") == request.bucket:
            facts["bucket_region"] = str(entry.get("Location") or "")
            if facts["bucket_region"] != client_region:
                return "region", "bucket region", facts
            return "region-matches", None, facts
    return "bucket-not-listed", None, facts


# Refusals the bucket's ACL and policy can explain (a bodiless HEAD 403 among them).
_ACCESS_RULES = frozenset({"access-denied", "unrecognized-403", "unrecognized-4xx"})

_INVESTIGATORS: dict[str, Callable[[_Request, _Reader, Any], _Outcome]] = {
    "referer-denied": _referer_decision,
    "cors-forbidden": _cors_decision,
    "invalid-object-state": _storage_decision,
    "object-state-conflict": _storage_decision,
    "no-such-bucket": _region_decision,
    "head-not-found": _region_decision,  # the SDK's NoSuchResource for a bodiless HEAD 404
    "unrecognized-404": _region_decision,
}


def _resource(request: _Request) -> str:
    appid = _APPID.search(request.bucket)
    region = request.region or "*"
    target = request.key or "*"
    return f"qcs::cos:{region}:uid/{appid.group(1) if appid else '*'}:{request.bucket}/{target}"


# Wording -------------------------------------------------------------------------------------


def _statement_label(statement: _access.Statement) -> str:
    return f'"{statement.sid}"' if statement.sid else str(statement.position)


def _decided_by(statement: _access.Statement) -> str:
    return f"{statement.source} statement {_statement_label(statement)}"


def _shown(principal: str, owner_uin: str) -> str:
    """A principal as it may be shown: the UINs of an account other than the owner's are masked."""
    account = _UIN.search(principal)
    if not owner_uin or account is None or account.group(1) == owner_uin:
        return principal

    def mask(found: re.Match[str]) -> str:
        uin = found.group(1)
        return f"uin/{uin[:3]}****{uin[-2:]}" if len(uin) >= 6 else found.group(0)

    return _UIN.sub(mask, principal)


def _principals(statement: _access.Statement, owner_uin: str) -> str:
    names: Iterable[str] = statement.principals or ("(no Principal)",)
    return ", ".join(_shown(name, owner_uin) for name in names)


def _finding(  # noqa: PLR0913 - the parts of one finding
    kind: str,
    decided_by: str | None,
    facts: dict[str, EvidenceValue],
    reads: tuple[Read, ...],
    *,
    locale: str,
    diagnosis: Diagnosis,
    redact: Redactor,
) -> Finding:
    from cos_doctor._knowledge.catalogue import catalogue

    texts = catalogue().evidence_text
    entry: Any = texts["investigation"].get(kind) or texts["investigation"]["undetermined"]
    # Facts can carry request text (a Referer with a signed query) and configuration (a Sid):
    # the Finding and the enriched Diagnosis seal all they hold when they are built.
    words = {name: _word(value) for name, value in facts.items()}
    text = say(entry, locale, words)
    unreadable = tuple(
        f"{r.call}:{r.error_code or r.outcome}" for r in reads if r.outcome in {"denied", "failed"}
    )
    evidence = [Evidence("investigation", kind, text)]
    if decided_by:
        template: Any = texts["investigation_decided_by"]
        evidence.append(
            Evidence(
                "investigation_decided_by",
                decided_by,
                say(template, locale, {"value": decided_by}),
            )
        )
    if unreadable:
        template = texts["investigation_unreadable"]
        shown = ", ".join(unreadable)
        evidence.append(
            Evidence(
                "investigation_unreadable",
                unreadable,
                say(template, locale, {"value": shown}),
            )
        )
    kept = [e for e in diagnosis.evidence if not e.key.startswith("investigation")]
    enriched = dataclasses.replace(diagnosis, evidence=(*kept, *evidence), redactor=redact)
    return Finding(
        kind=kind,
        text=text,
        decided_by=decided_by,
        facts=tuple(sorted(facts.items())),
        reads=reads,
        locale=locale,
        diagnosis=enriched,
        redactor=redact,
    )


def _word(value: EvidenceValue) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def _log(finding: Finding) -> None:
    from cos_doctor._log.event import log_investigation

    log_investigation(finding.diagnosis, finding.to_dict())
