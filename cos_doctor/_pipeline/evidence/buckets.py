"""Bucket names and regions: which naming rule a name breaks, whether a region is a COS ID."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cos_doctor._pipeline.evidence.registry import Facts, detector

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cos_doctor.diagnosis import Evidence

#: The whole request domain name <BucketName-APPID>.cos.<region>.myqcloud.com.
MAX_DOMAIN = 60
_ALLOWED = re.compile(r"[a-z0-9-]+")
#: The one definition of a bucket name's ``-APPID`` suffix. APPIDs are system-assigned numbers
#: (1250000000 in the Bucket Overview, 436/13312); five or more digits keep a year or a
#: sequence number (``backup-2024``) from passing for one. ``\Z``: a trailing newline is no APPID.
APPID_SUFFIX = re.compile(r"-([0-9]{5,})\Z")
#: COS region IDs: ap-guangzhou, na-siliconvalley, ap-shenzhen-fsi, eu-frankfurt …
_REGION_ID = re.compile(r"^[a-z]{2}-[a-z]+(?:-[a-z0-9]+)*$")


def appid_of(bucket: str) -> str | None:
    """The APPID a full bucket name ``<name>-<APPID>`` ends in, or None when it has none."""
    found = APPID_SUFFIX.search(bucket)
    return found.group(1) if found else None


def bucket_name_problems(bucket: str, region: str | None) -> list[str]:
    """Return the naming rules ``bucket`` breaks, in the order a user would fix them.

    Bucket Overview (436/13312): lowercase letters, digits and ``-`` only, and the name the
    user chose may neither begin nor end with ``-``; the full name is ``<name>-<APPID>``.
    """
    problems = []
    if bucket != bucket.lower():
        problems.append("uppercase")
    if not _ALLOWED.fullmatch(bucket.lower()):
        problems.append("characters")
    appid = appid_of(bucket)
    name = bucket[: -len(appid) - 1] if appid else bucket
    if bucket.startswith("-"):
        problems.append("leading-hyphen")
    if name.endswith("-"):
        problems.append("trailing-hyphen")
    if appid is None:
        problems.append("no-appid")
    if region and len(f"{bucket}.cos.{region}.myqcloud.com") > MAX_DOMAIN:
        problems.append("domain-too-long")
    return problems


@detector("invalid-bucket-name")
def bucket_name(facts: Facts) -> Iterator[Evidence]:
    """One item per naming rule the request's bucket name breaks."""
    context = facts.context
    if not context.bucket:
        return
    domain = f"{context.bucket}.cos.{context.region}.myqcloud.com"
    for problem in bucket_name_problems(context.bucket, context.region):
        yield facts.say(
            "bucket_name_problem",
            problem,
            variant=problem,
            length=len(domain),
            limit=MAX_DOMAIN,
        )


@detector("invalid-region", "no-such-bucket")
def region_form(facts: Facts) -> Iterator[Evidence]:
    """The region the request used, and whether it has the shape of a COS region ID."""
    region = facts.context.region
    if region:
        shape = "id" if _REGION_ID.match(region) else "not-an-id"
        yield facts.say("region_used", region, variant=shape)


@detector("no-such-bucket")
def bucket_region_lookup(facts: Facts) -> Iterator[Evidence]:
    """A ready call that finds the bucket's real region: a bucket in another region is not found.

    COS answers a request sent to the wrong region exactly like one for a missing bucket, so
    cos_doctor cannot tell the two apart without asking COS; this call asks, across regions.
    """
    bucket = facts.context.bucket
    if bucket:
        call = (
            "[b['Location'] for b in client.list_buckets()['Buckets']['Bucket'] "
            f"if b['Name'] == {bucket!r}]"
        )
        # Written for the COS SDK's client, which reads each bucket's Location from COS's
        # reply; a boto3 user is told it is the COS SDK's call, not given it as boto3's.
        key = (
            "bucket_region_lookup"
            if facts.context.botocore is None
            else "bucket_region_lookup_cos_sdk"
        )
        yield facts.say(key, call)
