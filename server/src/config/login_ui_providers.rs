//! `login_ui.providers[]` (issue 22 §1, docs/login-ui.md): upstream identity providers
//! the sign-in page offers beside the password form ("Sign in with …"). Generic OpenID
//! Connect (an issuer whose discovery document, OIDC Discovery 1.0 §4, names the
//! endpoints), and presets for Google, Microsoft Entra ID and GitHub (OAuth 2.0 and its
//! REST API, which has no ID token). Each provider's endpoints can be overridden, so a
//! test can stand a local server in for the real one.

use serde::{Deserialize, Serialize};

/// `login_ui.providers[].type`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Any OpenID Connect provider: `issuer` (or `discovery_url`) required.
    #[default]
    Oidc,
    /// Google (`https://accounts.google.com`).
    Google,
    /// Microsoft Entra ID (`https://login.microsoftonline.com/<tenant>/v2.0`).
    Microsoft,
    /// GitHub: OAuth 2.0 authorization code, then `GET /user` and `/user/emails`.
    Github,
}

/// `login_ui.providers[].on_first_login`: what an upstream identity without a link
/// becomes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum FirstLogin {
    /// A new local user (without a password) is created and linked.
    #[default]
    Create,
    /// The identity is linked to the one enabled local user whose verified email is the
    /// upstream's verified email; without exactly one such user the sign-in is refused.
    RequireExisting,
}

/// `login_ui.providers[].mapper`: the upstream claims that fill the local user's
/// fields when it is created (ID token claims; GitHub: `/user` fields).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimMapper {
    /// The claim holding the email address (`email`).
    pub email: String,
    /// The claim holding the display name (`name`).
    pub name: String,
}

impl Default for ClaimMapper {
    fn default() -> Self {
        Self {
            email: "email".into(),
            name: "name".into(),
        }
    }
}

/// One upstream identity provider.
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamProvider {
    /// Unique; in the routes `/auth/login/{id}` and `/auth/callback/{id}` and the link
    /// table. 1 to 64 of `a-z 0-9 - _`.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ProviderKind,
    /// The button's label ("Sign in with <name>"); the id when empty.
    pub name: String,
    pub client_id: String,
    /// Sent to the token endpoint; never logged or shown.
    pub client_secret: String,
    /// Scopes asked for; empty: the type's default (`openid email profile`, GitHub
    /// `read:user user:email`).
    pub scopes: Vec<String>,
    /// OIDC: the issuer (`iss` of its ID tokens); Google and Microsoft have theirs.
    pub issuer: Option<String>,
    /// OIDC: the discovery document, default `<issuer>/.well-known/openid-configuration`.
    pub discovery_url: Option<String>,
    /// Microsoft: the tenant (`common`, `organizations`, `consumers` or a tenant id;
    /// default `common`).
    pub tenant: Option<String>,
    pub on_first_login: FirstLogin,
    pub mapper: ClaimMapper,
    /// GitHub: the web base URL of `/login/oauth/authorize` and `/login/oauth/access_token`
    /// (default `https://github.com`).
    pub base_url: Option<String>,
    /// GitHub: the REST API base URL (default `https://api.github.com`).
    pub api_url: Option<String>,
    /// OIDC: the JWS `alg` the provider signs its ID tokens with, as registered there
    /// for this client (OIDC Dynamic Client Registration 1.0 §2
    /// `id_token_signed_response_alg`). Unset: any asymmetric algorithm, with a key of
    /// the provider's JWK Set. An asymmetric name pins that one algorithm (RFC 8725
    /// §3.1). `HS256`, `HS384` or `HS512` accept ID tokens MACed with the client secret
    /// (OIDC Core §10.1), and only those.
    pub id_token_signed_response_alg: Option<String>,
}

/// Never prints the client secret.
impl std::fmt::Debug for UpstreamProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamProvider")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("tenant", &self.tenant)
            .field(
                "id_token_signed_response_alg",
                &self.id_token_signed_response_alg,
            )
            .finish_non_exhaustive()
    }
}

/// Longest provider id (the link table's column is 64 characters).
pub const MAX_PROVIDER_ID_LEN: usize = 64;

