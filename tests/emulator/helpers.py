"""Small helpers the emulator tests share."""

from __future__ import annotations

import pytest
from qcloud_cos.cos_exception import CosServiceError


def failure(call, *args, **kwargs) -> CosServiceError:
    """Call ``call`` and return the CosServiceError it must raise."""
    with pytest.raises(CosServiceError) as caught:
        call(*args, **kwargs)
    return caught.value


def read(response) -> bytes:
    """Read a get_object response's body to the end and close its stream."""
    body = response["Body"]
    try:
        return b"".join(body.get_stream())
    finally:
        body.get_raw_stream().close()
