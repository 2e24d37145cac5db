//! `create|get|list|update|delete|import client` over the admin API, through our SDK.

use crate::output::out;
use anyhow::{Context, bail};
use portunus_sdk::types::{ErrorOAuth2, OAuth2Client};
use portunus_sdk::{Client, Error};

use crate::cli::{
    ClientFlags, CreateArgs, DeleteArgs, GetArgs, ImportArgs, ListArgs, OutputFormat, Remote,
    RotateClientSecretArgs, UpdateArgs,
};
use crate::output::{render, table};

pub(crate) fn sdk(remote: &Remote) -> anyhow::Result<Client> {
    let mut builder = portunus_sdk::Portunus::builder().admin_url(&remote.endpoint);
    if let Some(key) = &remote.api_key {
        builder = builder.admin_api_key(key);
    }
    let portunus = builder.build().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(portunus.admin().clone())
}

/// The server's `error_description` when it sent one, else the transport error.
pub(crate) fn describe(err: Error<ErrorOAuth2>) -> anyhow::Error {
    match err {
        Error::ErrorResponse(response) => {
            let status = response.status();
            let body = response.into_inner();
            anyhow::anyhow!("{} ({status}): {}", body.error, body.error_description)
        }
        Error::CommunicationError(e) => anyhow::anyhow!("cannot reach the admin API: {e}"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn non_empty(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

/// The request body from command-line flags.
fn body_from_flags(flags: &ClientFlags) -> anyhow::Result<OAuth2Client> {
    let metadata = match &flags.metadata {
        Some(text) => Some(serde_json::from_str(text).context("--metadata must be a JSON object")?),
        None => None,
    };
    Ok(OAuth2Client {
        client_id: flags.id.clone(),
        client_name: flags.name.clone(),
        client_secret: flags.secret.clone(),
        grant_types: non_empty(&flags.grant_types),
        response_types: non_empty(&flags.response_types),
        scope: (!flags.scopes.is_empty()).then(|| flags.scopes.join(" ")),
        redirect_uris: non_empty(&flags.redirect_uris),
        audience: non_empty(&flags.audience),
        token_endpoint_auth_method: flags.token_endpoint_auth_method.clone(),
        owner: flags.owner.clone(),
        policy_uri: flags.policy_uri.clone(),
        tos_uri: flags.tos_uri.clone(),
        client_uri: flags.client_uri.clone(),
        logo_uri: flags.logo_uri.clone(),
        contacts: non_empty(&flags.contacts),
        allowed_cors_origins: non_empty(&flags.allowed_cors_origins),
        subject_type: flags.subject_type.clone(),
        jwks_uri: flags.jwks_uri.clone(),
        post_logout_redirect_uris: non_empty(&flags.post_logout_redirect_uris),
        frontchannel_logout_uri: flags.frontchannel_logout_uri.clone(),
        frontchannel_logout_session_required: Some(flags.frontchannel_logout_session_required),
        backchannel_logout_uri: flags.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: Some(flags.backchannel_logout_session_required),
        metadata,
        skip_consent: Some(flags.skip_consent),
        skip_logout_consent: Some(flags.skip_logout_consent),
        access_token_strategy: flags.access_token_strategy.clone(),
        ..OAuth2Client::default()
    })
}

pub async fn create(args: CreateArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let body = body_from_flags(&args.flags)?;
    let created = api
        .create_o_auth2_client()
        .body(body)
        .send()
        .await
        .map_err(describe)?
        .into_inner();
    out!("{}", render(&[created], args.remote.format, true)?);
    Ok(())
}

pub async fn update(args: UpdateArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let mut body = body_from_flags(&args.flags)?;
    body.client_id = Some(args.target_id.clone());
    let updated = api
        .set_o_auth2_client()
        .id(&args.target_id)
        .body(body)
        .send()
        .await
        .map_err(describe)?
        .into_inner();
    out!("{}", render(&[updated], args.remote.format, true)?);
    Ok(())
}

pub async fn get(args: GetArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let mut clients = Vec::with_capacity(args.ids.len());
    for id in &args.ids {
        clients.push(
            api.get_o_auth2_client()
                .id(id)
                .send()
                .await
                .map_err(describe)?
                .into_inner(),
        );
    }
    out!(
        "{}",
        render(&clients, args.remote.format, args.ids.len() == 1)?
    );
    Ok(())
}

pub async fn list(args: ListArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let page_size = u64::try_from(args.page_size)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .context("--page-size must be between 1 and 1000")?;
    let mut request = api.list_o_auth2_clients().page_size(page_size);
    if let Some(name) = &args.name {
        request = request.client_name(name);
    }
    if let Some(owner) = &args.owner {
        request = request.owner(owner);
    }
    if let Some(token) = &args.page_token {
        request = request.page_token(token);
    }
    let response = request.send().await.map_err(describe)?;
    let next = response
        .headers()
        .get("link")
        .and_then(|v| v.to_str().ok())
        .and_then(next_page_token);
    let clients = response.into_inner();
    out!("{}", render(&clients, args.remote.format, false)?);
    if let Some(token) = next {
        eprintln!("NEXT PAGE TOKEN\t{token}");
    }
    Ok(())
}

pub async fn delete(args: DeleteArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let mut failures = Vec::new();
    for id in &args.ids {
        match api.delete_o_auth2_client().id(id).send().await {
            Ok(_) => out!("{id}"),
            Err(err) => failures.push(format!("{id}: {}", describe(err))),
        }
    }
    if !failures.is_empty() {
        bail!(
            "could not delete {} client(s):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}

pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let mut created = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", file.display()))?;
        let bodies: Vec<OAuth2Client> = match value {
            serde_json::Value::Array(_) => serde_json::from_value(value),
            _ => serde_json::from_value(value).map(|one| vec![one]),
        }
        .with_context(|| format!("{} does not hold client objects", file.display()))?;
        for body in bodies {
            let client = api
                .create_o_auth2_client()
                .body(body)
                .send()
                .await
                .map_err(describe)
                .with_context(|| format!("importing from {}", file.display()))?;
            created.push(client.into_inner());
        }
    }
    out!("{}", render(&created, args.remote.format, false)?);
    Ok(())
}

/// The `page_token` of the `rel="next"` link of an RFC 8288 `Link` header.
pub(crate) fn next_page_token(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params.contains("rel=\"next\"") {
            return None;
        }
        let target = target.trim().trim_start_matches('<').trim_end_matches('>');
        let query = target.split_once('?')?.1;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "page_token")
            .map(|(_, v)| v.into_owned())
    })
}

/// Replaces the client's secret (`POST /admin/clients/{id}/secret/rotate`) and prints
/// the new one, which the server shows only this once, with when the replaced one stops
/// working.
pub async fn rotate_secret(args: RotateClientSecretArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let body = portunus_sdk::types::RotateOAuth2ClientSecretBody {
        client_secret: args.secret,
        grace_period: args.grace_period,
    };
    let rotated = api
        .rotate_o_auth2_client_secret()
        .id(&args.id)
        .body(body)
        .send()
        .await
        .map_err(describe)
        .with_context(|| format!("rotating the secret of client {:?}", args.id))?
        .into_inner();
    let rendered = match args.remote.format {
        OutputFormat::Json => serde_json::to_string(&rotated)?,
        OutputFormat::JsonPretty => serde_json::to_string_pretty(&rotated)?,
        OutputFormat::Table => {
            let at = |secs: i64| match secs {
                0 => "never".to_owned(),
                secs => chrono::DateTime::from_timestamp(secs, 0)
                    .map_or_else(|| secs.to_string(), |t| t.to_rfc3339()),
            };
            table(
                &[
                    "CLIENT ID",
                    "CLIENT SECRET",
                    "SECRET EXPIRES",
                    "PREVIOUS SECRET WORKS UNTIL",
                ],
                &[vec![
                    rotated.client_id.clone(),
                    rotated.client_secret.clone(),
                    at(rotated.client_secret_expires_at),
                    at(rotated.previous_secret_expires_at),
                ]],
            )
        }
    };
    out!("{rendered}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::next_page_token;

    #[test]
    fn finds_the_next_token() {
        let link = "</admin/clients?page_size=2>; rel=\"first\", </admin/clients?page_size=2&page_token=abc%3D>; rel=\"next\"";
        assert_eq!(next_page_token(link).as_deref(), Some("abc="));
        assert_eq!(
            next_page_token("</admin/clients?page_size=2>; rel=\"first\""),
            None
        );
    }
}
