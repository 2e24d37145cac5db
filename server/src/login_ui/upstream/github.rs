//! Who a GitHub user is: GitHub's OAuth 2.0 gives no ID token, so after the code
//! exchange the access token is used on its REST API: `GET /user` (the numeric `id` is
//! the stable subject, the login can change) and `GET /user/emails` (the primary
//! address and whether GitHub verified it; needs the `user:email` scope).

use serde_json::Value;

use super::http::ProviderHttp;
use super::link::UpstreamUser;
use crate::config::UpstreamProvider;

/// The user the access token belongs to.
pub async fn user(
    http: &ProviderHttp,
    provider: &UpstreamProvider,
    access_token: &str,
) -> Result<UpstreamUser, String> {
    let api = provider.github_api();
    let profile = http
        .get_json(&format!("{api}/user"), Some(access_token))
        .await?;
    let subject = match profile.get("id") {
        Some(Value::Number(id)) => id.to_string(),
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => return Err("GitHub's /user has no id".into()),
    };
    let field = |name: &str| {
        profile
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let name = field(&provider.mapper.name).or_else(|| field("login"));
    // A failure here (no user:email scope) leaves only the unverified profile address.
    let emails = http
        .get_json(&format!("{api}/user/emails"), Some(access_token))
        .await
        .ok();
    let verified = emails.as_ref().and_then(primary_verified);
    let (email, email_verified) = match verified {
        Some(address) => (Some(address), true),
        None => (field(&provider.mapper.email), false),
    };
    Ok(UpstreamUser {
        subject,
        email,
        email_verified,
        name,
        preferred_username: field("login"),
    })
}

/// The primary verified address of a `/user/emails` answer, else any verified one.
fn primary_verified(list: &Value) -> Option<String> {
    let entries = list.as_array()?;
    let verified = |e: &&Value| e.get("verified").and_then(Value::as_bool) == Some(true);
    let primary = |e: &&Value| e.get("primary").and_then(Value::as_bool) == Some(true);
    entries
        .iter()
        .filter(verified)
        .find(primary)
        .or_else(|| entries.iter().find(verified))
        .and_then(|e| e.get("email").and_then(Value::as_str))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_primary_verified_address_wins() {
        let list = serde_json::json!([
            {"email": "old@example.com", "primary": false, "verified": true},
            {"email": "main@example.com", "primary": true, "verified": true},
            {"email": "new@example.com", "primary": false, "verified": false}
        ]);
        assert_eq!(primary_verified(&list).unwrap(), "main@example.com");
        let unverified =
            serde_json::json!([{"email": "a@b.c", "primary": true, "verified": false}]);
        assert!(primary_verified(&unverified).is_none());
    }
}
