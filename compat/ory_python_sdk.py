"""Drives Portunus with Ory's own published Hydra SDK for Python (`ory-hydra-client`),
unchanged: the proof that apps and services written for Hydra v2 work against Portunus.

Usage: python ory_python_sdk.py <admin_url> <public_url>
Run by the integration test `ory_sdk_compat` (see compat/README.md); exits non-zero with
the failing step on any mismatch.
"""

import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request

import ory_hydra_client
from ory_hydra_client.api.jwk_api import JwkApi
from ory_hydra_client.api.metadata_api import MetadataApi
from ory_hydra_client.api.o_auth2_api import OAuth2Api
from ory_hydra_client.models import (
    AcceptOAuth2ConsentRequest,
    AcceptOAuth2LoginRequest,
    CreateJsonWebKeySet,
    JsonPatch,
    OAuth2Client,
    OAuth2ClientTokenLifespans,
)

ADMIN, PUBLIC = sys.argv[1], sys.argv[2]
REDIRECT = "https://client.test/callback"


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


api_client = ory_hydra_client.ApiClient(ory_hydra_client.Configuration(host=ADMIN))
oauth2 = OAuth2Api(api_client)

# Client management (Hydra's admin client API).
created = oauth2.create_o_auth2_client(
    OAuth2Client(
        client_name="ory-sdk",
        redirect_uris=[REDIRECT],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        response_types=["code"],
        scope="openid offline",
        metadata={"team": "compat"},
    )
)
check(created.client_id and created.client_secret, "create returns id and secret")
fetched = oauth2.get_o_auth2_client(created.client_id)
check(fetched.client_name == "ory-sdk" and fetched.client_secret is None, "get round-trips, no secret")
check(fetched.metadata == {"team": "compat"}, "metadata round-trips")
listed = oauth2.list_o_auth2_clients(page_size=10)
check(any(c.client_id == created.client_id for c in listed), "list contains the client")
patched = oauth2.patch_o_auth2_client(
    created.client_id, [JsonPatch(op="replace", path="/client_name", value="patched")]
)
check(patched.client_name == "patched", "JSON Patch applies")
fetched.client_name = "replaced"
replaced = oauth2.set_o_auth2_client(created.client_id, fetched)
check(replaced.client_name == "replaced", "PUT replaces")
lifespans = oauth2.set_o_auth2_client_lifespans(
    created.client_id,
    OAuth2ClientTokenLifespans(client_credentials_grant_access_token_lifespan="2h"),
)
check(lifespans.client_credentials_grant_access_token_lifespan == "2h0m0s", "lifespans set")
try:
    oauth2.get_o_auth2_client("does-not-exist")
    check(False, "unknown client is 404")
except ory_hydra_client.exceptions.NotFoundException:
    check(True, "unknown client is 404")

# Keys and metadata.
jwks = JwkApi(api_client).create_json_web_key_set("compat-set", CreateJsonWebKeySet(alg="ES256", kid="k1", use="sig"))
check(jwks.keys[0].kid == "k1", "JSON Web Key set created")
check(MetadataApi(ory_hydra_client.ApiClient(ory_hydra_client.Configuration(host=ADMIN))).get_version().version, "version")

# The login/consent flow: this script is the browser (no redirects followed, cookies
# kept) and, through the SDK, the login and consent app.
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


jar = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))


def follow(url):
    try:
        browser.open(url)
    except urllib.error.HTTPError as redirect:
        return redirect.headers["Location"]
    raise SystemExit(f"FAILED: no redirect from {url}")


def param(url, name):
    return urllib.parse.parse_qs(urllib.parse.urlparse(url).query)[name][0]


query = urllib.parse.urlencode(
    {"client_id": created.client_id, "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid offline", "state": "state-123456"}
)
login_url = follow(f"{PUBLIC}/oauth2/auth?{query}")
login = oauth2.get_o_auth2_login_request(param(login_url, "login_challenge"))
check(login.client.client_id == created.client_id and login.skip is False, "login request read")
accepted = oauth2.accept_o_auth2_login_request(login.challenge, AcceptOAuth2LoginRequest(subject="ada", remember=True))
consent_url = follow(accepted.redirect_to)
consent = oauth2.get_o_auth2_consent_request(param(consent_url, "consent_challenge"))
check(consent.subject == "ada" and consent.requested_scope == ["openid", "offline"], "consent request read")
done = oauth2.accept_o_auth2_consent_request(
    consent.challenge, AcceptOAuth2ConsentRequest(grant_scope=["openid", "offline"], remember=True)
)
callback = follow(done.redirect_to)
check(param(callback, "code").startswith("ptn_ac_") and param(callback, "state") == "state-123456", "code issued to the client")

# Logout (OIDC RP-Initiated Logout with Hydra's logout challenge): the remembered
# session goes to the logout app, which accepts; the verifier ends the session.
logout_url = follow(f"{PUBLIC}/oauth2/sessions/logout")
logout = oauth2.get_o_auth2_logout_request(param(logout_url, "logout_challenge"))
check(logout.subject == "ada" and logout.sid and logout.rp_initiated is False, "logout request read")
logged_out = oauth2.accept_o_auth2_logout_request(logout.challenge)
check(browser.open(logged_out.redirect_to).status == 200, "session ended")
relogin = oauth2.get_o_auth2_login_request(param(follow(f"{PUBLIC}/oauth2/auth?{query}"), "login_challenge"))
check(relogin.skip is False, "the next login asks again")
sessions = oauth2.list_o_auth2_consent_sessions("ada")
check(len(sessions) == 1 and sessions[0].grant_scope == ["openid", "offline"], "consent sessions listed")
oauth2.revoke_o_auth2_consent_sessions("ada", client=created.client_id)
check(oauth2.list_o_auth2_consent_sessions("ada") == [], "consent sessions revoked")
oauth2.revoke_o_auth2_login_sessions(subject="ada")

oauth2.delete_o_auth2_client(created.client_id)
check(created.client_id not in [c.client_id for c in oauth2.list_o_auth2_clients()], "client deleted")
print("all Ory SDK checks passed")
