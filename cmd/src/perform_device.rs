//! `perform device-code` (Hydra's `hydra perform device-code`): the device
//! authorization grant from the device's side (RFC 8628 §3.1 – §3.5). Plain HTTP with
//! reqwest, as the other `perform` commands.

use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::cli_perform::{ClientCredentials, DeviceCodeArgs};
use crate::perform::print_tokens;

/// RFC 8628 §3.5: "the client MUST use 5 as the default" interval; `slow_down` adds 5.
const DEFAULT_INTERVAL: u64 = 5;
const SLOW_DOWN_STEP: u64 = 5;

pub async fn device_code(args: DeviceCodeArgs) -> anyhow::Result<()> {
    let base = args.remote.endpoint.trim_end_matches('/').to_owned();
    let mut form = vec![("scope", args.scopes.join(" "))];
    for audience in &args.audience {
        form.push(("audience", audience.clone()));
    }
    let (status, authorization) =
        post(&format!("{base}/oauth2/device/auth"), &args.client, form).await?;
    if !status.is_success() {
        bail!(
            "the device authorization endpoint refused ({status}): {}",
            describe(&authorization)
        );
    }
    let text = |key: &str| {
        authorization
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let device_code = text("device_code").to_owned();
    if device_code.is_empty() {
        bail!("the device authorization response has no device_code");
    }
    eprintln!(
        "Open {} in a browser and enter the code {}",
        text("verification_uri"),
        text("user_code")
    );
    if !text("verification_uri_complete").is_empty() {
        eprintln!("(or open {})", text("verification_uri_complete"));
    }
    let mut interval = authorization
        .get("interval")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_INTERVAL)
        .max(1);
    let expires_in = authorization
        .get("expires_in")
        .and_then(Value::as_u64)
        .unwrap_or(600);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(expires_in);
    eprintln!("Waiting for the authorization (polling every {interval} s) …");
    loop {
        tokio::time::sleep(Duration::from_secs(interval)).await;
        if tokio::time::Instant::now() > deadline {
            bail!("the device code expired before it was authorized");
        }
        let form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:device_code".to_owned(),
            ),
            ("device_code", device_code.clone()),
        ];
        let (status, body) = post(&format!("{base}/oauth2/token"), &args.client, form).await?;
        if status.is_success() {
            return print_tokens(&body, args.remote.format);
        }
        match body.get("error").and_then(Value::as_str) {
            Some("authorization_pending") => {}
            Some("slow_down") => interval = interval.saturating_add(SLOW_DOWN_STEP),
            _ => bail!("the token endpoint refused ({status}): {}", describe(&body)),
        }
    }
}

/// `error: error_description` of an error body.
fn describe(body: &Value) -> String {
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    format!("{}: {}", text("error"), text("error_description"))
}

/// POSTs `form` with the client's authentication (Basic with a secret, else
/// `client_id` in the form); returns the status and the JSON body.
async fn post(
    url: &str,
    client: &ClientCredentials,
    mut form: Vec<(&'static str, String)>,
) -> anyhow::Result<(reqwest::StatusCode, Value)> {
    let mut request = reqwest::Client::new().post(url);
    match &client.client_secret {
        // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
        Some(secret) => {
            let encode = |s: &str| -> String {
                url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
            };
            let pair = format!("{}:{}", encode(&client.client_id), encode(secret));
            request = request.header(
                reqwest::header::AUTHORIZATION,
                format!("Basic {}", STANDARD.encode(pair)),
            );
        }
        None => form.push(("client_id", client.client_id.clone())),
    }
    let response = request
        .form(&form)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("{url} answered {status} without JSON"))?;
    Ok((status, body))
}
