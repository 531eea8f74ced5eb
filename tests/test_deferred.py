"""The deferred failure path: raised and logged at once, the Diagnosis built when first read."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from qcloud_cos.cos_exception import CosServiceError

import cos_doctor
from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._log.event import event_fields
from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.diagnose import assess
from cos_doctor._pipeline.sources import SecretsSeen
from tests.conftest import BUCKET, SECRET_KEY, make_client
from tests.replies import Reply, ReplyServer, error_xml

EXAMPLES = [(rule, example) for rule in catalogue().rules for example in rule.examples]


def _unread_failure(replies: ReplyServer) -> CosServiceError:
    cos_doctor.install()
    replies.reply = Reply(403, error_xml("AccessDenied", "You are denied by bucket referer rule"))
    with pytest.raises(CosServiceError) as caught:
        make_client(replies.port).get_object(Bucket=BUCKET, Key="photos/cat.jpg")
    return caught.value


def test_the_diagnosis_is_built_when_first_read(replies: ReplyServer) -> None:
    """A failing call raises the diagnosed exception with its Diagnosis unbuilt; the first read builds it once, and every later read gets the same one."""
    error = _unread_failure(replies)
    assert isinstance(error, cos_doctor.CosDiagnosedError)
    assert "diagnosis" not in vars(error)
    diagnosis = error.diagnosis
    assert diagnosis is not None
    assert diagnosis.rule_id == "referer-denied"
    assert vars(error)["diagnosis"] is diagnosis
    assert error.diagnosis is diagnosis


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_an_unread_exception_pickles_its_diagnosis(replies: ReplyServer, protocol: int) -> None:
    """Pickling an exception nobody read builds the Diagnosis and pickles it, sealed, with the rendered note: never what it was built from."""
    error = _unread_failure(replies)
    restored = pickle.loads(pickle.dumps(error, protocol))
    assert restored.diagnosis == error.diagnosis
    assert getattr(restored, "__notes__", None) == getattr(error, "__notes__", None)


def test_an_unread_exception_holds_no_secret_anywhere_public(replies: ReplyServer) -> None:
    """Before its Diagnosis is read, the exception's attributes, repr, str and pickle show neither the client's SecretKey nor what it is kept in."""
    error = _unread_failure(replies)
    assert "diagnosis" not in vars(error)
    shown = [repr(error), repr(vars(error))]
    assert not [text for text in shown if SECRET_KEY in text or "Assessment" in text]
    assert SECRET_KEY.encode() not in pickle.dumps(error)
    assert SECRET_KEY not in str(error)
    assert not [name for name in dir(error) if "Assessment" in repr(getattr(error, name, None))]


def _example_context(example: object) -> RequestContext:
    return RequestContext(
        http_status=example.status,  # type: ignore[attr-defined]
        error_code=example.code,  # type: ignore[attr-defined]
        error_message=example.message,  # type: ignore[attr-defined]
        post_object=example.post_object,  # type: ignore[attr-defined]
        http_method=example.method,  # type: ignore[attr-defined]
        path=f"/{example.key}" if example.key else None,  # type: ignore[attr-defined]
        client_failure=example.client,  # type: ignore[attr-defined]
        bucket=BUCKET,
        key=example.key or "photos/cat.jpg",  # type: ignore[attr-defined]
        region="ap-guangzhou",
        request_id="NjU1ZjA0YjNfMzFhOGMzMGJfYjc0Nl8xMjM0",
        operation="get_object",
    )


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=lambda value: getattr(value, "id", None) or ""
)
def test_the_event_reports_what_the_diagnosis_says(rule: object, example: object) -> None:
    """For every example, the event's fields from the unbuilt assessment are those of the built Diagnosis."""
    context = _example_context(example)
    assert event_fields(assess(context).event()) == event_fields(assess(context).diagnosis)


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=lambda value: getattr(value, "id", None) or ""
)
def test_evidence_worded_when_read_reads_as_worded_at_once(
    rule: object, example: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every example, the Diagnosis whose evidence sentences were worded on first read equals, and pickles as, one whose sentences were worded when found."""
    from cos_doctor._pipeline import diagnose as _diagnose
    from cos_doctor._pipeline.evidence import Facts
    from cos_doctor.diagnosis import Evidence

    context = _example_context(example)
    deferred = assess(context).diagnosis

    class WordedAtOnce(Facts):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **{**kwargs, "unworded": False})  # type: ignore[arg-type]

    monkeypatch.setattr(_diagnose, "Facts", WordedAtOnce)
    eager = assess(context).diagnosis
    assert {type(item) for item in deferred.evidence} <= {Evidence}
    assert deferred == eager
    assert deferred.to_dict() == eager.to_dict()
    assert pickle.dumps(deferred) == pickle.dumps(eager)


@pytest.mark.parametrize(
    ("rule", "example"),
    [(rule, example) for rule, example in EXAMPLES if example.client],  # type: ignore[attr-defined]
    ids=lambda value: getattr(value, "id", None) or "",
)
def test_a_failure_without_a_reply_is_logged_without_building_its_diagnosis(
    rule: object, example: object
) -> None:
    """For every client-side example, the event comes from the unbuilt assessment, and its headline is the one the built Diagnosis gives."""
    from cos_doctor._log.event import _Headline
    from cos_doctor._pipeline.diagnose import EventFacts

    context = _example_context(example)
    assessment = assess(context)
    event = assessment.event()
    assert isinstance(event, EventFacts)
    assert "diagnosis" not in vars(assessment)
    fields = event_fields(event)
    built = assess(context).diagnosis
    assert event.title == built.title
    assert str(_Headline(fields, event)) == str(_Headline(event_fields(built), built))


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=lambda value: getattr(value, "id", None) or ""
)
def test_the_event_s_facts_are_the_record_its_constructor_builds(
    rule: object, example: object
) -> None:
    """The EventFacts an event reports equals, hashes and lists its fields as the one EventFacts() builds from the same values."""
    from cos_doctor._pipeline.diagnose import EventFacts

    event = assess(_example_context(example)).event()
    if not isinstance(event, EventFacts):
        return  # sealed: the event is the Diagnosis itself
    names = [field.name for field in dataclasses.fields(EventFacts)]
    built = EventFacts(**{name: getattr(event, name) for name in names})
    assert list(vars(event)) == list(vars(built)) == names
    assert event == built
    assert hash(event) == hash(built)
    assert repr(event) == repr(built)


def test_a_secret_in_a_title_value_of_a_failure_without_a_reply_seals_the_event() -> None:
    """A failure with no reply whose title would quote one of the request's secrets is logged from the sealed Diagnosis."""
    from cos_doctor._log.event import _Headline

    context = RequestContext(
        client_failure="connection-refused",
        error_message="Connection refused",
        http_method="GET",
        fills={"host": f"{SECRET_KEY}.example"},
        secrets=SecretsSeen(secret_key=SECRET_KEY),
    )
    event = assess(context).event()
    headline = str(_Headline(event_fields(event), event))
    assert SECRET_KEY not in headline
    assert "<redacted>" in headline


def test_an_event_whose_values_hold_a_secret_is_reported_sealed() -> None:
    """When a value the event reports holds one of the request's secrets, the event is the sealed Diagnosis's."""
    context = dataclasses.replace(
        _example_context(EXAMPLES[0][1]),
        error_message=f"denied for key {SECRET_KEY}",
        secrets=SecretsSeen(secret_key=SECRET_KEY),
    )
    fields = event_fields(assess(context).event())
    assert SECRET_KEY not in repr(fields)
    assert fields == event_fields(assess(context).diagnosis)


def test_a_client_failure_never_gets_a_code_from_its_message() -> None:
    """A failure that got no reply keeps no Code even when its exception's text is a Message COS sends with one Code."""
    context = RequestContext(
        client_failure="connection-reset",
        error_message="The specified key does not exist.",
        http_method="GET",
    )
    diagnosis = assess(context).diagnosis
    assert diagnosis.rule_id == "client-connection-reset"
    assert diagnosis.error_code is None
    assert diagnosis.evidence_value("code_inferred_from_message") is None


def test_a_diagnosis_that_fails_to_build_when_read_leaves_the_sdk_exception_as_it_was(
    replies: ReplyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If building the Diagnosis fails on first read, .diagnosis is None, str() is the SDK's, the getters answer, and the failure is logged, never raised."""
    from structlog.testing import capture_logs

    from cos_doctor._pipeline import diagnose as _diagnose

    def boom(*_: object) -> tuple[object, ...]:
        raise RuntimeError("cause ranking exploded")

    monkeypatch.setattr(_diagnose, "rank_causes", boom)
    error = _unread_failure(replies)
    with capture_logs() as events:
        assert error.diagnosis is None
    assert str(error) == CosServiceError.__str__(error)
    assert error.get_error_code() == "AccessDenied"
    assert [event["event"] for event in events] == ["cos_doctor_internal_error"]
    assert "cause ranking exploded" in events[0]["exception.message"]


def _holding(condition: object) -> object:
    """A value of a condition's evidence that satisfies it."""
    if condition.below is not None:  # type: ignore[attr-defined]
        return condition.below - 1  # type: ignore[attr-defined]
    if condition.prefixes:  # type: ignore[attr-defined]
        return condition.prefixes[0] + "x"  # type: ignore[attr-defined]
    return condition.values[0] if condition.values else "any"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "rule",
    [rule for rule in catalogue().rules if any(cause.likely_when for cause in rule.causes)],
    ids=lambda rule: rule.id,
)
def test_the_event_s_causes_follow_each_failure_s_own_evidence(rule: object) -> None:
    """The event's ranked causes, reused for repeated evidence, are what each failure's own evidence ranks."""
    from cos_doctor._pipeline.diagnose import _causes_seen, _rank_seen

    condition = next(c for cause in rule.causes for c in cause.likely_when)  # type: ignore[attr-defined]
    holding = {condition.evidence: _holding(condition)}
    listed = {condition.evidence: [_holding(condition)]}  # no key: ranked each time
    outcomes = []
    for observed in ({}, holding, {}, holding, listed):
        seen = _causes_seen(rule, observed)  # type: ignore[arg-type]
        assert seen == _rank_seen(rule, observed)  # type: ignore[arg-type]
        outcomes.append(seen)
    assert outcomes[0] != outcomes[1]  # the evidence decides: a cache by rule alone would fail
