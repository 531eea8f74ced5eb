"""The value objects cos_doctor hands users: :class:`Diagnosis`, :class:`Evidence`, :class:`Cause`.

All are frozen and hold only JSON-ready values, so they pickle under every protocol, copy,
cross process boundaries, and never carry a secret (redaction happens before they are built).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Union

#: What an evidence value may be: plain JSON scalars, or a tuple of them.
EvidenceValue = Union[str, int, float, bool, None, tuple[Union[str, int, float, bool], ...]]


@dataclass(frozen=True)
class Evidence:
    """One fact observed or computed for the failing request.

    ``key`` is a stable identifier documented in the README (for example
    ``clock_skew_seconds``), ``value`` the typed fact, ``text`` the sentence a person reads,
    in the diagnosis' locale.
    """

    key: str
    value: EvidenceValue
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return the fact as JSON-ready data."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"key": self.key, "value": value, "text": self.text}


#: How strongly this request's evidence points at a cause.
LIKELY = "likely"
POSSIBLE = "possible"


@dataclass(frozen=True)
class Cause:
    """One documented reason for the error, ranked by what this request's evidence shows.

    ``id`` is a stable slug within the rule (for example ``unsigned-request``), ``text`` the
    sentence a person reads, in the diagnosis' locale. ``confidence`` is ``"likely"`` when
    evidence observed for this request points at the cause, else ``"possible"``; ``because``
    names the evidence keys that made it likely (empty for a possible cause).
    """

    id: str
    text: str
    confidence: str = POSSIBLE
    because: tuple[str, ...] = ()

    @property
    def likely(self) -> bool:
        """Whether this request's evidence points at this cause."""
        return self.confidence == LIKELY

    def to_dict(self) -> dict[str, Any]:
        """Return the cause as JSON-ready data."""
        return {
            "id": self.id,
            "text": self.text,
            "confidence": self.confidence,
            "because": list(self.because),
        }


@dataclass(frozen=True)
class Diagnosis:
    """What went wrong with one COS request, why, and how to fix it.

    ``rule_id`` names the knowledge-base rule that matched (stable; see ``cos-doctor rules``).
    ``generic`` is true when no specific rule matched and the diagnosis only says what is
    known. ``steps`` are already filled in with the request's own bucket, key and region.
    ``causes`` lists, for errors with several documented causes, each cause ranked: the
    likely ones (pointed at by this request's evidence) first, then the possible ones.
    """

    rule_id: str
    title: str
    cause: str
    steps: tuple[str, ...]
    evidence: tuple[Evidence, ...] = ()
    docs: tuple[str, ...] = ()
    generic: bool = False
    locale: str = "en"
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None
    trace_id: str | None = None
    operation: str | None = None
    http_method: str | None = None
    bucket: str | None = None
    key: str | None = None
    region: str | None = None
    labels: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    causes: tuple[Cause, ...] = ()
    #: For a helper that ran many requests (upload_file…): each failed part's own diagnosis.
    parts: tuple[Diagnosis, ...] = field(default=(), repr=False)
    #: …and how many parts the helper had in all (None when unknown).
    parts_total: int | None = None

    def evidence_value(self, key: str) -> EvidenceValue:
        """Return the value of the evidence item ``key``, or None when it was not observed."""
        for item in self.evidence:
            if item.key == key:
                return item.value
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the diagnosis as JSON-ready data (what the log event and ``--json`` show)."""
        data = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in {"labels", "parts"}
        }
        data["parts"] = self._grouped_parts()
        data["steps"] = list(self.steps)
        data["docs"] = list(self.docs)
        data["evidence"] = [item.to_dict() for item in self.evidence]
        data["causes"] = [cause.to_dict() for cause in self.causes]
        return data

    def _grouped_parts(self) -> list[dict[str, Any]]:
        """The failed parts grouped by rule and code: count, part numbers, one diagnosis."""
        groups: dict[tuple[str, str | None], list[Diagnosis]] = {}
        for part in self.parts:
            groups.setdefault((part.rule_id, part.error_code), []).append(part)
        ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
        return [
            {
                "rule_id": rule_id,
                "error_code": code,
                "count": len(members),
                "part_numbers": [
                    number
                    for number in (member.evidence_value("part_number") for member in members)
                    if number is not None
                ],
                "keys": [member.key for member in members if member.key],
                "diagnosis": members[0].to_dict(),
            }
            for (rule_id, code), members in ordered
        ]

    def headline(self) -> str:
        """Return one line that says what happened: status, code, message and rule."""
        message = f": {self.error_message}" if self.error_message else ""
        if self.http_status is None and self.error_code is None and self.rule_id.startswith(
            "client-",
        ):  # raised on the client's side: there is no status or Code of its own to show
            return f"client-side failure{message} [{self.rule_id}] {self.title}"
        code = self.error_code or "Unknown"
        status = f"HTTP {self.http_status}" if self.http_status is not None else "HTTP ?"
        return f"{code} ({status}){message} [{self.rule_id}] {self.title}"

    def render(self) -> str:
        """Return the multi-line report shown under the traceback: context, cause, facts, fix."""
        label = dict(self.labels)
        lines = [self._where_line()]
        ids = [f"request_id={self.request_id}"] if self.request_id else []
        if self.trace_id:
            ids.append(f"trace_id={self.trace_id}")
        if ids:
            lines.append("   " + "  ".join(ids))
        lines.append(f"{label.get('cause', 'cause')}: {self.cause}")
        if self.causes:
            lines.append(f"{label.get('causes', 'causes, most likely first')}:")
            lines.extend(self._cause_line(cause, label) for cause in self.causes)
        if self.evidence:
            lines.append(f"{label.get('evidence', 'evidence')}:")
            lines.extend(f"  - {item.text}" for item in self.evidence)
        lines.append(f"{label.get('steps', 'how to fix')}:")
        lines.extend(f"  {number}. {step}" for number, step in enumerate(self.steps, start=1))
        if self.docs:
            lines.append(f"{label.get('docs', 'docs')}:")
            lines.extend(f"  - {link}" for link in self.docs)
        return "\n".join(lines)

    @staticmethod
    def _cause_line(cause: Cause, label: dict[str, str]) -> str:
        line = f"  - [{label.get(cause.confidence, cause.confidence)}] {cause.text}"
        if cause.because:
            line += f" ({label.get('because', 'evidence')}: {', '.join(cause.because)})"
        return line

    def _where_line(self) -> str:
        parts = [self.operation or "request"]
        if self.http_method:
            parts[0] += f" ({self.http_method})"
        if self.bucket:
            parts.append(f"bucket={self.bucket}")
        if self.key:
            parts.append(f"key={self.key}")
        if self.region:
            parts.append(f"region={self.region}")
        return "--> " + "  ".join(parts)
