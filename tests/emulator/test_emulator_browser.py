"""What browsers send: POST Object form uploads and CORS preflights, over plain requests."""

from __future__ import annotations

import re
import time

import pytest

from cos_doctor.emulator import DEFAULT_SUB_SECRET_ID


@pytest.fixture
def post(emulator, http):
    """POST a form (fields first, file last) to the default bucket; returns the response."""

    def send(fields, content=b"file-body", filename="photo.jpg"):
        url, headers = emulator.url()
        response = http.post(
            url,
            headers=headers,
            data=fields,
            files={"file": (filename, content)},
            allow_redirects=False,
        )
        response.close()
        return response

    return send


def owner_conditions(emulator, **extra):
    return [{"bucket": emulator.bucket}, ["starts-with", "$key", "uploads/"], *extra.values()]


class TestPostObject:
    def test_upload_succeeds_with_filename_substitution(self, emulator, owner, post, post_form):
        """A signed form upload stores the file under key with ${filename} replaced."""
        fields = post_form(owner_conditions(emulator), extra_fields={"Content-Type": "image/jpeg"})
        response = post(fields)
        assert response.status_code == 204
        assert response.headers["ETag"]
        assert response.headers["Location"].endswith("/uploads/photo.jpg")
        head = owner.head_object(Bucket=emulator.bucket, Key="uploads/photo.jpg")
        assert head["Content-Type"] == "image/jpeg"

    def test_status_201_returns_post_response(self, emulator, post, post_form):
        """success_action_status=201 answers 201 with a PostResponse document."""
        fields = post_form(
            owner_conditions(emulator), extra_fields={"success_action_status": "201"}
        )
        response = post(fields)
        assert response.status_code == 201
        assert "<Key>uploads/photo.jpg</Key>" in response.text

    def test_redirect(self, emulator, post, post_form):
        """success_action_redirect answers 303 to that URL with bucket, key and etag."""
        fields = post_form(
            owner_conditions(emulator),
            extra_fields={"success_action_redirect": "https://app.example/done"},
        )
        response = post(fields)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("https://app.example/done?bucket=")

    def test_q_ak_condition_mismatch(self, emulator, post, post_form):
        """A form q-ak that differs from the policy's is 403 'Condition key q-ak doesn't match…'."""
        conditions = [*owner_conditions(emulator), {"q-ak": DEFAULT_SUB_SECRET_ID}]
        response = post(post_form(conditions))
        assert response.status_code == 403
        assert "<Code>AccessDenied</Code>" in response.text
        assert (
            f"<Message>Condition key q-ak doesn&apos;t match the value {DEFAULT_SUB_SECRET_ID}</Message>"
            in response.text
        )

    def test_key_condition_mismatch(self, emulator, post, post_form):
        """A key outside the policy's prefix is 403 'Condition key key doesn't match the value …'."""
        response = post(post_form(owner_conditions(emulator), key="elsewhere/${filename}"))
        assert response.status_code == 403
        assert "Condition key key doesn&apos;t match the value uploads/" in response.text

    def test_bucket_condition_mismatch(self, post, post_form):
        """A policy naming another bucket is 403 'Condition key bucket doesn't match …'."""
        response = post(post_form([{"bucket": "other-1250000000"}]))
        assert response.status_code == 403
        assert "Condition key bucket doesn&apos;t match the value other-1250000000" in response.text

    def test_expired_policy(self, emulator, post, post_form):
        """An expired policy is 403 'You post object request has been expired, …'."""
        response = post(post_form(owner_conditions(emulator), expires_in=-120))
        assert response.status_code == 403
        match = re.search(
            r"<Message>You post object request has been expired, expiration time: (\d+) "
            r"but the time now : (\d+)</Message>",
            response.text,
        )
        assert match
        assert int(match[1]) < int(match[2]) <= time.time() + 5

    def test_policy_without_conditions(self, post, post_form):
        """A policy with no conditions is 400 InvalidPolicyDocument."""
        response = post(post_form([]))
        assert response.status_code == 400
        assert "<Code>InvalidPolicyDocument</Code>" in response.text
        assert (
            "You must provide condition if you specify a policy in post object request."
            in response.text
        )

    def test_malformed_body(self, emulator, http):
        """A body that is not multipart/form-data is 400 MalformedPOSTRequest."""
        url, headers = emulator.url()
        headers["Content-Type"] = "multipart/form-data; boundary=xyz"
        with http.post(url, headers=headers, data=b"this is not a form") as response:
            assert response.status_code == 400
            assert "<Code>MalformedPOSTRequest</Code>" in response.text
            assert (
                "The body of your POST request is not well-formed multipart/form-data."
                in response.text
            )

    def test_wrong_signature(self, emulator, post, post_form):
        """A form signed with the wrong SecretKey is 403 SignatureDoesNotMatch."""
        response = post(post_form(owner_conditions(emulator), secret_key="wrong-secret"))
        assert response.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in response.text
        assert "The Signature you specified is invalid." in response.text
        assert "<FormatString>{&quot;expiration&quot;" in response.text

    def test_content_length_range(self, emulator, post, post_form):
        """A file larger than content-length-range allows is 400 EntityTooLarge."""
        conditions = [*owner_conditions(emulator), ["content-length-range", 1, 4]]
        response = post(post_form(conditions))
        assert response.status_code == 400
        assert "<Code>EntityTooLarge</Code>" in response.text

    def test_anonymous_form_needs_public_write(self, emulator, owner, post):
        """A form without a policy is anonymous: refused on a private bucket, fine on public-read-write."""
        assert post({"key": "anon.txt"}).status_code == 403
        owner.put_bucket_acl(Bucket=emulator.bucket, ACL="public-read-write")
        assert post({"key": "anon.txt"}).status_code == 204


