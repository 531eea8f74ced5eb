"""Facts about a request that got no usable reply: host, config, retries, timeouts, TLS, proxies.

Read from the client's configuration and the SDK's retry loop (``RequestContext.settings``,
``attempts``, ``retry_log``) and from the process environment (proxy variables, whose
credentials are never shown). Pasted text yields only what the text itself says.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from cos_doctor._knowledge.catalogue import catalogue
from cos_doctor._pipeline.evidence.buckets import bucket_name_problems
from cos_doctor._pipeline.evidence.registry import Facts, detector
from cos_doctor._redact import PROXY_VARIABLES, strip_userinfo

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

_TLS = (
    "client-tls-failure",
    "client-tls-plain-port",
    "client-tls-untrusted",
    "client-tls-expired",
    "client-tls-hostname",
)
_PROXY = ("client-proxy-failure", "client-proxy-auth", "client-proxy-scheme")
_NETWORK = (
    "client-dns-failure",
    "client-connection-refused",
    "client-connection-reset",
    "client-connect-timeout",
    "client-read-timeout",
    *_TLS,
    *_PROXY,
    "client-body-interrupted",
    "client-too-many-open-files",
    "client-unrecognized",
)
_NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")
#: The domains the SDK appends to a Region (EnableOldDomain picks one).
_COS_DOMAINS = (".myqcloud.com", ".tencentcos.cn")


@functools.cache
def known_regions() -> frozenset[str]:
    """The COS regions shipped in ``knowledge/regions.toml``."""
    return frozenset(catalogue().regions)


@detector()
def _attempts(facts: Facts) -> Iterator[Evidence]:
    context = facts.context
    if context.attempts is None:
        return
    retry = context.settings.retry if context.settings else None
    yield facts.say("attempts", context.attempts, retry="?" if retry is None else retry)
    # The SDK sleeps j seconds before attempt j+1 (time.sleep(j) in send_request's loop).
    slept = sum(range(1, context.attempts))
    if slept:
        yield facts.say("retry_sleep_seconds", slept)


@detector(*_NETWORK)
def _failed_host(facts: Facts) -> Iterator[Evidence]:
    host = facts.context.fills.get("host")
    if host:
        yield facts.say("failed_host", host)


@detector(
    "client-dns-failure",
    "client-connection-refused",
    "client-connect-timeout",
    *_TLS,
)
def _host_source(facts: Facts) -> Iterator[Evidence]:
    """Which setting produced the host that failed: IP, Domain, a custom Endpoint, or Region."""
    settings = facts.context.settings
    if settings is None:
        return
    if settings.ip:
        yield facts.say("host_source", "ip", "ip", setting=settings.ip)
    elif settings.domain:
        yield facts.say("host_source", "domain", "domain", setting=settings.domain)
    elif settings.endpoint and settings.endpoint not in _region_hosts(settings.region):
        yield facts.say("host_source", "endpoint", "endpoint", setting=settings.endpoint)
    elif settings.region:
        yield facts.say("host_source", "region", "region", setting=settings.region)


def _region_hosts(region: str | None) -> tuple[str, ...]:
    """The hosts the SDK makes of ``region`` alone (an Endpoint equal to one is the Region's)."""
    # format_region keeps a Region that already holds "cos." as it is, then appends .myqcloud.com.
    return (f"cos.{region}.myqcloud.com", f"{region}.myqcloud.com") if region else ()


@detector("client-dns-failure", "client-connect-timeout", "client-unrecognized")
def _region_known(facts: Facts) -> Iterator[Evidence]:
    settings = facts.context.settings
    region = settings.region if settings else facts.context.region
    if not region:
        return
    known = region in known_regions()
    yield facts.say("region_known", known, "yes" if known else "no", region=region)


@detector("client-dns-failure", "client-unrecognized")
def _region_not_an_id(facts: Facts) -> Iterator[Evidence]:
    """A Region that passes the SDK's check yet cannot make a host: an endpoint, a line break.

    format_region accepts letters, digits, '.' and '-' through ``re.match(...$)``, and ``$``
    also matches before a final newline. An endpoint gains a second .myqcloud.com; a newline
    reaches DNS as %0a (urllib3 1.26) or is refused by urllib3 2's URL parser.
    """
    settings = facts.context.settings
    region = settings.region if settings else None
    if region and region != region.strip():
        yield facts.say("region_malformed", repr(region), "whitespace")
    elif region and any(domain in region for domain in _COS_DOMAINS):
        yield facts.say("region_malformed", region, "endpoint", region=region)
    elif settings is None:  # pasted text: only the host says what the Region was
        host = facts.context.fills.get("host") or ""
        if any(host.endswith(f"{domain}{domain}") for domain in _COS_DOMAINS):
            yield facts.say("region_malformed", host, "doubled-host")


@detector("client-dns-failure", "client-unrecognized", "client-bucket-name-invalid")
def _bucket_format(facts: Facts) -> Iterator[Evidence]:
    bucket = facts.context.bucket
    if not bucket:
        return
    good = not bucket_name_problems(bucket, None)
    yield facts.say("bucket_well_formed", good, "yes" if good else "no", bucket=bucket)


@detector("client-connect-timeout", "client-read-timeout")
def _timeout(facts: Facts) -> Iterator[Evidence]:
    context = facts.context
    if context.timeout is None:
        return
    configured = context.settings.timeout if context.settings else None
    variant = "configured" if configured is not None else "default"
    yield facts.say("timeout_seconds", context.timeout, variant)


@detector(*_TLS)
def _tls(facts: Facts) -> Iterator[Evidence]:
    settings = facts.context.settings
    if settings is None:
        return
    if settings.scheme:
        yield facts.say("scheme", settings.scheme)
    verify = settings.verify_ssl
    shown = verify if isinstance(verify, (bool, str)) else None
    yield facts.say("verify_ssl", shown, "default" if shown is None else "set")


@detector(
    *_PROXY,
    *_TLS,
    "client-connection-reset",
    "client-connect-timeout",
    "client-read-timeout",
)
def _proxies(facts: Facts) -> Iterator[Evidence]:
    settings = facts.context.settings
    if settings is not None and settings.proxies:
        shown = tuple(f"{scheme}={url}" for scheme, url in settings.proxies)
        yield facts.say("proxy_configured", shown, proxies=", ".join(shown))
    if not facts.context.live:
        return  # pasted text: this process's environment says nothing about the sender's
    variables = tuple(
        f"{name}={strip_userinfo(os.environ[name])}"
        for name in PROXY_VARIABLES
        if os.environ.get(name)
    )
    if variables:
        client = "cos_sdk" if facts.context.botocore is None else "botocore"
        yield facts.say("proxy_environment", variables, client, proxies=", ".join(variables))
    for name in _NO_PROXY_VARIABLES:
        if os.environ.get(name):
            yield facts.say("no_proxy", os.environ[name], name=name)
            break


@detector()
def _primary_domain(facts: Facts) -> Iterator[Evidence]:
    """AutoSwitchDomainOnRetry: what the first (myqcloud.com) host answered before the switch."""
    context = facts.context
    primary = context.primary_host
    if not primary:
        return
    lines = [line for line in context.retry_log if f"//{primary}" in line]
    if lines:
        answer = lines[-1].partition("exception:")[2].strip()[:300] or lines[-1][:300]
        yield facts.say("primary_domain_answer", answer, "exception", host=primary)
    else:
        yield facts.say("primary_domain_answer", None, "reply", host=primary)


@detector(*_NETWORK)
def _exception_chain(facts: Facts) -> Iterator[Evidence]:
    types = facts.context.exception_types
    if types:
        yield facts.say("exception_chain", types, chain=" ← ".join(types))


@detector()
def _error_in_ok_reply(facts: Facts) -> Iterator[Evidence]:
    context = facts.context
    if context.client_failure is None and context.http_status == 200 and context.error_code:
        yield facts.say("error_in_ok_reply", value=True)
