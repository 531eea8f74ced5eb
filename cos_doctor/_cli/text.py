"""Every message and label the command line prints, in en, ko and zh.

Each entry is written fresh in each language (facts identical); ``{name}`` fields are filled
by the caller, under the one policy of ``cos_doctor._locale.say`` (English for a language
this table does not have; ``<name>`` for a field the caller gave no value).
"""

# Sentences are kept whole on one line each so that translators read them side by side.
# ruff: noqa: E501

from __future__ import annotations

from cos_doctor._locale import SUPPORTED_LOCALES
from cos_doctor._locale import say as _say

__all__ = ["CLI_LOCALES", "say"]

CLI_LOCALES = SUPPORTED_LOCALES  # --locale choices

_TEXT: dict[str, dict[str, str]] = {
    # Errors and hygiene ----------------------------------------------------------------------
    "cannot-read": {
        "en": "cannot read {path}: {reason}",
        "ko": "{path} 파일을 읽을 수 없습니다: {reason}",
        "zh": "无法读取 {path}：{reason}",
    },
    "empty-input": {
        "en": "the input is empty: paste a COS error body (XML or JSON), or pass --url",
        "ko": "입력이 비어 있습니다. COS 오류 본문(XML 또는 JSON)을 붙여 넣거나 --url을 지정하세요",
        "zh": "输入为空：请粘贴 COS 错误响应体（XML 或 JSON），或使用 --url",
    },
    "no-cos-error": {
        "en": "no COS error found in the input (no error Code, no HTTP status)",
        "ko": "입력에서 COS 오류를 찾지 못했습니다(오류 Code도 HTTP 상태도 없음)",
        "zh": "输入中未找到 COS 错误（没有错误 Code，也没有 HTTP 状态码）",
    },
    "url-succeeded": {
        "en": "no COS error: {url} answered HTTP {status}",
        "ko": "COS 오류 없음: {url}이(가) HTTP {status}로 응답했습니다",
        "zh": "没有 COS 错误：{url} 返回了 HTTP {status}",
    },
    "url-unreachable": {
        "en": "could not reach {url}: {reason}",
        "ko": "{url}에 연결할 수 없습니다: {reason}",
        "zh": "无法访问 {url}：{reason}",
    },
    "missing-extra": {
        "en": "this command needs the '{extra}' extra: pip install 'cos-doctor[{extra}]'",
        "ko": "이 명령에는 '{extra}' extra가 필요합니다: pip install 'cos-doctor[{extra}]'",
        "zh": "此命令需要 '{extra}' 扩展：pip install 'cos-doctor[{extra}]'",
    },
    "bad-endpoint": {
        "en": "--endpoint must be a URL such as http://127.0.0.1:9000, not {value}",
        "ko": "--endpoint는 http://127.0.0.1:9000 같은 URL이어야 합니다(받은 값: {value})",
        "zh": "--endpoint 必须是 http://127.0.0.1:9000 这样的 URL，而不是 {value}",
    },
    "no-bucket": {
        "en": "name the bucket: --bucket <name>-<APPID>",
        "ko": "버킷을 지정하세요: --bucket <이름>-<APPID>",
        "zh": "请指定存储桶：--bucket <名称>-<APPID>",
    },
    "no-region": {
        "en": "name the bucket's region: --region <region> (e.g. ap-guangzhou)",
        "ko": "버킷의 리전을 지정하세요: --region <리전>(예: ap-guangzhou)",
        "zh": "请指定存储桶所在地域：--region <地域>（例如 ap-guangzhou）",
    },
    "not-text": {
        "en": "{path} is not text (binary data?): give a COS error body (XML or JSON), a line from a log or an exception's message",
        "ko": "{path}은(는) 텍스트가 아닙니다(바이너리 데이터?). COS 오류 본문(XML 또는 JSON), 로그 한 줄 또는 예외 메시지를 지정하세요",
        "zh": "{path} 不是文本（二进制数据？）：请提供 COS 错误响应体（XML 或 JSON）、一行日志或异常消息",
    },
    "waiting-for-stdin": {
        "en": "reading the error from standard input: paste a COS error body, a log line or an exception's message, then press Ctrl-D (Ctrl-Z, Enter on Windows); or give a FILE, --url or --example (see --help)",
        "ko": "표준 입력에서 오류를 읽는 중입니다. COS 오류 본문, 로그 한 줄 또는 예외 메시지를 붙여 넣은 뒤 Ctrl-D(Windows에서는 Ctrl-Z, Enter)를 누르세요. 또는 FILE, --url, --example을 지정하세요(--help 참고)",
        "zh": "正在从标准输入读取错误：粘贴 COS 错误响应体、一行日志或异常消息，然后按 Ctrl-D（Windows 上按 Ctrl-Z 再按回车）；或者指定 FILE、--url 或 --example（见 --help）",
    },
    # investigate ----------------------------------------------------------------------------
    "finding": {"en": "finding", "ko": "조사 결과", "zh": "排查结论"},
    "decided-by": {"en": "decided by", "ko": "결정한 항목", "zh": "决定性条目"},
    "reads": {"en": "reads", "ko": "읽은 설정", "zh": "读取的配置"},
    # check -----------------------------------------------------------------------------------
    "pass": {"en": "pass", "ko": "통과", "zh": "通过"},
    "warn": {"en": "warn", "ko": "주의", "zh": "警告"},
    "fail": {"en": "fail", "ko": "실패", "zh": "失败"},
    "skip": {"en": "skip", "ko": "생략", "zh": "跳过"},
    "check.credentials": {"en": "credentials", "ko": "자격 증명", "zh": "凭证"},
    "check.dns": {"en": "DNS", "ko": "DNS", "zh": "DNS"},
    "check.tls": {"en": "TLS", "ko": "TLS", "zh": "TLS"},
    "check.clock": {"en": "clock skew", "ko": "시계 오차", "zh": "时钟偏差"},
    "check.bucket": {"en": "bucket and region", "ko": "버킷과 리전", "zh": "存储桶与地域"},
    "check.list": {"en": "list permission", "ko": "목록 조회 권한", "zh": "列出权限"},
    "check.read": {"en": "read permission", "ko": "읽기 권한", "zh": "读取权限"},
    "check.write": {"en": "write permission", "ko": "쓰기 권한", "zh": "写入权限"},
    "check.referer": {"en": "referer rule", "ko": "Referer 규칙", "zh": "Referer 规则"},
    "check.cors": {"en": "CORS rules", "ko": "CORS 규칙", "zh": "CORS 规则"},
    "credentials.missing": {
        "en": "no {name}: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (or --secret-id / --secret-key)",
        "ko": "{name}이(가) 없습니다. TENCENTCLOUD_SECRET_ID와 TENCENTCLOUD_SECRET_KEY(또는 --secret-id / --secret-key)를 설정하세요",
        "zh": "缺少 {name}：请设置 TENCENTCLOUD_SECRET_ID 和 TENCENTCLOUD_SECRET_KEY（或 --secret-id / --secret-key）",
    },
    "credentials.malformed": {
        "en": "SecretId {masked} does not look like one: {problem}",
        "ko": "SecretId {masked}의 형식이 올바르지 않습니다: {problem}",
        "zh": "SecretId {masked} 的格式不对：{problem}",
    },
    "credentials.whitespace": {
        "en": "the {name} has spaces or line breaks around it (copied with them?)",
        "ko": "{name} 앞뒤에 공백이나 줄바꿈이 있습니다(복사할 때 함께 들어갔나요?)",
        "zh": "{name} 前后带有空格或换行（复制时带进来了？）",
    },
    "credentials.ok": {
        "en": "SecretId {masked} ({kind}), well formed",
        "ko": "SecretId {masked}({kind}), 형식 정상",
        "zh": "SecretId {masked}（{kind}），格式正确",
    },
    "kind.permanent": {"en": "permanent key", "ko": "영구 키", "zh": "永久密钥"},
    "kind.temporary": {"en": "temporary key", "ko": "임시 키", "zh": "临时密钥"},
    "problem.prefix": {
        "en": "SecretIds start with AKID",
        "ko": "SecretId는 AKID로 시작합니다",
        "zh": "SecretId 以 AKID 开头",
    },
    "problem.length": {
        "en": "permanent SecretIds are 36 characters, this one has {length}",
        "ko": "영구 SecretId는 36자인데 이 값은 {length}자입니다",
        "zh": "永久 SecretId 为 36 个字符，而这个有 {length} 个",
    },
    "dns.ok": {
        "en": "{host} resolves to {addresses}",
        "ko": "{host} → {addresses}",
        "zh": "{host} 解析为 {addresses}",
    },
    "dns.fail": {
        "en": "{host} does not resolve: {reason}",
        "ko": "{host}의 이름을 확인할 수 없습니다: {reason}",
        "zh": "{host} 无法解析：{reason}",
    },
    "tls.ok": {
        "en": "{host}:{port} speaks {version}, certificate valid until {expires}",
        "ko": "{host}:{port} {version} 연결 정상, 인증서 만료일 {expires}",
        "zh": "{host}:{port} 使用 {version}，证书有效期至 {expires}",
    },
    "tls.fail": {
        "en": "TLS to {host}:{port} failed: {reason}",
        "ko": "{host}:{port} TLS 연결 실패: {reason}",
        "zh": "到 {host}:{port} 的 TLS 连接失败：{reason}",
    },
    "tls.plain": {
        "en": "not applicable: the endpoint {endpoint} is plain HTTP",
        "ko": "해당 없음: 엔드포인트 {endpoint}는 일반 HTTP입니다",
        "zh": "不适用：端点 {endpoint} 使用明文 HTTP",
    },
    "clock.ok": {
        "en": "this machine is {skew} s {direction} COS's Date",
        "ko": "이 컴퓨터의 시계는 COS의 Date보다 {skew}초 {direction}",
        "zh": "本机时钟比 COS 的 Date {direction} {skew} 秒",
    },
    "clock.bad": {
        "en": "this machine is {skew} s {direction} COS's Date: signatures start to fail beyond 900 s",
        "ko": "이 컴퓨터의 시계는 COS의 Date보다 {skew}초 {direction}. 900초를 넘으면 서명이 거부됩니다",
        "zh": "本机时钟比 COS 的 Date {direction} {skew} 秒：超过 900 秒签名就会被拒绝",
    },
    "clock.none": {
        "en": "COS sent no Date header: {reason}",
        "ko": "COS가 Date 헤더를 보내지 않았습니다: {reason}",
        "zh": "COS 没有返回 Date 头：{reason}",
    },
    "ahead": {"en": "ahead of", "ko": "빠릅니다", "zh": "快"},
    "behind": {"en": "behind", "ko": "느립니다", "zh": "慢"},
    "bucket.ok": {
        "en": "{bucket} exists in {region}",
        "ko": "{bucket} 버킷이 {region} 리전에 있습니다",
        "zh": "{bucket} 存在于 {region} 地域",
    },
    "bucket.other-region": {
        "en": "{bucket} answers from {actual}, not {region}",
        "ko": "{bucket} 버킷은 {region}이 아니라 {actual} 리전에 있습니다",
        "zh": "{bucket} 位于 {actual}，而不是 {region}",
    },
    "call.ok": {
        "en": "{call} succeeded",
        "ko": "{call} 호출 성공",
        "zh": "{call} 调用成功",
    },
    "call.failed": {
        "en": "{call} failed",
        "ko": "{call} 호출 실패",
        "zh": "{call} 调用失败",
    },
    "read.missing-ok": {
        "en": "get_object of a key that does not exist answered NoSuchKey: reads are allowed",
        "ko": "없는 키에 대한 get_object가 NoSuchKey로 응답했습니다. 읽기 권한이 있습니다",
        "zh": "对不存在的键执行 get_object 返回 NoSuchKey：拥有读取权限",
    },
    "write.ok": {
        "en": "created and deleted {key}",
        "ko": "{key}를 만들고 삭제했습니다",
        "zh": "已创建并删除 {key}",
    },
    "write.skipped": {
        "en": "not probed: pass --write to create and delete a probe object",
        "ko": "확인하지 않음: --write를 지정하면 점검용 객체를 만들고 지웁니다",
        "zh": "未检测：加上 --write 会创建并删除一个探测对象",
    },
    "referer.none": {
        "en": "no referer rule: any Referer (or none) is accepted",
        "ko": "Referer 규칙 없음: 어떤 Referer든(없어도) 허용됩니다",
        "zh": "没有 Referer 规则：任何 Referer（或没有）都被接受",
    },
    "referer.rule": {
        "en": "{list} {domains}; empty Referer {empty}",
        "ko": "{list} {domains}; 빈 Referer {empty}",
        "zh": "{list} {domains}；空 Referer {empty}",
    },
    "white-list": {"en": "allow-list", "ko": "허용 목록", "zh": "白名单"},
    "black-list": {"en": "block-list", "ko": "차단 목록", "zh": "黑名单"},
    "allowed": {"en": "allowed", "ko": "허용", "zh": "允许"},
    "denied": {"en": "denied", "ko": "거부", "zh": "拒绝"},
    "cors.none": {
        "en": "no CORS rules: browsers on other origins cannot call this bucket",
        "ko": "CORS 규칙 없음: 다른 오리진의 브라우저는 이 버킷을 호출할 수 없습니다",
        "zh": "没有 CORS 规则：其他来源的浏览器无法调用此存储桶",
    },
    "cors.rules": {
        "en": "{count} rule(s): {rules}",
        "ko": "규칙 {count}개: {rules}",
        "zh": "{count} 条规则：{rules}",
    },
    "config.unreadable": {
        "en": "could not read it ({code}): not summarised",
        "ko": "설정을 읽을 수 없어({code}) 요약하지 않았습니다",
        "zh": "无法读取（{code}）：未作汇总",
    },
    "skipped.no-client": {
        "en": "not checked: no usable credentials",
        "ko": "확인하지 않음: 사용할 수 있는 자격 증명이 없습니다",
        "zh": "未检查：没有可用的凭证",
    },
    "skipped.no-bucket": {
        "en": "not checked: the bucket was not found",
        "ko": "확인하지 않음: 버킷을 찾지 못했습니다",
        "zh": "未检查：未找到该存储桶",
    },
    "summary": {
        "en": "{passed} passed, {warned} warning(s), {failed} failed",
        "ko": "통과 {passed}, 주의 {warned}, 실패 {failed}",
        "zh": "通过 {passed}，警告 {warned}，失败 {failed}",
    },
    # demo ------------------------------------------------------------------------------------
    "demo.title": {
        "en": "cos-doctor demo: every documented failure, provoked for real against the local emulator",
        "ko": "cos-doctor 데모: 문서화된 모든 실패를 로컬 에뮬레이터에서 실제로 일으킵니다",
        "zh": "cos-doctor 演示：在本地模拟器上真实触发每一种已记录的失败",
    },
    "demo.summary": {"en": "Summary", "ko": "요약", "zh": "汇总"},
    "demo.col.rule": {"en": "rule", "ko": "규칙", "zh": "规则"},
    "demo.col.status": {"en": "status", "ko": "상태", "zh": "状态"},
    "demo.col.code": {"en": "code", "ko": "코드", "zh": "错误码"},
    "demo.col.what": {"en": "what was misconfigured", "ko": "잘못된 설정", "zh": "错误的配置"},
    "demo.diagnosed": {
        "en": "{diagnosed} of {total} failures diagnosed with their documented rule.",
        "ko": "실패 {total}건 중 {diagnosed}건이 문서화된 규칙으로 진단되었습니다.",
        "zh": "{total} 个失败中有 {diagnosed} 个被诊断为其记录在案的规则。",
    },
    "demo.example": {
        "en": "One example in full: what your except block receives",
        "ko": "전체 예시 하나: except 블록이 받는 예외",
        "zh": "完整示例：你的 except 块收到的异常",
    },
    "demo.event": {"en": "log event", "ko": "로그 이벤트", "zh": "日志事件"},
    "demo.investigate": {
        "en": "investigate(): the bucket policy denies the sub-account; the statement that denied",
        "ko": "investigate(): 버킷 정책이 하위 계정을 거부합니다. 거부한 문(statement)",
        "zh": "investigate()：存储桶策略拒绝了子账号；做出拒绝的语句",
    },
    "demo.more": {
        "en": "Every traceback and log event: cos-doctor demo --all",
        "ko": "모든 트레이스백과 로그 이벤트 보기: cos-doctor demo --all",
        "zh": "查看全部回溯与日志事件：cos-doctor demo --all",
    },
    "demo.browser": {
        "en": "(a browser-style request: diagnosed with cos_doctor.diagnose(body, …))",
        "ko": "(브라우저 방식 요청: cos_doctor.diagnose(body, …)로 진단)",
        "zh": "（浏览器式请求：用 cos_doctor.diagnose(body, …) 诊断）",
    },
    "demo.broken": {
        "en": "scenario {rule} could not run: {error}",
        "ko": "시나리오 {rule}을(를) 실행할 수 없습니다: {error}",
        "zh": "场景 {rule} 无法运行：{error}",
    },
}


def say(key: str, locale: str, /, **words: object) -> str:
    """The message ``key`` in ``locale``, filled in (``_locale.say``: English for an unknown locale)."""
    return _say(_TEXT[key], locale, words)
