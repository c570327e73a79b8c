"""Schemathesis hooks for `cargo xtask fuzz`: a registered user's credentials for every request.

/v1 operations are sent with an API key, /api operations with the user's JWT access token. The
users are admins (made by `studio-gateway admin create-user --admin`), so the operators' routes are fuzzed past their 403. The
fuzzer may log the session out, revoke the key or disable the account; a 401 makes schemathesis
ask for fresh credentials (retry_on=[401]) and this provider signs in again (reusing the key
while it works), or registers the next user when the old one can no longer sign in.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["STUDIO_URL"]
PASSWORD = os.environ["FUZZ_PASSWORD"]
USERS = int(os.environ.get("FUZZ_USERS", "10"))


def _call(method, path, body=None, token=None):
    request = urllib.request.Request(BASE + path, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data, timeout=30) as response:
        return json.loads(response.read() or b"null")


def _works(key):
    try:
        _call("GET", "/v1/models", token=key)
        return True
    except urllib.error.HTTPError:
        return False


def _new_key(jwt):
    try:
        return _call("POST", "/api/keys", {"name": "fuzz"}, jwt)["key"]
    except urllib.error.HTTPError as error:
        if error.code != 409:
            raise
    # Too many keys (the fuzzer makes them too): revoke them all and start again.
    for key in _call("GET", "/api/keys", token=jwt):
        _call("DELETE", f"/api/keys/{key['id']}", token=jwt)
    return _call("POST", "/api/keys", {"name": "fuzz"}, jwt)["key"]


def _sign_in(email):
    try:
        return _call("POST", "/api/auth/login", {"email": email, "password": PASSWORD})
    except urllib.error.HTTPError as error:
        if error.code != 401:
            raise
        # The fuzzer deleted the account (or changed its password): register it again.
        return _call("POST", "/api/auth/register", {"email": email, "password": PASSWORD})


@schemathesis.auth(refresh_interval=120)
class StudioCredentials:
    user = 0
    key = None

    def get(self, case, ctx):
        for _ in range(3 * USERS):
            email = f"fuzz-{StudioCredentials.user}@example.com"
            try:
                session = _sign_in(email)
                jwt = session["accessToken"]
                key = StudioCredentials.key
                if key is None or not _works(key):
                    key = StudioCredentials.key = _new_key(jwt)
                return {"jwt": jwt, "key": key}
            except urllib.error.HTTPError as error:
                body = error.read().decode(errors="replace")[:200]
                print(f"fuzz_hooks: {email}: {error.code} {body}", file=sys.stderr)
                if error.code in (429, 503):
                    time.sleep(float(error.headers.get("retry-after") or 1))
                    continue
                # Disabled, deleted or otherwise lost to the fuzzer: the next user.
                StudioCredentials.user = (StudioCredentials.user + 1) % USERS
                StudioCredentials.key = None
        raise RuntimeError("no user can sign in")

    def set(self, case, data, ctx):
        token = data["key"] if case.path.startswith("/v1/") else data["jwt"]
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