impl UpstreamProvider {
    /// The label of its button.
    pub fn label(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.id
        } else {
            &self.name
        }
    }

    /// The issuer its ID tokens name: configured, or the preset's. GitHub has none.
    /// Microsoft's multi-tenant issuers hold `{tenantid}` (replaced by the token's `tid`).
    pub fn effective_issuer(&self) -> Option<String> {
        match self.kind {
            ProviderKind::Oidc => self.issuer.clone(),
            ProviderKind::Google => Some(
                self.issuer
                    .clone()
                    .unwrap_or_else(|| "https://accounts.google.com".into()),
            ),
            ProviderKind::Microsoft => Some(self.issuer.clone().unwrap_or_else(|| {
                format!(
                    "https://login.microsoftonline.com/{}/v2.0",
                    self.tenant.as_deref().unwrap_or("common")
                )
            })),
            ProviderKind::Github => None,
        }
    }

    /// Where its OIDC discovery document is (OIDC Discovery 1.0 §4.1).
    pub fn discovery_document_url(&self) -> Option<String> {
        self.discovery_url.clone().or_else(|| {
            self.effective_issuer().map(|issuer| {
                format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                )
            })
        })
    }

    /// The scopes asked for, space-separated (RFC 6749 §3.3).
    pub fn scope(&self) -> String {
        if !self.scopes.is_empty() {
            return self.scopes.join(" ");
        }
        match self.kind {
            ProviderKind::Github => "read:user user:email".into(),
            _ => "openid email profile".into(),
        }
    }

    /// GitHub's web base URL, without a trailing slash.
    pub fn github_base(&self) -> String {
        self.base_url
            .as_deref()
            .unwrap_or("https://github.com")
            .trim_end_matches('/')
            .to_owned()
    }

    /// GitHub's API base URL, without a trailing slash.
    pub fn github_api(&self) -> String {
        self.api_url
            .as_deref()
            .unwrap_or("https://api.github.com")
            .trim_end_matches('/')
            .to_owned()
    }
}

/// The JWS algorithms an upstream ID token may be pinned to (RFC 7518 §3.1 less `none`),
/// by name: the configuration does not depend on `crate::jwk`, whose `Algorithm::ALL`
/// a test there keeps equal to this list. With each, the shortest client secret it
/// takes: RFC 7518 §3.2 wants an HMAC key at least as long as the hash output, and the
/// key of an ID token MACed with the client secret is the secret's octets (OIDC Core
/// §10.1); 0 for the asymmetric ones, whose keys come from the provider's JWK Set.
pub const ID_TOKEN_ALGORITHMS: [(&str, usize); 13] = [
    ("RS256", 0),
    ("RS384", 0),
    ("RS512", 0),
    ("PS256", 0),
    ("PS384", 0),
    ("PS512", 0),
    ("ES256", 0),
    ("ES384", 0),
    ("ES512", 0),
    ("EdDSA", 0),
    ("HS256", 32),
    ("HS384", 48),
    ("HS512", 64),
];

