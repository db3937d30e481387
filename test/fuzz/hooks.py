"""Schemathesis hooks for the API fuzz run (loaded with SCHEMATHESIS_HOOKS=hooks, PYTHONPATH=test/fuzz).

- before_call: adds the service's credentials (from the stack file) to most requests, leaves
  them out of a few so the 401 paths are fuzzed too, puts the real Open311 api_key into most
  Open311 form posts, and never lets the fuzzer sign our own staff token out.
- after_call: counts requests, 5xx answers and malformed 4xx answers per service.
- error_body_shape (check): every 4xx has a JSON body {code, message} or, under /open311/, the
  GeoReport v2 error list ([{code, description}] in JSON, <errors> in XML).
At exit the counts are written to FUZZ_STATS_FILE; run.sh adds them up and decides.
"""

import atexit
import json
import os
import random
import threading
import urllib.request

import schemathesis

SERVICE = os.environ.get("FUZZ_SERVICE", "unknown")
STACK = json.load(open(os.environ["FUZZ_STACK_FILE"], encoding="utf-8"))
AUTH_HEADERS = STACK["services"].get(SERVICE, {}).get("headers", {})
OPEN311_KEY = STACK["open311ApiKey"]
STATS_FILE = os.environ.get("FUZZ_STATS_FILE")
# Share of requests sent without credentials (exercises the 401 paths).
NO_AUTH_SHARE = float(os.environ.get("FUZZ_NO_AUTH_SHARE", "0.05"))

_lock = threading.Lock()
_stats = {
    "service": SERVICE,
    "requests": 0,
    "by_status": {},
    "server_errors": 0,
    "malformed_4xx": 0,
    "examples": [],
}
_rng = random.Random(int(os.environ.get("FUZZ_SEED", "20261123")))
_service_codes: list[str] | None = None


def _open311_service_codes() -> list[str]:
    """The real service codes (categories), read once, so some form posts get past validation."""
    global _service_codes
    if _service_codes is None:
        try:
            url = STACK["services"]["intake"]["url"] + "/open311/v2/services.json"
            with urllib.request.urlopen(url, timeout=10) as r:
                _service_codes = [s["service_code"] for s in json.load(r)]
        except Exception:  # noqa: BLE001 - the fuzz run goes on with generated codes only
            _service_codes = []
    return _service_codes


def _path_of(case) -> str:
    return case.operation.path


def _describe(case, response, problem: str) -> dict:
    body = response.text if hasattr(response, "text") else ""
    return {
        "problem": problem,
        "method": case.method,
        "path": case.formatted_path if hasattr(case, "formatted_path") else _path_of(case),
        "status": response.status_code,
        "body": body[:500],
    }


def _error_body_problem(case, response) -> str | None:
    """None when a 4xx answer has a well-formed error body, else what is wrong."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    ctype = response.headers.get("Content-Type", "")
    text = response.text or ""
    open311 = _path_of(case).startswith("/open311/")
    if open311 and "xml" in ctype:
        if "<errors>" in text and "<description>" in text:
            return None
        return "Open311 XML error without <errors><error><code/><description/>"
    if "json" not in ctype:
        return f"{status} with Content-Type {ctype!r}, not JSON"
    try:
        body = json.loads(text)
    except ValueError:
        return f"{status} with a body that is not JSON"
    if isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("message"), str):
        return None
    if (
        open311
        and isinstance(body, list)
        and body
        and all(isinstance(e, dict) and "code" in e and isinstance(e.get("description"), str) for e in body)
    ):
        return None
    return f"{status} JSON body without string code and message"


@schemathesis.hook
def before_call(context, case):
    path = _path_of(case)
    headers = dict(case.headers or {})
    if path.endswith("/auth/logout"):
        # Signing out with the run's own staff token would turn every later request into a 401.
        headers.pop("Authorization", None)
        headers.pop("Cookie", None)
        case.headers = headers
        return
    if _rng.random() >= NO_AUTH_SHARE:
        headers.update(AUTH_HEADERS)
    if path.startswith("/open311/") and case.method.upper() == "POST" and isinstance(case.body, dict):
        if _rng.random() < 0.85:
            case.body["api_key"] = OPEN311_KEY
        codes = _open311_service_codes()
        if codes and _rng.random() < 0.4:
            # A plausible request now and then, so the happy path (201) is fuzzed too.
            case.body["service_code"] = _rng.choice(codes)
            case.body.setdefault("description", "fuzz: 楼道灯坏了 stair light broken")
            case.body["lat"] = round(_rng.uniform(30.2, 30.3), 6)
            case.body["long"] = round(_rng.uniform(120.1, 120.2), 6)
    case.headers = headers


@schemathesis.hook
def after_call(context, case, response):
    problem = _error_body_problem(case, response)
    with _lock:
        _stats["requests"] += 1
        key = str(response.status_code)
        _stats["by_status"][key] = _stats["by_status"].get(key, 0) + 1
        if response.status_code >= 500:
            _stats["server_errors"] += 1
            if len(_stats["examples"]) < 25:
                _stats["examples"].append(_describe(case, response, "server error"))
        if problem:
            _stats["malformed_4xx"] += 1
            if len(_stats["examples"]) < 25:
                _stats["examples"].append(_describe(case, response, problem))


@schemathesis.check
def error_body_shape(ctx, response, case):
    problem = _error_body_problem(case, response)
    if problem:
        raise AssertionError(problem)
    return None


def _write_stats():
    if not STATS_FILE:
        return
    with _lock:
        with open(STATS_FILE, "w", encoding="utf-8") as f:
            json.dump(_stats, f, indent=2)


atexit.register(_write_stats)
