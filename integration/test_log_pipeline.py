"""A log pipeline that ships cos_doctor's events to COS from a worker thread of its own never loops."""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError
from structlog.testing import capture_logs

import cos_doctor
from cos_doctor._log.event import EVENT, STORM_EVENT

LOG_BUCKET = "missing-logs-1250000000"  # the emulator has no such bucket: every upload fails
MOST_UPLOADS = 50  # a loop shows itself long before this; the worker stops here either way


def _ship_from_a_worker(
    client: Any, shipped: queue.Queue[str]
) -> tuple[threading.Thread, list[str]]:
    """Start the application's shipper: it uploads each queued event as its own object."""
    failures: list[str] = []

    def work() -> None:
        body = shipped.get(timeout=30)
        for number in range(MOST_UPLOADS):
            try:
                client.put_object(Bucket=LOG_BUCKET, Key=f"logs/{number}.json", Body=body)
            except CosServiceError as error:
                failures.append(error.get_error_code())
            # A failure the hook logs is queued before put_object returns: an empty queue now
            # means the loop is over.
            try:
                body = shipped.get_nowait()
            except queue.Empty:
                return

    worker = threading.Thread(target=work)
    worker.start()
    return worker, failures


def test_a_structlog_processor_queueing_events_for_a_shipping_thread_logs_one_failure_once(
    emulator: Any,
) -> None:
    """User failure -> one event; the worker's failed upload of it is diagnosed, not logged again."""
    client = emulator.client()
    cos_doctor.install(storm_window=0)
    shipped: queue.Queue[str] = queue.Queue()

    def queue_for_shipping(
        logger: object, method: str, event_dict: dict[str, Any]
    ) -> dict[str, Any]:
        shipped.put(json.dumps(event_dict, default=str))
        return event_dict

    with capture_logs(processors=[queue_for_shipping]) as events:
        worker, failures = _ship_from_a_worker(client, shipped)
        with pytest.raises(CosServiceError):
            client.get_object(Bucket=emulator.bucket, Key="missing.txt")
        worker.join(60)
    assert not worker.is_alive()
    assert [event["event"] for event in events] == [EVENT]
    assert events[0]["cos_doctor.rule_id"] == "no-such-key"
    assert failures == ["NoSuchBucket"]  # the one upload failed, and nothing more was queued


def test_a_logging_handler_queueing_records_for_a_shipping_thread_logs_one_failure_once(
    emulator: Any,
) -> None:
    """The same through the stdlib logger: a handler queues the record's fields, a worker uploads them."""
    client = emulator.client()
    cos_doctor.install(storm_window=0)
    shipped: queue.Queue[str] = queue.Queue()
    emitted: list[str] = []

    class QueueFields(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            emitted.append(record.getMessage())
            fields = {name: value for name, value in vars(record).items() if "." in name}
            shipped.put(json.dumps({"message": record.getMessage(), **fields}, default=str))

    logger = logging.getLogger("cos_doctor")
    handler = QueueFields()
    logger.addHandler(handler)
    try:
        worker, failures = _ship_from_a_worker(client, shipped)
        with pytest.raises(CosServiceError):
            client.get_object(Bucket=emulator.bucket, Key="missing.txt")
        worker.join(60)
    finally:
        logger.removeHandler(handler)
    assert not worker.is_alive()
    assert len(emitted) == 1
    assert emitted[0].startswith(f"{EVENT}: NoSuchKey")
    assert failures == ["NoSuchBucket"]


def test_every_event_carries_an_id_of_its_own(emulator: Any) -> None:
    """cos_doctor.event_id is on the failure event and on the storm summary, different on each."""
    client = emulator.client()
    cos_doctor.install()
    with capture_logs() as events:
        for _ in range(3):
            with pytest.raises(CosServiceError):
                client.get_object(Bucket=emulator.bucket, Key="missing.txt")
        cos_doctor.uninstall()  # closes the storm: its summary goes out
    assert [event["event"] for event in events] == [EVENT, STORM_EVENT]
    assert len({event["cos_doctor.event_id"] for event in events}) == 2
