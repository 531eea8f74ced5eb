"""Lazy wording: title, cause, steps and the exception note appear on first access, unchanged."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
import textwrap
import threading
import traceback

import pytest
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor.diagnosis import Diagnosis
from tests.conftest import BUCKET, make_client
from tests.replies import Reply, ReplyServer, error_xml

FAILURES = {
    "access-denied": Reply(403, error_xml("AccessDenied", "Access Denied.")),
    "no-such-key": Reply(404, error_xml("NoSuchKey", "The specified key does not exist.")),
    "unrecognized-403": Reply(403),
    "slow-down": Reply(503, error_xml("SlowDown", "Please reduce your request rate.")),
}


def _eager_twin(diagnosis: Diagnosis) -> Diagnosis:
    """The same diagnosis built the eager way, from already worded fields."""
    return Diagnosis(
        **{field.name: getattr(diagnosis, field.name) for field in dataclasses.fields(Diagnosis)}
    )


def _fail(replies: ReplyServer, reply: Reply) -> CosServiceError:
    client = make_client(replies.port)
    replies.reply = reply
    with pytest.raises(CosServiceError) as caught:
        client.get_object(Bucket=BUCKET, Key="logs/app.log")
    return caught.value


@pytest.mark.parametrize("rule_id", sorted(FAILURES))
def test_the_event_never_words_the_diagnosis(replies: ReplyServer, rule_id: str) -> None:
    """Logging a failure leaves the prose and the note unworded until someone reads them."""
    cos_doctor.install()
    with capture_logs() as events:
        error = _fail(replies, FAILURES[rule_id])
    assert events[0]["cos_doctor.rule_id"] == rule_id
    assert "_wording" in error.diagnosis.__dict__
    assert "title" not in error.diagnosis.__dict__
    assert "_cos_doctor_notes" not in error.__dict__


@pytest.mark.parametrize("rule_id", sorted(FAILURES))
def test_a_lazily_worded_diagnosis_equals_its_eager_twin_everywhere(
    replies: ReplyServer, rule_id: str
) -> None:
    """Equality, repr, to_dict, render and pickles (every protocol) are those of the eager form."""
    cos_doctor.install()
    lazy = _fail(replies, FAILURES[rule_id]).diagnosis
    fresh = copy.copy(lazy)  # copies go through __getstate__ too
    pickled = {
        protocol: pickle.dumps(lazy, protocol) for protocol in range(pickle.HIGHEST_PROTOCOL + 1)
    }
    eager = _eager_twin(lazy)
    assert lazy == eager == fresh
    assert repr(lazy) == repr(eager)
    assert lazy.to_dict() == eager.to_dict()
    assert lazy.render() == eager.render()
    assert "{" not in lazy.title + lazy.cause + "".join(lazy.steps)  # every placeholder filled
    for protocol, data in pickled.items():
        assert data == pickle.dumps(eager, protocol)
        assert pickle.loads(data) == eager


def test_threads_reading_a_fresh_diagnosis_all_see_the_same_words(replies: ReplyServer) -> None:
    """Eight threads reading title, steps and the note at once get one consistent text."""
    cos_doctor.install()
    error = _fail(replies, FAILURES["access-denied"])
    start = threading.Barrier(8)
    seen: list[tuple] = []

    def read() -> None:
        start.wait()
        seen.append(
            (error.diagnosis.steps, error.diagnosis.title, tuple(getattr(error, "__notes__", ())))
        )

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(set(seen)) == 1


def test_the_traceback_str_and_pickle_of_the_exception_are_as_if_worded_at_once(
    replies: ReplyServer,
) -> None:
    """format_exception, str(e), notes and a pickled copy: the same before and after first access."""
    cos_doctor.install()
    lazy = _fail(replies, FAILURES["access-denied"])
    eager = _fail(replies, FAILURES["access-denied"])
    eager_notes = list(getattr(eager, "__notes__", []))  # worded now, before anything else
    first = "".join(traceback.format_exception(type(lazy), lazy, lazy.__traceback__))
    second = "".join(traceback.format_exception(type(lazy), lazy, lazy.__traceback__))
    assert first == second
    assert str(lazy) == str(eager)
    assert list(getattr(lazy, "__notes__", [])) == eager_notes
    report = lazy.diagnosis.render()
    assert report in first if sys.version_info >= (3, 11) else report in str(lazy)
    restored = pickle.loads(pickle.dumps(lazy))
    assert str(restored) == str(lazy)
    assert getattr(restored, "__notes__", None) == getattr(lazy, "__notes__", None)
    assert restored.diagnosis == lazy.diagnosis


@pytest.mark.skipif(sys.version_info < (3, 11), reason="add_note() and printed notes are 3.11+")
def test_add_note_appends_after_the_report(replies: ReplyServer) -> None:
    """An application's own add_note() lands after cos_doctor's report, in the same list."""
    cos_doctor.install()
    error = _fail(replies, FAILURES["no-such-key"])
    error.add_note("while syncing reports")
    assert error.__notes__ == [error.diagnosis.render(), "while syncing reports"]


def test_the_interpreter_s_own_traceback_printer_shows_the_report() -> None:
    """An uncaught diagnosed error, printed by the interpreter itself, shows the full report."""
    script = textwrap.dedent(
        """
        from qcloud_cos.cos_exception import CosServiceError
        import cos_doctor
        from cos_doctor.errors import diagnosed_copy
        body = "<?xml version='1.0'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
        error = CosServiceError("GET", body, 404)
        diagnosis = cos_doctor.diagnose(error)
        print(diagnosis.render(), end="")
        raise diagnosed_copy(error, cos_doctor.diagnose(error))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stdout
    assert done.stdout in done.stderr  # the note (3.11+) or str(e) (3.9, 3.10) carries it all
