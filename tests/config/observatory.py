"""Scores a response's headers the way Mozilla's HTTP Observatory does.

The rules and modifiers follow the Observatory's published scoring methodology (MDN,
"HTTP Observatory: tests and scoring"): start at 100, subtract the penalties, and add the
bonuses only when the result is 90 (A) or more. 100 or more is an A+.

What a scan of a live site also looks at but a response cannot show (the HSTS preload list,
crossdomain.xml files, certificates) scores 0 here.
"""

import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

SIX_MONTHS = 15768000
BROAD_SOURCES = {
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
}
INLINE_SOURCES = {"'unsafe-inline'", "data:"}
NONCE_OR_HASH = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
PRIVATE_REFERRER = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
UNSAFE_REFERRER = {
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
}
ALL_REFERRER = PRIVATE_REFERRER | UNSAFE_REFERRER
# The cookie verdicts from least to most severe; the worst one found is the result.
COOKIE_PROBLEMS = [
    ("cookies-without-secure-flag-but-protected-by-hsts", -5),
    ("cookies-without-secure-flag", -20),
    ("cookies-session-without-secure-flag-but-protected-by-hsts", -10),
    ("cookies-samesite-flag-invalid", -20),
    ("cookies-anticsrf-without-samesite-flag", -20),
    ("cookies-session-without-httponly-flag", -30),
    ("cookies-session-without-secure-flag", -40),
]


@dataclass
class Scan:
    """What a scan of one URL saw: the HTTPS response and, optionally, the plain HTTP one."""

    url: str
    status: int
    headers: dict  # lower-case name -> value (repeated headers joined with ", ")
    set_cookies: list = field(default_factory=list)  # raw Set-Cookie values
    body: str = ""
    http_status: int | None = None  # the same URL requested over plain HTTP
    http_location: str | None = None

    @classmethod
    def from_django(cls, url, response, http_response=None):
        headers = {name.lower(): value for name, value in response.headers.items()}
        cookies = [morsel.OutputString() for morsel in response.cookies.values()]
        body = ""
        if "html" in headers.get("content-type", "") and not response.streaming:
            body = response.content.decode("utf-8", "replace")
        scan = cls(url=url, status=response.status_code, headers=headers, set_cookies=cookies)
        scan.body = body
        if http_response is not None:
            scan.http_status = http_response.status_code
            scan.http_location = http_response.headers.get("Location")
        return scan


@dataclass
class Result:
    test: str
    result: str
    modifier: int


def parse_csp(header):
    """{directive: set(sources)} for a single policy; ValueError when it cannot be parsed."""
    policies = [p for p in header.split(",") if p.strip()]
    if not policies:
        raise ValueError("empty policy")
    directives = {}
    for policy in policies:
        for part in policy.split(";"):
            tokens = part.split()
            if not tokens:
                continue
            name = tokens[0].lower()
            if not re.fullmatch(r"[a-z-]+", name):
                raise ValueError(f"bad directive {name!r}")
            sources = {t if t.lower().startswith(NONCE_OR_HASH) else t.lower() for t in tokens[1:]}
            # Several policies all apply: the strictest wins, so keep the first seen only when
            # it is the sole one, else intersect.
            directives[name] = sources if name not in directives else directives[name] & sources
    return directives


def check_csp(scan):
    header = scan.headers.get("content-security-policy")
    if not header:
        return Result("content-security-policy", "csp-not-implemented", -25)
    try:
        csp = parse_csp(header)
    except ValueError:
        return Result("content-security-policy", "csp-header-invalid", -25)
    default = csp.get("default-src")
    script = set(csp.get("script-src") or default or {"*"})
    style = set(csp.get("style-src") or default or {"*"})
    objects = set(csp.get("object-src") or default or {"*"})
    for sources in (script, style):
        if any(s.startswith(NONCE_OR_HASH) for s in sources):
            sources.discard("'unsafe-inline'")
    if "'strict-dynamic'" in script:
        if not any(s.startswith(NONCE_OR_HASH) for s in script):
            return Result("content-security-policy", "csp-header-invalid", -25)
        script = {s for s in script if s not in BROAD_SOURCES | {"'self'", "'unsafe-inline'"}}
    https = scan.url.startswith("https://")
    passive = {"img-src", "media-src"}
    active = [
        s for name, srcs in csp.items() if name not in passive | {"script-src"} for s in srcs
    ]
    active += list(script)
    passive_sources = [s for name in passive for s in (csp.get(name) or default or set())]

    def insecure(sources):
        return https and any(s.startswith(("http:", "ftp:")) for s in sources)

    if script & (BROAD_SOURCES | INLINE_SOURCES) or objects & BROAD_SOURCES:
        return Result("content-security-policy", "csp-implemented-with-unsafe-inline", -20)
    if insecure(active):
        return Result("content-security-policy", "csp-implemented-with-insecure-scheme", -20)
    if "'unsafe-eval'" in script | style:
        return Result("content-security-policy", "csp-implemented-with-unsafe-eval", -10)
    if insecure(passive_sources):
        return Result(
            "content-security-policy",
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            -10,
        )
    if style & (BROAD_SOURCES | INLINE_SOURCES):
        return Result(
            "content-security-policy", "csp-implemented-with-unsafe-inline-in-style-src-only", 0
        )
    # The bonus for deny-by-default also asks that forms may only go back to the site.
    form_action = csp.get("form-action", set())
    if default == {"'none'"} and form_action and form_action <= {"'self'", "'none'"}:
        return Result(
            "content-security-policy", "csp-implemented-with-no-unsafe-default-src-none", 10
        )
    return Result("content-security-policy", "csp-implemented-with-no-unsafe", 5)


