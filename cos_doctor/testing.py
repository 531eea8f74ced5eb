"""Helpers for your own tests: a real COS emulator on 127.0.0.1, and cos_doctor's events.

Test your application's COS error handling offline, the way moto lets you test AWS code::

    from cos_doctor.testing import emulated_cos

    def test_archived_download_is_reported(tmp_path):
        with emulated_cos() as cos:
            cos.state.put_object(cos.bucket, "old.log", b"...", storage_class="ARCHIVE")
            with pytest.raises(CosServiceError) as caught:
                cos.client.get_object(Bucket=cos.bucket, Key="old.log")
            assert caught.value.diagnosis.rule_id == "invalid-object-state"

With pytest the same comes as fixtures, registered automatically when cos_doctor is
installed: ``cos_emulator`` (an :class:`EmulatedCos`, cos_doctor installed for the test) and
``cos_doctor_events`` (the list of cos_doctor log events emitted during the test).

``cos.s3`` is a boto3 S3 client on the same emulator (COS's S3-compatible API, AWS SigV4), made
on first use; it needs boto3 (``pip install boto3``).

The emulator needs the ``emulator`` extra: ``pip install 'cos-doctor[emulator]'``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cos_doctor._hook.install import install, uninstall
from cos_doctor._lazy import Lazy

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping

    from qcloud_cos import CosS3Client

    from cos_doctor.emulator import Emulator
    from cos_doctor.emulator.state import EmulatorState

__all__ = ["EmulatedCos", "capture_events", "emulated_cos"]

_INSTALL_HINT = "the COS emulator needs its extra: pip install 'cos-doctor[emulator]'"


@dataclass(frozen=True)
class EmulatedCos:
    """A running emulator and a real ``CosS3Client`` wired to it (default owner key).

    :attr:`s3` adds a boto3 client on the same emulator when a test wants one.
    """

    emulator: Emulator
    client: CosS3Client

    @Lazy
    def s3(self) -> Any:  # a botocore S3 client (its class is generated at run time)
        """A boto3 S3 client on this emulator (default owner key), made on first use."""
        return self.emulator.boto3_client()

    @property
    def state(self) -> EmulatorState:
        """The emulator's accounts, keys, buckets, objects and clock, to misconfigure at will."""
        return self.emulator.state

    @property
    def bucket(self) -> str:
        """The default bucket, ``examplebucket-1250000000``."""
        return self.emulator.bucket

    @property
    def region(self) -> str:
        """The default bucket's region, ``ap-guangzhou``."""
        return self.emulator.region


@contextlib.contextmanager
def emulated_cos(*, diagnose: bool = True, locale: str | None = None) -> Iterator[EmulatedCos]:
    """Start an emulator for the duration of the block; yield it with a configured client.

    With ``diagnose`` (the default) cos_doctor is installed inside the block, in ``locale``,
    and uninstalled on exit if this call installed it. It logs every failure (storm collapsing
    off), so a test sees one event per failed call.
    """
    try:
        from cos_doctor.emulator import Emulator
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise ImportError(_INSTALL_HINT) from error
    with Emulator() as emulator:
        # Storms off: a test sees one event per failed call (install() keeps the setting).
        installed_here = install(locale=locale, storm_window=0) if diagnose else False
        try:
            yield EmulatedCos(emulator=emulator, client=emulator.client())
        finally:
            if installed_here:
                uninstall()


@contextlib.contextmanager
def capture_events() -> Iterator[list[MutableMapping[str, Any]]]:
    """Collect the structlog events emitted inside the block, cos_doctor's among them.

    Each event is a dict: ``event`` (``cos_request_failed``), ``log_level``,
    ``cos_doctor.rule_id`` … (the schema is in the README).
    """
    from structlog.testing import capture_logs

    with capture_logs() as events:
        yield events


def _register_pytest_fixtures() -> dict[str, Any]:
    """Define the fixtures only when pytest is importable; cos_doctor does not need pytest."""
    try:
        import pytest
    except ImportError:  # pragma: no cover - depends on the environment
        return {}

    @pytest.fixture
    def cos_emulator() -> Iterator[EmulatedCos]:
        """A running COS emulator with a real client; cos_doctor installed for the test."""
        with emulated_cos() as cos:
            yield cos

    @pytest.fixture
    def cos_doctor_events() -> Iterator[list[MutableMapping[str, Any]]]:
        """The cos_doctor events logged during the test, as dicts."""
        with capture_events() as events:
            yield events

    return {"cos_emulator": cos_emulator, "cos_doctor_events": cos_doctor_events}


globals().update(_register_pytest_fixtures())
