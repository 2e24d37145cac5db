"""An OpenID Connect relying party we did not write (Authlib) logs in, refreshes, calls
userinfo and logs out against a running `portunus serve all --dev`, then logs in again
through a pushed authorization request (RFC 9126) and with a request object it signs
itself (RFC 9101).

Usage: python oidc_rp_authlib.py <admin_url> <public_url>
This script plays the relying party (Authlib), the browser (requests, no redirects
followed, cookies kept) and the login/consent app (plain admin API calls).
"""

import secrets
import sys
import time
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

ADMIN, PUBLIC = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
REDIRECT = "https://rp.test/callback"
LOGGED_OUT = "https://rp.test/bye"


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def param(url, name):
    parsed = urllib.parse.urlparse(url)
    return urllib.parse.parse_qs(parsed.query).get(name, [None])[0]


browser = requests.Session()


def follow(url):
    response = browser.get(url, allow_redirects=False)
    check(response.status_code in (302, 303), f"redirect from {url.split('?')[0]} ({response.status_code})")
    return response.headers["Location"]


# Discovery, as an RP does it.
metadata = requests.get(f"{PUBLIC}/.well-known/openid-configuration").json()
check(metadata["issuer"].rstrip("/") == PUBLIC, "discovery issuer is the public URL")
jwks = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"]).json())

client = requests.post(
    f"{ADMIN}/admin/clients",
    json={
        "client_name": "authlib-rp",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid offline_access email",
        "token_endpoint_auth_method": "client_secret_basic",
    },
).json()

rp = OAuth2Session(
    client["client_id"],
    client["client_secret"],
    scope="openid offline_access email",
    redirect_uri=REDIRECT,
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
verifier = secrets.token_urlsafe(48)
nonce = secrets.token_urlsafe(16)
authorize_url, state = rp.create_authorization_url(
    metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
)

# The login and consent app's part, over the admin API.
login = follow(authorize_url)
challenge = param(login, "login_challenge")
accepted = requests.put(
    f"{ADMIN}/admin/oauth2/auth/requests/login/accept",
    params={"login_challenge": challenge},
    json={"subject": "ada", "remember": True},
).json()
consent = follow(accepted["redirect_to"])
challenge = param(consent, "consent_challenge")
accepted = requests.put(
    f"{ADMIN}/admin/oauth2/auth/requests/consent/accept",
    params={"consent_challenge": challenge},
    json={
        "grant_scope": ["openid", "offline_access", "email"],
        "session": {"id_token": {"email": "ada@example.com", "email_verified": True}},
    },
).json()
callback = follow(accepted["redirect_to"])
check(callback.startswith(REDIRECT) and param(callback, "state") == state, "code returned with state")
check(
    metadata.get("authorization_response_iss_parameter_supported") is True and param(callback, "iss") == metadata["issuer"],
    "RFC 9207: the response's iss is the discovered issuer",
)

# Authlib exchanges the code (PKCE) and validates the ID token.
token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
check(token.get("refresh_token") and token.get("id_token"), "tokens issued (access, refresh, ID)")
claims = jwt.decode(
    token["id_token"],
    jwks,
    claims_cls=CodeIDToken,
    claims_options={"iss": {"essential": True, "value": metadata["issuer"]}, "aud": {"essential": True, "value": client["client_id"]}},
    claims_params={"nonce": nonce, "client_id": client["client_id"], "access_token": token["access_token"]},
)
claims.validate()
check(claims["sub"] == "ada" and claims["nonce"] == nonce, "ID token valid: signature, iss, aud, exp, nonce, at_hash")

userinfo = rp.get(metadata["userinfo_endpoint"]).json()
check(userinfo == {"sub": "ada", "email": "ada@example.com", "email_verified": True}, f"userinfo {userinfo}")

refreshed = rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
check(refreshed["refresh_token"] != token["refresh_token"], "refresh rotates the refresh token")
again = jwt.decode(refreshed["id_token"], jwks, claims_cls=CodeIDToken, claims_params={"client_id": client["client_id"]})
again.validate()
check(again["sub"] == "ada" and again["auth_time"] == claims["auth_time"], "refreshed ID token keeps sub and auth_time")
stale = requests.post(
    metadata["token_endpoint"],
    data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
    auth=(client["client_id"], client["client_secret"]),
)
check(stale.status_code == 400 and stale.json()["error"] == "invalid_grant", "a rotated refresh token is refused")

# RP-initiated logout with the ID token as hint.
logout_url = metadata["end_session_endpoint"] + "?" + urllib.parse.urlencode(
    {"id_token_hint": refreshed["id_token"], "post_logout_redirect_uri": LOGGED_OUT, "state": "bye-state"}
)
logout = follow(logout_url)
challenge = param(logout, "logout_challenge")
check(challenge is not None, "logout app asked")
accepted = requests.put(
    f"{ADMIN}/admin/oauth2/auth/requests/logout/accept", params={"logout_challenge": challenge}
).json()
final = follow(accepted["redirect_to"])
check(final.startswith(LOGGED_OUT) and param(final, "state") == "bye-state", "back at the RP after logout")
login_again = follow(authorize_url.replace(f"state={state}", "state=second"))
request = requests.get(
    f"{ADMIN}/admin/oauth2/auth/requests/login", params={"login_challenge": param(login_again, "login_challenge")}
).json()
check(request["skip"] is False, "the session is gone: the login app is asked again")

# RFC 9126: the same request pushed to the PAR endpoint. Authlib builds the request
# (PKCE, nonce, state), the RP pushes its parameters with its client credentials, the
# browser carries only client_id and request_uri, and Authlib exchanges the code.
check(metadata.get("pushed_authorization_request_endpoint") == f"{PUBLIC}/oauth2/par", "discovery names the PAR endpoint")
verifier = secrets.token_urlsafe(48)
nonce = secrets.token_urlsafe(16)
built, state = rp.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
pushed = requests.post(
    metadata["pushed_authorization_request_endpoint"],
    data=dict(urllib.parse.parse_qsl(urllib.parse.urlparse(built).query)),
    auth=(client["client_id"], client["client_secret"]),
)
check(pushed.status_code == 201 and pushed.json()["request_uri"].startswith("urn:ietf:params:oauth:request_uri:"), "request pushed (201, request_uri)")
par_url = metadata["authorization_endpoint"] + "?" + urllib.parse.urlencode(
    {"client_id": client["client_id"], "request_uri": pushed.json()["request_uri"]}
)
login = follow(par_url)
accepted = requests.put(
    f"{ADMIN}/admin/oauth2/auth/requests/login/accept",
    params={"login_challenge": param(login, "login_challenge")},
    json={"subject": "ada"},
).json()
consent = follow(accepted["redirect_to"])
accepted = requests.put(
    f"{ADMIN}/admin/oauth2/auth/requests/consent/accept",
    params={"consent_challenge": param(consent, "consent_challenge")},
    json={"grant_scope": ["openid", "email"]},
).json()
callback = follow(accepted["redirect_to"])
check(param(callback, "state") == state and param(callback, "iss") == metadata["issuer"], "PAR: code returned with the pushed state and iss")
token = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
claims = jwt.decode(
    token["id_token"], jwks, claims_cls=CodeIDToken, claims_params={"nonce": nonce, "client_id": client["client_id"]}
)
claims.validate()
check(claims["nonce"] == nonce, "PAR: Authlib exchanged the code and validated the ID token")
reused = browser.get(par_url, allow_redirects=False)
check(reused.status_code == 400 and "invalid_request_uri" in reused.text, "PAR: the request_uri works once")

# RFC 9101: the same login with the parameters in a request object that Authlib signs
# with the client's own ES256 key (registered as a public JWK), passed by value.
key = JsonWebKey.generate_key("EC", "P-256", is_private=True, options={"kid": "rp-signing-key"})
signed_client = requests.post(
    f"{ADMIN}/admin/clients",
    json={
        "client_name": "authlib-rp-request-objects",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": "openid email",
        "token_endpoint_auth_method": "client_secret_basic",
        "request_object_signing_alg": "ES256",
        "jwks": {"keys": [key.as_dict(is_private=False, alg="ES256", use="sig")]},
    },
).json()
check("client_id" in signed_client, "a client with a request object key registered")
signed_rp = OAuth2Session(
    signed_client["client_id"],
    signed_client["client_secret"],
    scope="openid email",
    redirect_uri=REDIRECT,
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
verifier = secrets.token_urlsafe(48)
nonce = secrets.token_urlsafe(16)
built, state = signed_rp.create_authorization_url(
    metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
)
params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(built).query))
now = int(time.time())