/// Whether `value` is an https URL, or an http URL of a loopback host (a provider on
/// this machine: development and tests).
fn secure_url(value: &str) -> bool {
    let Ok(url) = url::Url::parse(value) else {
        return false;
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// The problems of `providers`, as (key suffix under `login_ui.`, message).
pub fn problems(providers: &[UpstreamProvider]) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for (index, p) in providers.iter().enumerate() {
        let key = |field: &str| format!("providers[{index}].{field}");
        let id_ok = !p.id.is_empty()
            && p.id.len() <= MAX_PROVIDER_ID_LEN
            && p.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            problems.push((
                key("id"),
                "must have 1 to 64 characters of a-z, 0-9, - and _".into(),
            ));
        }
        if providers[..index].iter().any(|q| q.id == p.id) {
            problems.push((key("id"), format!("{:?} is used by another provider", p.id)));
        }
        if p.client_id.is_empty() {
            problems.push((key("client_id"), "is required".into()));
        }
        if p.client_secret.is_empty() {
            problems.push((key("client_secret"), "is required".into()));
        }
        if p.kind == ProviderKind::Oidc && p.issuer.is_none() {
            problems.push((key("issuer"), "is required for type oidc".into()));
        }
        if p.kind != ProviderKind::Microsoft && p.tenant.is_some() {
            problems.push((key("tenant"), "is only for type microsoft".into()));
        }
        if let Some(tenant) = &p.tenant
            && (tenant.is_empty()
                || !tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
        {
            problems.push((key("tenant"), "must be a tenant id or domain".into()));
        }
        let urls = [
            ("issuer", p.issuer.as_ref()),
            ("discovery_url", p.discovery_url.as_ref()),
            ("base_url", p.base_url.as_ref()),
            ("api_url", p.api_url.as_ref()),
        ];
        for (field, value) in urls {
            if let Some(value) = value
                && !secure_url(value)
            {
                problems.push((
                    key(field),
                    "must be an https URL (http only for a loopback host)".into(),
                ));
            }
        }
        let github_only = p.base_url.is_some() || p.api_url.is_some();
        if github_only && p.kind != ProviderKind::Github {
            problems.push((
                key("base_url"),
                "base_url and api_url are only for type github".into(),
            ));
        }
        if p.kind == ProviderKind::Github && (p.issuer.is_some() || p.discovery_url.is_some()) {
            problems.push((
                key("issuer"),
                "type github has no issuer or discovery".into(),
            ));
        }
        if let Some(name) = &p.id_token_signed_response_alg {
            problems.extend(
                alg_problems(p, name)
                    .into_iter()
                    .map(|(field, message)| (key(field), message)),
            );
        }
        if p.mapper.email.is_empty() || p.mapper.name.is_empty() {
            problems.push((key("mapper"), "claim names must not be empty".into()));
        }
    }
    problems
}

/// The problems of `id_token_signed_response_alg: name` on provider `p`.
fn alg_problems(p: &UpstreamProvider, name: &str) -> Vec<(&'static str, String)> {
    const FIELD: &str = "id_token_signed_response_alg";
    let Some(&(_, needed)) = ID_TOKEN_ALGORITHMS.iter().find(|(known, _)| *known == name) else {
        let known: Vec<&str> = ID_TOKEN_ALGORITHMS.iter().map(|(n, _)| *n).collect();
        return vec![(
            FIELD,
            format!(
                "{name:?} is not one of {} (none is never accepted)",
                known.join(", ")
            ),
        )];
    };
    if p.kind == ProviderKind::Github {
        return vec![(FIELD, "type github has no ID token".into())];
    }
    if p.client_secret.len() < needed {
        return vec![(
            "client_secret",
            format!(
                "must have at least {needed} bytes for id_token_signed_response_alg {name}: it is the MAC key (OIDC Core section 10.1, RFC 7518 section 3.2)"
            ),
        )];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc(id: &str) -> UpstreamProvider {
        UpstreamProvider {
            id: id.into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            issuer: Some("https://idp.example.com".into()),
            ..UpstreamProvider::default()
        }
    }

    #[test]
    fn a_valid_list_has_no_problems_and_presets_know_their_issuers() {
        let mut microsoft = oidc("ms");
        microsoft.kind = ProviderKind::Microsoft;
        microsoft.issuer = None;
        microsoft.tenant = Some("contoso.onmicrosoft.com".into());
        let mut local = oidc("local");
        local.issuer = Some("http://127.0.0.1:4444".into());
        assert!(problems(&[oidc("a"), microsoft.clone(), local]).is_empty());
        assert_eq!(
            microsoft.effective_issuer().unwrap(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
        );
        assert_eq!(
            oidc("a").discovery_document_url().unwrap(),
            "https://idp.example.com/.well-known/openid-configuration"
        );
        assert!(!format!("{:?}", oidc("a")).contains("\"s\""));
    }

    #[test]
    fn bad_ids_duplicates_and_insecure_urls_are_problems() {
        let mut insecure = oidc("b");
        insecure.issuer = Some("http://idp.example.com".into());
        let mut nameless = oidc("Bad Id");
        nameless.client_secret.clear();
        let keys: Vec<String> = problems(&[oidc("a"), oidc("a"), insecure, nameless])
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "providers[1].id",
                "providers[2].issuer",
                "providers[3].id",
                "providers[3].client_secret"
            ]
        );
    }

    #[test]
    fn id_token_signed_response_alg_is_a_known_alg_with_a_long_enough_secret() {
        let with = |id: &str, alg: &str, secret: &str| {
            let mut p = oidc(id);
            p.id_token_signed_response_alg = Some(alg.into());
            p.client_secret = secret.into();
            p
        };
        let long = "s".repeat(32);
        assert!(problems(&[with("a", "HS256", &long), with("b", "RS256", "s")]).is_empty());
        let mut github = with("d", "RS256", "s");
        github.kind = ProviderKind::Github;
        github.issuer = None;
        let found = problems(&[
            with("a", "none", "s"),
            with("b", "HS256", &"s".repeat(31)),
            with("c", "HS512", &long),
            github,
        ]);
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "providers[0].id_token_signed_response_alg",
                "providers[1].client_secret",
                "providers[2].client_secret",
                "providers[3].id_token_signed_response_alg",
            ]
        );
        assert!(found[1].1.contains("at least 32 bytes"), "{}", found[1].1);
        assert!(found[2].1.contains("at least 64 bytes"), "{}", found[2].1);
    }
}
