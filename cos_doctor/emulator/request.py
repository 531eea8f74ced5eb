"""One incoming request, read the way COS reads it.

COS is virtual-hosted: the bucket and region come from the ``Host`` header, not the URL, so a
client can connect to 127.0.0.1 and still address ``<bucket>.cos.<region>.myqcloud.com``. A
path-style request (``cos.<region>.myqcloud.com/<bucket>/<key>``, as S3 clients may send) names
the bucket in the first path segment instead; whether COS serves it is the router's call. The
path is percent-decoded once (``%2B`` is ``+``), the query form-decoded (``+`` is a space), and
header bytes are read as the UTF-8 the SDK sends rather than the latin-1 http.server assumes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

# <bucket>-<appid>.cos.<region>.myqcloud.com (or the newer tencentcos.cn domain).
_BUCKET_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9-]*-\d+)\.cos\.(?P<region>[a-z0-9-]+)"
    r"\.(?:myqcloud\.com|tencentcos\.cn)$"
)
# <bucket>.cos.<region>.myqcloud.com without the -<appid> suffix COS requires.
_APPIDLESS_HOST = re.compile(
    r"^[a-z0-9][a-z0-9-]*\.cos\.[a-z0-9-]+\.(?:myqcloud\.com|tencentcos\.cn)$"
)
# cos.<region>.myqcloud.com: path-style, which COS refuses for buckets made since 2024.
_REGION_HOST = re.compile(r"^cos\.(?P<region>[a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)$")
# A bucket name with its -<appid> suffix, as the first segment of a path-style path.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*-\d+$")
SERVICE_HOSTS = frozenset({"service.cos.myqcloud.com", "service.cos.tencentcos.cn"})


def bucket_host(host: str) -> tuple[str, str] | None:
    """Split a bucket host name into (bucket, region); ``None`` if it is not one."""
    match = _BUCKET_HOST.match(host)
    return (match["bucket"], match["region"]) if match else None


def wire_text(value: str) -> str:
    """Undo http.server's latin-1 reading of header bytes: return the UTF-8 text sent."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


@dataclass(frozen=True)
class CosRequest:
    """The parts of an HTTP request that COS acts on."""

    method: str
    host: str
    #: Decoded path, starting with ``/``; everything after the first ``/`` is the object key.
    path: str
    #: Query parameters, form-decoded, blank values kept (``?acl`` → ``{"acl": ""}``).
    query: dict[str, str]
    #: Headers with lowercase names and UTF-8 values.
    headers: dict[str, str]
    body: bytes
    remote_addr: str

    @classmethod
    def from_werkzeug(cls, request: Request, body: bytes | None = None) -> CosRequest:
        """Read a werkzeug request; the raw request line is preferred over PATH_INFO.

        ``body``, when given, is the body already read (the app bounds its length).
        """
        environ = request.environ
        raw_target = wire_text(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
        if raw_target:
            # An absolute-form target ("GET http://host/key") arrives when the client was
            # told to use the emulator as its HTTP proxy.
            raw_path = urlsplit(raw_target).path if "://" in raw_target else raw_target
            path = unquote(raw_path.split("?", 1)[0])
        else:
            path = request.path
        host = wire_text(request.headers.get("Host", "")).strip().lower()
        query_text = wire_text(environ.get("QUERY_STRING", ""))
        return cls(
            method=request.method.upper(),
            host=host.rsplit(":", 1)[0] if re.search(r":\d+$", host) else host,
            path=path if path.startswith("/") else "/" + path,
            query=dict(parse_qsl(query_text, keep_blank_values=True)),
            headers={name.lower(): wire_text(value) for name, value in request.headers.items()},
            body=request.get_data(cache=True) if body is None else body,
            remote_addr=request.remote_addr or "",
        )

    @property
    def key(self) -> str:
        """The object key ('' for bucket-level requests); path-style: after the bucket segment."""
        if self.is_path_style:
            return self.path[1:].partition("/")[2]
        return self.path[1:]

    @property
    def bucket_name(self) -> str | None:
        """The bucket the Host names (path-style: the path's first segment), if any."""
        if self.is_path_style:
            segment = self.path[1:].partition("/")[0]
            return segment if _BUCKET_NAME.match(segment) else None
        parsed = bucket_host(self.host)
        return parsed[0] if parsed else None

    @property
    def region(self) -> str | None:
        """The region the Host names, if any."""
        match = _BUCKET_HOST.match(self.host) or _REGION_HOST.match(self.host)
        return match["region"] if match else None

    @property
    def is_service(self) -> bool:
        """Whether this is addressed to the service endpoint (GET Service lists buckets)."""
        return self.host in SERVICE_HOSTS

    @property
    def is_path_style(self) -> bool:
        """Whether the Host is a bare regional endpoint, the bucket being in the path."""
        return _REGION_HOST.match(self.host) is not None

    @property
    def lacks_appid(self) -> bool:
        """Whether the Host names a bucket without its ``-<APPID>`` suffix."""
        return not self.is_path_style and _APPIDLESS_HOST.match(self.host) is not None

    @property
    def resource(self) -> str:
        """What an error's ``<Resource>`` shows: the host, plus the path for objects."""
        return self.host + self.path if self.key else self.host

    def header(self, name: str, default: str = "") -> str:
        """A header value by case-insensitive name."""
        return self.headers.get(name.lower(), default)
