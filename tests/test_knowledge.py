"""The knowledge base: schema, locales, examples, and docs kept in step."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from cos_doctor._knowledge.catalogue import (
    KNOWLEDGE_DIR,
    KnowledgeError,
    Rule,
    catalogue,
    load_catalogue,
)
from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._pipeline.context import RequestContext
from cos_doctor._pipeline.diagnose import diagnose_context
from cos_doctor._pipeline.match import match_rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - depends on the interpreter
    import tomli as tomllib

README = Path(__file__).parent.parent / "README.md"
RULES = catalogue().rules
# Rules of a COS reply, which carries a RequestId (client-side failures never reached COS).
# 407 is a proxy's answer (RFC 9110 §15.5.8), never COS's: a rule for it answers no COS reply.
PROXY_STATUS = 407
REPLY_RULES = [
    rule
    for rule in RULES
    if any(clause.client is None and clause.status != PROXY_STATUS for clause in rule.clauses)
]
EXAMPLES = [(rule, example) for rule in RULES for example in rule.examples]
RAW_PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")

SEED_RULES = {
    "access-denied",
    "cors-forbidden",
    "referer-denied",
    "invalid-access-key-id",
    "invalid-object-state",
    "request-time-too-skewed",
    "request-expired",
    "signature-mismatch",
    "post-qak-mismatch",
    "post-policy-expired",
    "post-signature-invalid",
    "post-policy-missing-condition",
    "post-bucket-mismatch",
    "post-condition-mismatch",
    "post-malformed-body",
}


def test_every_seed_case_has_its_rule() -> None:
    """All fifteen cases of the two seed guides are in the catalogue under their ids."""
    assert {rule.id for rule in RULES} >= SEED_RULES


def test_there_is_exactly_one_catch_all() -> None:
    """One fallback rule matches anything, so every error gets a diagnosis."""
    assert [rule.id for rule in RULES if rule.fallback] == ["unrecognized-error"]


@pytest.mark.parametrize(
    ("rule", "example"), EXAMPLES, ids=lambda value: getattr(value, "id", None) or ""
)
def test_each_example_is_won_by_its_own_rule_alone(rule: Rule, example: object) -> None:
    """Every example matches its rule, and no other rule scores the same for it."""
    context = RequestContext(
        http_status=example.status,  # type: ignore[attr-defined]
        error_code=example.code,  # type: ignore[attr-defined]
        error_message=example.message,  # type: ignore[attr-defined]
        post_object=example.post_object,  # type: ignore[attr-defined]
        http_method=example.method,  # type: ignore[attr-defined]
        path=f"/{example.key}" if example.key else None,  # type: ignore[attr-defined]
        client_failure=example.client,  # type: ignore[attr-defined]
    )
    found = match_rule(context)
    assert found.ambiguous == ()
    assert found.rule.id == rule.id


@pytest.mark.parametrize(
    "rule", [rule for rule in RULES if rule.id in SEED_RULES], ids=lambda rule: rule.id
)
def test_each_seed_rule_shows_both_spellings_where_the_guide_differs(rule: Rule) -> None:
    """Seed 403 cases named by Code accept the guide's AccessDenied/<name> spelling too."""
    codes = {clause.code for clause in rule.clauses}
    guide_names = {
        "InvalidAccessKeyId",
        "InvalidObjectState",
        "RequestTimeTooSkewed",
        "SignatureDoesNotMatch",
        "AccessForbidden",
    }
    for name in codes & guide_names:
        assert any(
            c.code == "AccessDenied" and c.message == name.casefold() for c in rule.clauses
        ), name


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_no_raw_placeholder_reaches_the_user(rule: Rule, locale: str) -> None:
    """With nothing known about the request, every placeholder falls back to generic wording."""
    example = rule.examples[0] if rule.examples else None
    context = RequestContext(
        http_status=example.status if example else None,
        error_code=example.code if example else None,
        error_message=example.message if example else None,
        post_object=example.post_object if example else False,
        path=f"/{example.key}" if example and example.key else None,
        client_failure=example.client if example else None,
    )
    diagnosis = diagnose_context(context, locale=locale)
    for text in (diagnosis.title, diagnosis.cause, *diagnosis.steps):
        assert not RAW_PLACEHOLDER.search(text), text


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_doc_links_are_https(rule: Rule) -> None:
    """Every doc link is an absolute https URL."""
    for locale in SUPPORTED_LOCALES:
        for link in rule.texts[locale].docs:
            assert link.startswith("https://"), link


