"""Small helpers the emulator tests share."""

from __future__ import annotations

import crcmod
import pytest
from qcloud_cos.cos_exception import CosServiceError

# CRC-64/ECMA-182 as the SDK's own download check builds it (resumable_downloader.py).
_CRC64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def crc64ecma(data: bytes) -> str:
    """The x-cos-hash-crc64ecma value of ``data``, computed independently of the emulator."""
    return str(_CRC64(data))


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