def request_object(signing_key):
    claims = dict(params, iss=signed_client["client_id"], aud=metadata["issuer"], iat=now, exp=now + 300)
    header = {"alg": "ES256", "kid": signing_key.as_dict()["kid"], "typ": "oauth-authz-req+jwt"}
    return jwt.encode(header, claims, signing_key).decode()


check("ES256" in metadata.get("request_object_signing_alg_values_supported", []), "discovery lists ES256 for request objects")
by_value = metadata["authorization_endpoint"] + "?" + urllib.parse.urlencode(
    {"client_id": signed_client["client_id"], "response_type": "code", "scope": "openid", "request": request_object(key)}
)
login = follow(by_value)
accepted = requests.put(
    f"{ADMIN}/admin/oauth2/auth/requests/login/accept",
    params={"login_challenge": param(login, "login_challenge")},
    json={"subject": "ada"},
).json()
consent = follow(accepted["redirect_to"])
accepted = requests.put(
    f"{ADMIN}/admin/oauth2/auth/requests/consent/accept",
    params={"consent_challenge": param(consent, "consent_challenge")},
    json={"grant_scope": ["openid", "email"]},
).json()
callback = follow(accepted["redirect_to"])
check(param(callback, "state") == state, "request object: code returned with the signed state")
token = signed_rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
claims = jwt.decode(
    token["id_token"], jwks, claims_cls=CodeIDToken, claims_params={"nonce": nonce, "client_id": signed_client["client_id"]}
)
claims.validate()
check(claims["nonce"] == nonce, "request object: the signed nonce reached the ID token")
stranger = JsonWebKey.generate_key("EC", "P-256", is_private=True, options={"kid": "rp-signing-key"})
forged = metadata["authorization_endpoint"] + "?" + urllib.parse.urlencode(
    {"client_id": signed_client["client_id"], "response_type": "code", "scope": "openid", "request": request_object(stranger)}
)
# Unverified, the object's redirect_uri cannot be trusted: the error is shown, not sent.
refused = browser.get(forged, allow_redirects=False)
check(
    refused.status_code == 400 and "invalid_request_object" in refused.text,
    "request object: one signed by another key is refused with invalid_request_object (400, shown)",
)
print("all relying-party checks passed")