def hsts_max_age(scan):
    """max-age of a valid Strict-Transport-Security header over HTTPS; None if none/invalid."""
    header = scan.headers.get("strict-transport-security")
    if not header or not scan.url.startswith("https://"):
        return None
    match = re.search(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", header, re.IGNORECASE)
    return int(match.group(1)) if match else -1


def check_hsts(scan):
    if not scan.url.startswith("https://"):
        return Result("strict-transport-security", "hsts-not-implemented-no-https", -20)
    max_age = hsts_max_age(scan)
    if max_age is None:
        return Result("strict-transport-security", "hsts-not-implemented", -20)
    if max_age < 0:
        return Result("strict-transport-security", "hsts-header-invalid", -20)
    if max_age < SIX_MONTHS:
        return Result(
            "strict-transport-security", "hsts-implemented-max-age-less-than-six-months", -10
        )
    return Result("strict-transport-security", "hsts-implemented-max-age-at-least-six-months", 0)


def check_cookies(scan):
    if not scan.set_cookies:
        return Result("cookies", "cookies-not-found", 0)
    hsts = (hsts_max_age(scan) or 0) >= SIX_MONTHS
    worst, missing_samesite = None, False

    def worse(result):
        nonlocal worst
        names = [name for name, _ in COOKIE_PROBLEMS]
        if worst is None or names.index(result) > names.index(worst):
            worst = result

    for raw in scan.set_cookies:
        parsed = SimpleCookie()
        parsed.load(raw)
        attributes = {
            p.split("=", 1)[0].strip().lower(): p.partition("=")[2].strip()
            for p in raw.split(";")[1:]
        }
        secure, httponly = "secure" in attributes, "httponly" in attributes
        samesite = attributes.get("samesite")
        if samesite is not None and samesite.lower() not in {"lax", "strict", "none"}:
            worse("cookies-samesite-flag-invalid")
        for name in parsed:
            session = any(word in name.lower() for word in ("login", "sess"))
            anticsrf = "csrf" in name.lower()
            if samesite and samesite.lower() == "none" and not secure:
                worse("cookies-samesite-flag-invalid")
            if not secure:
                worse(
                    "cookies-without-secure-flag-but-protected-by-hsts"
                    if hsts
                    else "cookies-without-secure-flag"
                )
            if anticsrf and not samesite:
                worse("cookies-anticsrf-without-samesite-flag")
            if session and not secure:
                worse(
                    "cookies-session-without-secure-flag-but-protected-by-hsts"
                    if hsts
                    else "cookies-session-without-secure-flag"
                )
            if session and not httponly:
                worse("cookies-session-without-httponly-flag")
            missing_samesite = missing_samesite or not samesite
    if worst:
        return Result("cookies", worst, dict(COOKIE_PROBLEMS)[worst])
    if missing_samesite:
        return Result("cookies", "cookies-secure-with-httponly-sessions", 0)
    return Result("cookies", "cookies-secure-with-httponly-sessions-and-samesite", 5)


def check_redirection(scan):
    if scan.http_status is None:
        return Result("redirection", "redirection-not-needed-no-http", 0)
    if scan.http_status not in {301, 302, 303, 307, 308} or not scan.http_location:
        return Result("redirection", "redirection-missing", -20)
    target = urlsplit(scan.http_location)
    if target.scheme != "https":
        return Result("redirection", "redirection-not-to-https", -20)
    if target.hostname != urlsplit(scan.url).hostname:
        return Result("redirection", "redirection-off-host-from-http", -5)
    return Result("redirection", "redirection-to-https", 0)


def check_referrer_policy(scan):
    header = scan.headers.get("referrer-policy")
    if header is None:
        return Result("referrer-policy", "referrer-policy-not-implemented", 0)
    # Browsers apply the last policy they recognise.
    known = [t.strip().lower() for t in header.split(",") if t.strip().lower() in ALL_REFERRER]
    if not known:
        return Result("referrer-policy", "referrer-policy-header-invalid", -5)
    if known[-1] in PRIVATE_REFERRER:
        return Result("referrer-policy", "referrer-policy-private", 5)
    return Result("referrer-policy", "referrer-policy-unsafe", -5)


def check_x_content_type_options(scan):
    header = scan.headers.get("x-content-type-options")
    if header is None:
        return Result("x-content-type-options", "x-content-type-options-not-implemented", -5)
    if header.strip().lower() == "nosniff":
        return Result("x-content-type-options", "x-content-type-options-nosniff", 0)
    return Result("x-content-type-options", "x-content-type-options-header-invalid", -5)


def check_x_frame_options(scan):
    try:
        csp = parse_csp(scan.headers.get("content-security-policy", ""))
    except ValueError:
        csp = {}
    ancestors = csp.get("frame-ancestors")
    if ancestors and not ancestors & BROAD_SOURCES:
        return Result("x-frame-options", "x-frame-options-implemented-via-csp", 5)
    header = scan.headers.get("x-frame-options")
    if header is None:
        return Result("x-frame-options", "x-frame-options-not-implemented", -20)
    value = header.strip().lower()
    if value in {"deny", "sameorigin"}:
        return Result("x-frame-options", "x-frame-options-sameorigin-or-deny", 0)
    if value.startswith("allow-from "):
        return Result("x-frame-options", "x-frame-options-allow-from-origin", 0)
    return Result("x-frame-options", "x-frame-options-header-invalid", -20)


def check_corp(scan):
    header = scan.headers.get("cross-origin-resource-policy")
    if header is None:
        return Result("cross-origin-resource-policy", "corp-not-implemented", 0)
    value = header.strip().lower()
    if value in {"same-origin", "same-site"}:
        return Result("cross-origin-resource-policy", f"corp-implemented-with-{value}", 10)
    if value == "cross-origin":
        return Result("cross-origin-resource-policy", "corp-implemented-with-cross-origin", 0)
    return Result("cross-origin-resource-policy", "corp-header-invalid", -5)


def check_cors(scan):
    origin = scan.headers.get("access-control-allow-origin")
    if origin is None:
        return Result("cors", "cross-origin-resource-sharing-not-implemented", 0)
    credentials = scan.headers.get("access-control-allow-credentials", "").lower() == "true"
    if origin.strip() != "*" and credentials:
        return Result(
            "cors", "cross-origin-resource-sharing-implemented-with-universal-access", -50
        )
    return Result("cors", "cross-origin-resource-sharing-implemented-with-public-access", 0)


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def check_sri(scan):
    if "html" not in scan.headers.get("content-type", ""):
        return Result("subresource-integrity", "sri-not-implemented-response-not-html", 0)
    host = urlsplit(scan.url).hostname
    external, insecure, with_sri = [], False, 0
    for attributes in SCRIPT_TAG.findall(scan.body):
        src = re.search(r"""\bsrc\s*=\s*["']?([^"'\s>]+)""", attributes, re.IGNORECASE)
        if not src:
            continue
        target = urlsplit(src.group(1))
        if target.hostname and target.hostname != host:
            external.append(src.group(1))
            insecure = insecure or target.scheme != "https"
        with_sri += bool(re.search(r"\bintegrity\s*=", attributes, re.IGNORECASE))
    if not external:
        if with_sri:
            return Result(
                "subresource-integrity", "sri-implemented-and-all-scripts-loaded-securely", 5
            )
        return Result(
            "subresource-integrity",
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
            0,
        )
    if insecure:
        return Result(
            "subresource-integrity",
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
            -50,
        )
    return Result(
        "subresource-integrity", "sri-not-implemented-but-external-scripts-loaded-securely", -5
    )


CHECKS = [
    check_csp,
    check_cookies,
    check_cors,
    check_redirection,
    check_referrer_policy,
    check_hsts,
    check_sri,
    check_x_content_type_options,
    check_x_frame_options,
    check_corp,
]


def score(scan):
    """(score, results): penalties first; bonuses only when that leaves 90 or more."""
    results = [check(scan) for check in CHECKS]
    total = 100 + sum(r.modifier for r in results if r.modifier < 0)
    if total >= 90:
        total += sum(r.modifier for r in results if r.modifier > 0)
    return max(total, 0), results


def grade(points):
    bands = [(100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+")]
    bands += [(50, "C"), (45, "C-"), (40, "D+"), (30, "D"), (25, "D-")]
    return next((letter for floor, letter in bands if points >= floor), "F")
