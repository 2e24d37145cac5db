//! The trusted-issuer form (Hydra's `trustOAuth2JwtGrantIssuer`, RFC 7523 §3): its
//! fields read into the body the admin API takes, and a relationship as the list shows
//! it. Only what a form cannot express as JSON is checked here (the pasted key must be
//! JSON, the time a time); `trust::admin::create` validates the rest, as it does a
//! JSON body.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use super::pages::{TrustFormValues, TrustRow};
use super::{PREFIX, field, segment};
use crate::jwk::JsonWebKey;
use crate::trust::model::TrustRelationship;
use crate::trust::wire::TrustOAuth2JwtGrantIssuer;

/// The page of relationship `id`'s deletion.
pub fn delete_href(id: &str) -> String {
    format!("{PREFIX}/trust/{}/delete", segment(id))
}

/// The values a posted trust form holds.
pub fn values_of(pairs: &[(String, String)]) -> TrustFormValues {
    TrustFormValues {
        issuer: field(pairs, "issuer").trim().to_owned(),
        subject: field(pairs, "subject").trim().to_owned(),
        allow_any_subject: field(pairs, "allow_any_subject") == "true",
        scope: field(pairs, "scope").trim().to_owned(),
        jwk: field(pairs, "jwk").to_owned(),
        expires_at: field(pairs, "expires_at").trim().to_owned(),
    }
}

/// `expires_at` as typed: RFC 3339, or `YYYY-MM-DDTHH:MM[:SS]` (HTML's local
/// date-time string) read as UTC, as the form says.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// The admin API's body of the form, or why the form cannot be one.
pub fn body_of(values: &TrustFormValues) -> Result<TrustOAuth2JwtGrantIssuer, String> {
    let jwk: JsonWebKey = serde_json::from_str(values.jwk.trim())
        .map_err(|e| format!("The public key is not a JSON Web Key (RFC 7517 §4): {e}."))?;
    let expires_at = instant(&values.expires_at).ok_or_else(|| {
        "Expires at must be a date and time such as 2030-01-31T12:00 (UTC).".to_owned()
    })?;
    Ok(TrustOAuth2JwtGrantIssuer {
        issuer: values.issuer.clone(),
        subject: Some(values.subject.clone()).filter(|s| !s.is_empty()),
        allow_any_subject: values.allow_any_subject.then_some(true),
        scope: values.scope.split_whitespace().map(str::to_owned).collect(),
        jwk,
        expires_at,
    })
}

/// A relationship as the list shows it at `now`.
pub fn row_of(trust: &TrustRelationship, now: DateTime<Utc>) -> TrustRow {
    TrustRow {
        id: trust.id.clone(),
        issuer: trust.issuer.clone(),
        subject: trust.subject.clone(),
        allow_any_subject: trust.allow_any_subject,
        scope: trust.scope.join(" "),
        kid: trust.kid.clone(),
        expires_at: trust.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        expired: trust.expires_at <= now,
        delete_href: delete_href(&trust.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_becomes_the_api_body() {
        let jwk = r#"{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let values = values_of(&pairs(&[
            ("issuer", " https://idp.example "),
            ("allow_any_subject", "true"),
            ("scope", "read  write"),
            ("jwk", jwk),
            ("expires_at", "2030-01-31T12:00"),
        ]));
        let body = body_of(&values).unwrap();
        assert_eq!(body.issuer, "https://idp.example");
        assert_eq!(body.subject, None);
        assert_eq!(body.allow_any_subject, Some(true));
        assert_eq!(body.scope, ["read", "write"]);
        assert_eq!(
            body.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "2030-01-31T12:00:00Z"
        );
        let mut later = values.clone();
        later.expires_at = "2030-01-31T13:00:00+01:00".into();
        assert_eq!(body_of(&later).unwrap().expires_at, body.expires_at);
        let mut bad_time = values.clone();
        bad_time.expires_at = "tomorrow".into();
        assert!(body_of(&bad_time).unwrap_err().contains("Expires at"));
        let mut bad_key = values;
        bad_key.jwk = "{not json".into();
        assert!(body_of(&bad_key).unwrap_err().contains("JSON Web Key"));
        assert_eq!(delete_href("a/b"), "/admin/ui/trust/a%2Fb/delete");
    }
}
