"""Schemathesis hooks for `cargo xtask fuzz`: a registered user's credentials for every request.

/v1 operations are sent with an API key, /api operations with the user's JWT access token. The
fuzzer may log the session out, revoke the key or change the account; a 401 makes schemathesis
ask for fresh credentials (retry_on=[401]) and this provider signs in again, or registers a new
user when the old one can no longer sign in.
"""
import itertools
import json
import os
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["STUDIO_URL"]
PASSWORD = "fuzzing is a feature"
_users = itertools.count()


def _call(method, path, body=None, token=None):
    request = urllib.request.Request(BASE + path, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data, timeout=30) as response:
        return json.loads(response.read() or b"null")


def _sign_in(email):
    try:
        return _call("POST", "/api/auth/login", {"email": email, "password": PASSWORD})
    except urllib.error.HTTPError:
        return _call("POST", "/api/auth/register", {"email": email, "password": PASSWORD})


@schemathesis.auth(refresh_interval=120)
class StudioCredentials:
    email = "fuzz-0@example.com"

    def get(self, case, ctx):
        try:
            session = _sign_in(self.email)
        except urllib.error.HTTPError:
            # The account was disabled, deleted or taken over by the fuzzer: start a new one.
            StudioCredentials.email = f"fuzz-{next(_users) + 1}@example.com"
            session = _sign_in(self.email)
        key = _call("POST", "/api/keys", {"name": "fuzz"}, session["accessToken"])["key"]
        return {"jwt": session["accessToken"], "key": key}

    def set(self, case, data, ctx):
        token = data["key"] if case.path.startswith("/v1/") else data["jwt"]
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