class TestCors:
    @pytest.fixture
    def cors(self, owner, bucket):
        owner.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRule": [
                    {
                        "AllowedOrigin": ["https://app.example.com", "http://*.example.org"],
                        "AllowedMethod": ["GET", "PUT"],
                        "AllowedHeader": ["x-cos-meta-*", "content-type"],
                        "ExposeHeader": ["ETag"],
                        "MaxAgeSeconds": 600,
                    }
                ]
            },
        )

    def preflight(self, emulator, http, origin, method, request_headers=None):
        url, headers = emulator.url("some/key")
        headers.update({"Origin": origin, "Access-Control-Request-Method": method})
        if request_headers:
            headers["Access-Control-Request-Headers"] = request_headers
        response = http.options(url, headers=headers)
        response.close()
        return response

    def test_allowed_preflight(self, emulator, http, cors):
        """A preflight matching a rule gets 200 and the Access-Control-* headers."""
        response = self.preflight(
            emulator, http, "https://app.example.com", "PUT", "x-cos-meta-a, Content-Type"
        )
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        assert "PUT" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Max-Age"] == "600"
        assert response.headers["Access-Control-Expose-Headers"] == "ETag"

    def test_wildcard_origin(self, emulator, http, cors):
        """An origin matching a wildcard pattern is allowed."""
        assert self.preflight(emulator, http, "http://cdn.example.org", "GET").status_code == 200

    @pytest.mark.parametrize(
        "case",
        [
            ("https://evil.example.net", "GET", None),
            ("https://app.example.com", "DELETE", None),
            ("https://app.example.com", "PUT", "x-custom-header"),
        ],
        ids=["origin", "method", "header"],
    )
    def test_denied_preflight(self, emulator, http, cors, case):
        """A preflight whose origin, method or header no rule allows is 403 AccessForbidden."""
        response = self.preflight(emulator, http, *case)
        assert response.status_code == 403
        assert "<Code>AccessForbidden</Code>" in response.text

    def test_no_cors_configuration(self, emulator, http):
        """Without any CORS rule every preflight is 403 AccessForbidden."""
        response = self.preflight(emulator, http, "https://app.example.com", "GET")
        assert response.status_code == 403
        assert "<Code>AccessForbidden</Code>" in response.text

    def test_actual_request_gets_cors_headers(self, emulator, http, owner, cors):
        """A cross-origin GET is served normally and carries the matching rule's headers."""
        owner.put_object(Bucket=emulator.bucket, Key="pub", Body=b"x", ACL="public-read")
        url, headers = emulator.url("pub")
        with http.get(url, headers={**headers, "Origin": "https://app.example.com"}) as response:
            assert response.status_code == 200
            assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