def test_readme_lists_every_rule() -> None:
    """The README's rule table names every rule id in the catalogue."""
    text = README.read_text(encoding="utf-8")
    missing = [rule.id for rule in RULES if f"`{rule.id}`" not in text]
    assert missing == []


def test_placeholder_tables_cover_every_placeholder() -> None:
    """Each locale's generic wording covers every placeholder any rule uses."""
    from cos_doctor._knowledge.catalogue import placeholder_names

    used = {
        name
        for rule in RULES
        for text in rule.texts.values()
        for line in text.prose()
        for name in placeholder_names(line)
    }
    for locale in SUPPORTED_LOCALES:
        assert used <= set(catalogue().placeholders[locale]), locale


def _copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


@pytest.mark.parametrize(
    ("replace", "by", "complaint"),
    [
        ('id = "access-denied"', 'id = "Access Denied"', "lowercase slug"),
        (
            '[[rule.match]]\ncode = "AccessDenied"\nmessage = "Access Denied."',
            '[[rule.match]]\ncode = "AccessDenied"\nmesage = "Access Denied."',
            "unknown match fields",
        ),
    ],
)
def test_schema_mistakes_are_rejected(
    tmp_path: Path, replace: str, by: str, complaint: str
) -> None:
    """A malformed rule fails loading with a message naming the problem."""
    directory = _copy_knowledge(tmp_path)
    path = directory / "access.toml"
    text = path.read_text(encoding="utf-8")
    assert replace in text
    path.write_text(text.replace(replace, by, 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=complaint):
        load_catalogue(directory)


def test_unknown_placeholder_is_rejected(tmp_path: Path) -> None:
    """A step naming a placeholder cos_doctor cannot fill fails loading."""
    directory = _copy_knowledge(tmp_path)
    path = directory / "access.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{bucket}", "{buckt}", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown placeholder"):
        load_catalogue(directory)


@pytest.mark.parametrize(
    ("file", "replace", "by", "complaint"),
    [
        (
            "evidence.toml",
            "SecretId sent as q-ak: {value}",
            "SecretId sent as q-ak: {vlaue}",
            "unknown placeholder",
        ),
        ("evidence.toml", "{human} ahead of COS", "{hmuan} ahead of COS", "unknown placeholder"),
        (
            "evidence.toml",
            'ko = "q-ak로 보낸 SecretId: {value}"',
            'ko = "q-ak로 보낸 SecretId"',
            "placeholders differ",
        ),
        ("evidence.toml", 'ko = "보낸 Referer: {value}"\n', "", "needs exactly the locales"),
        (
            "access.toml",
            "and click {bucket} to open its settings",
            "and click {nmae} to open its settings",
            "unknown placeholder",
        ),
        (
            "access.toml",
            "and click {bucket} to open its settings",
            "and click the bucket to open its settings",
            "placeholders differ",
        ),
        ("ui.toml", 'steps = "how to fix"\n', "", "names differ"),
        ("client.toml", 'client = "dns"', 'client = "dsn"', "unknown client kind 'dsn'"),
        (
            "client.toml",
            '[[rule.example]]\nclient = "dns"',
            '[[rule.example]]\nclient = "dsn"',
            "unknown client kind 'dsn'",
        ),
        (
            "access.toml",
            'id = "referer-denied"\nclosing_step = false',
            'id = "referer-denied"',
            "says it again",
        ),
        (
            "archive.toml",
            "\n[rule.ko]\n",
            '\n[rule.ko]\ndocs = ["https://www.tencentcloud.com/ko/document/product/436/1"]\n',
            r"\[ko\]: needs exactly",
        ),
        ("closing.toml", "{request_id}，", "{request}，", "unknown placeholder"),
        ("regions.toml", "regions = [", "regionz = [", "regions must be a list"),
        ("placeholders.toml", 'region = "<region>"\n', "", "names differ"),
    ],
)
def test_locale_and_placeholder_mistakes_fail_loading(
    tmp_path: Path,
    file: str,
    replace: str,
    by: str,
    complaint: str,
) -> None:
    """A typo'd placeholder, or a text missing from one locale, fails when the knowledge loads."""
    directory = _copy_knowledge(tmp_path)
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert replace in text
    path.write_text(text.replace(replace, by, 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=complaint):
        load_catalogue(directory)


_CAUSE = """
[[rule.cause]]
id = "example-cause"
likely_when = [{{ evidence = "{evidence}" }}]
{texts}
"""


@pytest.mark.parametrize(
    ("evidence", "texts", "complaint"),
    [
        ("no_such_evidence", None, "unknown evidence key"),
        ("credential_kind", {"en": "Signed {wrongname}."}, "unknown placeholder"),
        ("credential_kind", {"en": ""}, "non-empty text"),
    ],
)
def test_cause_mistakes_fail_loading(
    tmp_path: Path, evidence: str, texts: dict[str, str] | None, complaint: str
) -> None:
    """A cause naming unknown evidence, a bad placeholder or an empty text fails loading."""
    directory = _copy_knowledge(tmp_path)
    path = directory / "access.toml"
    text = path.read_text(encoding="utf-8")
    words = {locale: f"Cause in {locale}." for locale in SUPPORTED_LOCALES} | (texts or {})
    lines = "\n".join(
        f"{locale} = {words[locale]!r}".replace("'", '"') for locale in SUPPORTED_LOCALES
    )
    anchor = '[rule.en]\ntitle = "Access denied'
    assert anchor in text
    path.write_text(
        text.replace(anchor, _CAUSE.format(evidence=evidence, texts=lines) + "\n" + anchor, 1),
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match=complaint):
        load_catalogue(directory)


DIAGNOSIS_TOOL = "https://console.cloud.tencent.com/cos5/diagnose"
CLOSING = tomllib.loads((KNOWLEDGE_DIR / "closing.toml").read_text(encoding="utf-8"))["step"]


def _written(rule: Rule) -> dict[str, object]:
    """The rule's table as written in its TOML file."""
    tables = tomllib.loads((KNOWLEDGE_DIR / rule.file).read_text(encoding="utf-8"))["rule"]
    return next(table for table in tables if table["id"] == rule.id)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_the_closing_step_is_derived_once(rule: Rule) -> None:
    """A reply rule that writes no closing step of its own ends with closing.toml's, in each locale; client rules get none."""
    written: dict[str, Any] = _written(rule)
    derived = written.get("closing_step", rule in REPLY_RULES)
    for locale in SUPPORTED_LOCALES:
        steps = rule.texts[locale].steps
        assert list(steps) == [*written[locale]["steps"], *([CLOSING[locale]] if derived else [])]
        assert sum(DIAGNOSIS_TOOL in step for step in steps) == (rule in REPLY_RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_korean_doc_links_are_the_english_pages_korean_edition(rule: Rule) -> None:
    """Korean docs are derived, never written: the English links' page ids on the Korean edition (other sites' links kept)."""
    written: dict[str, Any] = _written(rule)
    assert "docs" not in written["ko"]
    english, korean = rule.texts["en"].docs, rule.texts["ko"].docs
    assert len(korean) == len(english)
    for en_link, ko_link in zip(english, korean):
        if not en_link.startswith(
            ("https://intl.cloud.tencent.com/", "https://www.tencentcloud.com/")
        ):
            assert ko_link == en_link
            continue
        assert ko_link.startswith("https://www.tencentcloud.com/ko/document/")
        assert ko_link.split("/document/")[1] == en_link.split("/document/")[1]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("rule", REPLY_RULES, ids=lambda rule: rule.id)
def test_last_step_names_the_diagnosis_tool_before_support(rule: Rule, locale: str) -> None:
    """Every rule of a COS reply ends by sending the user to COS's Diagnosis Tool with the RequestId, then support."""
    last = rule.texts[locale].steps[-1]
    assert DIAGNOSIS_TOOL in last
    assert "{request_id}" in last
    assert last.index(DIAGNOSIS_TOOL) < max(last.find("support"), last.find("workorder"))
    assert "contact-sales" not in last


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_korean_text_links_korean_pages(rule: Rule) -> None:
    """Korean diagnoses link the Korean edition of Tencent Cloud's pages, never the English one."""
    text = rule.texts["ko"]
    for line in (*text.prose(), *text.docs):
        assert "intl.cloud.tencent.com/document" not in line
        assert "www.tencentcloud.com/document" not in line, line


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_chinese_text_links_the_chinese_site(rule: Rule) -> None:
    """Chinese diagnoses link Chinese pages: cloud.tencent.com's, or the international site's zh edition."""
    for link in rule.texts["zh"].docs:
        assert link.startswith(
            ("https://cloud.tencent.com/document/", "https://www.tencentcloud.com/zh/document/")
        ), link


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_no_known_wrong_or_risky_advice(rule: Rule) -> None:
    """Known-wrong links and risky advice found in review never come back."""
    for locale in SUPPORTED_LOCALES:
        text = rule.texts[locale]
        joined = " ".join((*text.prose(), *text.docs))
        assert "436/7733" not in joined  # GET Bucket acl, not an ACL overview
        assert "sign with the owner account's key" not in joined
        assert (
            "Time & Language" not in joined
        )  # the Windows clock path is Clock, Language, and Region
        assert "Bucket Policy," not in joined


def test_missing_appid_does_not_tell_the_user_to_reuse_the_short_name() -> None:
    """missing-appid never echoes the name lacking its APPID back as the fix."""
    rule = next(rule for rule in RULES if rule.id == "missing-appid")
    for locale in SUPPORTED_LOCALES:
        assert not any("Bucket='{bucket}'" in step for step in rule.texts[locale].steps)


def _with_botocore_wording(tmp_path: Path, tables: dict[str, str]) -> Path:
    """A copy of the knowledge whose rule invalid-bucket-name has these botocore tables."""
    directory = _copy_knowledge(tmp_path)
    path = directory / "bucket.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('id = "invalid-bucket-name"')
    for locale, table in tables.items():
        header = f"[rule.{locale}]"
        end = text.index("\n[", text.index(header, start) + 1)
        text = f"{text[:end]}\n[rule.{locale}.botocore]\n{table}\n{text[end:]}"
    path.write_text(text, encoding="utf-8")
    return directory


def test_botocore_wording_is_loaded_with_the_closing_step(tmp_path: Path) -> None:
    """A [rule.<locale>.botocore] table words the fix for boto3; its steps end with the closing step."""
    tables = {locale: f'steps = ["{locale}: use {{region}}"]' for locale in SUPPORTED_LOCALES}
    rules = load_catalogue(_with_botocore_wording(tmp_path, tables))
    rule = next(rule for rule in rules.rules if rule.id == "invalid-bucket-name")
    for locale in SUPPORTED_LOCALES:
        text = rule.texts[locale]
        assert text.botocore_steps == (f"{locale}: use {{region}}", CLOSING[locale])
        assert text.worded_for(botocore=True) == (text.cause, text.botocore_steps)
        assert text.worded_for(botocore=False) == (text.cause, text.steps)
        assert text.botocore_cause == ""


@pytest.mark.parametrize(
    ("tables", "error"),
    [
        ({"en": 'steps = ["a"]'}, r"botocore: locales have different numbers of steps"),
        ({"en": 'cause = "a"', "ko": 'cause = "b"'}, r"botocore cause given in some locales"),
        (dict.fromkeys(SUPPORTED_LOCALES, 'step = ["a"]'), r"\[botocore\] takes"),
        (dict.fromkeys(SUPPORTED_LOCALES, "steps = []"), r"\[botocore\] takes"),
        (
            {
                "en": 'steps = ["{region}"]',
                "ko": 'steps = ["{bucket}"]',
                "zh": 'steps = ["{region}"]',
            },
            r"botocore step 1.*placeholders differ",
        ),
        (dict.fromkeys(SUPPORTED_LOCALES, 'steps = ["{nonsense}"]'), r"unknown placeholder"),
    ],
    ids=[
        "one-locale",
        "cause-in-two",
        "misspelt-key",
        "empty",
        "placeholders-differ",
        "unknown-name",
    ],
)
def test_malformed_botocore_wording_fails_loading(
    tmp_path: Path, tables: dict[str, str], error: str
) -> None:
    """The botocore wording is checked like the rest: every locale, the same shape and names."""
    with pytest.raises(KnowledgeError, match=error):
        load_catalogue(_with_botocore_wording(tmp_path, tables))


def test_a_rule_without_chinese_fails_loading(tmp_path: Path) -> None:
    """Dropping a rule's zh table fails loading: every locale is required."""
    directory = _copy_knowledge(tmp_path)
    path = directory / "signature.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[rule.zh]")
    path.write_text(text[:start], encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"\[zh\]: locale missing"):
        load_catalogue(directory)


def test_the_readme_counts_the_rules_worded_for_botocore() -> None:
    """README's "boto3 / botocore" section names how many rules have a botocore wording."""
    readme = (KNOWLEDGE_DIR.parent.parent / "README.md").read_text(encoding="utf-8")
    said = re.search(r"`\[rule\.<locale>\.botocore\]`;\s+(\d+)\s+rules", readme)
    assert said is not None
    worded = [rule.id for rule in RULES if rule.texts["en"].botocore_steps]
    assert int(said.group(1)) == len(worded), worded
