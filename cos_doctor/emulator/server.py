"""Run the emulator on 127.0.0.1 in a background thread, and wire SDK clients to it.

::

    with Emulator() as cos:
        client = cos.client()                      # the default owner key
        client.put_object(Bucket=cos.bucket, Key="a.txt", Body=b"hi")
        cos.state.set_key_enabled(DEFAULT_OWNER_SECRET_ID, enabled=False)  # InvalidAccessKeyId

Clients connect to the emulator's IP and port while sending the real COS ``Host``
(``CosConfig(IP=..., Port=...)``), so the SDK signs exactly what it would sign for Tencent.
SDK helpers that build their own URL from the bucket's real host name — ``copy()``'s HEAD of
the source, ``list_buckets()`` — only reach the emulator with ``client(via_proxy=True)``, which
makes the emulator the client's HTTP proxy instead.

:meth:`Emulator.boto3_client` wires boto3 the same proxy way: it talks to COS's S3-compatible
endpoint ``http://cos.<region>.myqcloud.com`` with AWS SigV4, and the emulator verifies that::

    s3 = cos.boto3_client()                        # needs boto3 (pip install boto3)
    s3.put_object(Bucket=cos.bucket, Key="a.txt", Body=b"hi")
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from cos_doctor.emulator.app import EmulatorApp
from cos_doctor.emulator.config import (
    DEFAULT_BUCKET,
    DEFAULT_OWNER_SECRET_ID,
    DEFAULT_REGION,
    default_state,
)

if TYPE_CHECKING:
    import requests
    from qcloud_cos import CosS3Client
    from typing_extensions import Self

    from cos_doctor.emulator.state import EmulatorState

LOOPBACK = "127.0.0.1"
_BOTO3_HINT = "Emulator.boto3_client() needs boto3: pip install boto3"


class _QuietHandler(WSGIRequestHandler):
    """Leaves ``Server`` and ``Date`` to the app (COS's values) and logs no request lines."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # noqa: ARG002
        return


class _LoggingHandler(_QuietHandler):
    """Like :class:`_QuietHandler`, but logs each request line (``--verbose``)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        WSGIRequestHandler.log_request(self, code, size)


class Emulator:
    """A COS emulator serving on ``127.0.0.1:<port>`` until :meth:`stop` (or ``with`` exit)."""

    def __init__(
        self, state: EmulatorState | None = None, *, port: int = 0, verbose: bool = False
    ) -> None:
        """Serve ``state`` (default: :func:`~cos_doctor.emulator.config.default_state`).

        ``port=0`` picks a free port; :attr:`port` tells which once started.
        """
        self.state = state if state is not None else default_state()
        self._requested_port = port
        self._handler = _LoggingHandler if verbose else _QuietHandler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._session: requests.Session | None = None

    # Lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and start serving in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        server = make_server(
            LOOPBACK,
            self._requested_port,
            EmulatorApp(self.state),
            threaded=True,
            request_handler=self._handler,
        )
        self._server = server
        # A short poll keeps stop() quick for per-test emulators (shutdown waits one poll).
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cos-emulator-{server.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release the port and close the clients' connections."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._session is not None:
            self._session.close()
        self._server = self._thread = self._session = None

    def __enter__(self) -> Self:
        """Start on entering a ``with`` block."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop on leaving it."""
        self.stop()

    # Addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port served (only once started)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.port

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def bucket(self) -> str:
        """The default bucket's name."""
        return DEFAULT_BUCKET

    @property
    def region(self) -> str:
        """The default bucket's region."""
        return DEFAULT_REGION

    def host(self, bucket: str = DEFAULT_BUCKET) -> str:
        """The real COS host name of ``bucket`` (what to send as ``Host``)."""
        region = (
            self.state.bucket(bucket).region if bucket in self.state.buckets else DEFAULT_REGION
        )
        return f"{bucket}.cos.{region}.myqcloud.com"

    def url(self, key: str = "", bucket: str = DEFAULT_BUCKET) -> tuple[str, dict[str, str]]:
        """A local URL for ``key`` and the headers to send with it (the bucket's ``Host``)."""
        return f"{self.endpoint}/{quote(key, safe='/-_.~')}", {"Host": self.host(bucket)}

    def localize(self, url: str) -> tuple[str, dict[str, str]]:
        """Turn a real COS URL (e.g. a presigned URL) into a local URL plus its ``Host``."""
        parts = urlsplit(url)
        local = urlunsplit(("http", f"{LOOPBACK}:{self.port}", parts.path, parts.query, ""))
        return local, {"Host": parts.netloc}

    # SDK clients -----------------------------------------------------------------------------

    def client(  # noqa: PLR0913 - one switch per way a test wires a client
        self,
        secret_id: str | None = None,
        secret_key: str | None = None,
        token: str | None = None,
        *,
        region: str = DEFAULT_REGION,
        anonymous: bool = False,
        via_proxy: bool = False,
    ) -> CosS3Client:
        """A real ``CosS3Client`` (``retry=0``) wired to this emulator.

        Without arguments it uses the default owner key; with only ``secret_id`` the secret
        key is looked up in the state. Connections are closed by :meth:`stop`.
        """
        from qcloud_cos import CosConfig, CosS3Client

        settings: dict[str, Any] = {"Region": region, "Scheme": "http"}
        if anonymous:
            settings["Anonymous"] = True
        else:
            secret_id = secret_id or DEFAULT_OWNER_SECRET_ID
            if secret_key is None:
                secret_key = self.state.keys[secret_id].secret_key
            settings.update(SecretId=secret_id, SecretKey=secret_key, Token=token)
        if via_proxy:
            settings["Proxies"] = {"http": self.endpoint}
        else:
            settings.update(IP=LOOPBACK, Port=self.port)
        return CosS3Client(CosConfig(**settings), retry=0, session=self._client_session())

    def _client_session(self) -> requests.Session:
        import requests

        if self._session is None:
            self._session = requests.Session()
            # Environment proxies (HTTP_PROXY, NO_PROXY) must not reroute the emulator's traffic.
            self._session.trust_env = False
        return self._session

    def boto3_client(  # noqa: PLR0913 - the same switches as client(), plus the S3 ones
        self,
        secret_id: str | None = None,
        secret_key: str | None = None,
        token: str | None = None,
        *,
        region: str = DEFAULT_REGION,
        addressing_style: str = "virtual",
        endpoint_url: str | None = None,
        config: Any = None,
        anonymous: bool = False,
    ) -> Any:  # a botocore S3 client: botocore generates its class at run time
        """A real boto3 S3 client (SigV4, no retries) reaching this emulator as its HTTP proxy.

        It addresses COS's S3-compatible endpoint ``http://cos.<region>.myqcloud.com`` (or
        ``endpoint_url``, e.g. a bucket's own domain), ``virtual`` (bucket in the host name) or
        ``path`` addressed. Keys as for :meth:`client`; ``token`` is a temporary key's token.
        ``config``, a ``botocore.config.Config``, is merged over these settings (the proxy stays).
        ``anonymous`` sends unsigned requests, as a browser would.
        """
        try:
            import boto3
            from botocore import UNSIGNED
            from botocore.config import Config
        except ImportError as missing:
            raise ImportError(_BOTO3_HINT) from missing
        endpoint_url = endpoint_url or f"http://cos.{region}.myqcloud.com"
        if not endpoint_url.startswith("http://"):
            # The emulator is a plain-HTTP proxy: it cannot answer an HTTPS tunnel (CONNECT).
            raise ValueError(f"the emulator serves plain HTTP; got {endpoint_url!r}")
        secret_id = secret_id or DEFAULT_OWNER_SECRET_ID
        if secret_key is None:
            secret_key = self.state.keys[secret_id].secret_key
        settings = Config(
            signature_version=UNSIGNED if anonymous else "s3v4", retries={"total_max_attempts": 1}
        )
        s3_settings = {"addressing_style": addressing_style}
        if config is not None:
            settings = settings.merge(config)
            s3_settings.update(config.s3 or {})
        # Config.merge replaces the whole s3 dict, so the two are combined by hand.
        settings = settings.merge(Config(s3=s3_settings, proxies={"http": self.endpoint}))
        session = boto3.session.Session(
            aws_access_key_id=secret_id,
            aws_secret_access_key=secret_key,
            aws_session_token=token,
            region_name=region,
        )
        return session.client("s3", endpoint_url=endpoint_url, config=settings)
