//! `perform client-credentials|authorization-code`: a token from the public listener,
//! the way a client gets one (Hydra's `hydra perform …`). Plain HTTP with reqwest: the
//! token endpoint is not in the SDK, which speaks the admin API's JSON.

use crate::output::out;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::cli::OutputFormat;
use crate::cli_perform::{
    AuthorizationCodeArgs, ClientCredentials, ClientCredentialsArgs, PublicRemote,
};

/// Longest callback request read from the browser: a request line with a code and a
/// state, plus the headers a browser sends.
const MAX_CALLBACK_REQUEST: usize = 16 * 1024;

pub async fn client_credentials(args: ClientCredentialsArgs) -> anyhow::Result<()> {
    let mut form = vec![("grant_type", "client_credentials".to_owned())];
    if !args.scopes.is_empty() {
        form.push(("scope", args.scopes.join(" ")));
    }
    for audience in &args.audience {
        form.push(("audience", audience.clone()));
    }
    let response = token_request(&args.remote, &args.client, form).await?;
    print_tokens(&response, args.remote.format)
}

pub async fn authorization_code(args: AuthorizationCodeArgs) -> anyhow::Result<()> {
    let redirect = args
        .redirect
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}/callback", args.port));
    let callback_path = url::Url::parse(&redirect)
        .with_context(|| format!("--redirect {redirect} is not a URL"))?
        .path()
        .to_owned();
    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{} for the callback (choose another with --port)",
                args.port
            )
        })?;

    // RFC 7636 §4.1–4.2: a 256-bit verifier, sent as its SHA-256 (S256).
    let verifier = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_token();
    let nonce = random_token();
    let mut authorize = url::Url::parse(&format!(
        "{}/oauth2/auth",
        args.remote.endpoint.trim_end_matches('/')
    ))
    .with_context(|| format!("--endpoint {} is not a URL", args.remote.endpoint))?;
    authorize
        .query_pairs_mut()
        .append_pair("client_id", &args.client.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", &args.scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if !args.audience.is_empty() {
        authorize
            .query_pairs_mut()
            .append_pair("audience", &args.audience.join(" "));
    }
    eprintln!("Open this URL in a browser to log in and consent:\n\n{authorize}\n");
    eprintln!("Waiting for the callback on {redirect} …");

    let wait = Duration::from_secs(args.timeout);
    let code = tokio::time::timeout(wait, receive_code(&listener, &callback_path, &state))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "no callback within {} s (--timeout); is {redirect} registered for the client?",
                args.timeout
            )
        })??;
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ];
    let response = token_request(&args.remote, &args.client, form).await?;
    print_tokens(&response, args.remote.format)
}

/// 256 random bits, base64url: state, nonce and PKCE verifier.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Answers browser requests until one reaches `path`; returns its code, or the error
/// the authorization server sent back (RFC 6749 §4.1.2.1).
async fn receive_code(listener: &TcpListener, path: &str, state: &str) -> anyhow::Result<String> {
    loop {
        let (mut stream, _) = listener.accept().await.context("accepting the callback")?;
        let Some(target) = read_request_target(&mut stream).await else {
            respond(&mut stream, "400 Bad Request", "Not an HTTP request.").await;
            continue;
        };
        let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
            respond(&mut stream, "400 Bad Request", "Bad request target.").await;
            continue;
        };
        if url.path() != path {
            // The browser's other requests (e.g. /favicon.ico).
            respond(&mut stream, "404 Not Found", "Not found.").await;
            continue;
        }
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if param("state").as_deref() != Some(state) {
            respond(&mut stream, "400 Bad Request", "The state does not match.").await;
            bail!("the callback's state does not match the one sent: not our request");
        }
        if let Some(error) = param("error") {
            respond(
                &mut stream,
                "200 OK",
                "Authorization failed; see the terminal.",
            )
            .await;
            bail!(
                "authorization failed: {error}: {}",
                param("error_description").unwrap_or_default()
            );
        }
        let Some(code) = param("code") else {
            respond(&mut stream, "400 Bad Request", "No code in the callback.").await;
            bail!("the callback carried neither a code nor an error");
        };
        respond(
            &mut stream,
            "200 OK",
            "Authorized. The tokens are in the terminal; you can close this window.",
        )
        .await;
        return Ok(code);
    }
}

/// The request target of the request line, reading at most `MAX_CALLBACK_REQUEST`
/// bytes up to the end of the headers.
async fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
        if buffer.len() >= MAX_CALLBACK_REQUEST {
            return None;
        }
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(chunk.get(..read)?);
    }
    let text = String::from_utf8_lossy(&buffer);
    let mut parts = text.lines().next()?.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    (method == "GET" && target.starts_with('/')).then(|| target.to_owned())
}

async fn respond(stream: &mut TcpStream, status: &str, message: &str) {
    let body = format!("{message}\n");
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\nReferrer-Policy: no-referrer\r\n\r\n{body}",
        body.len()
    );
    // The browser may have gone; the outcome is reported in the terminal either way.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// POSTs `form` to the token endpoint with the client's authentication and returns the
/// token response, or the endpoint's error as the error.
async fn token_request(
    remote: &PublicRemote,
    client: &ClientCredentials,
    mut form: Vec<(&'static str, String)>,
) -> anyhow::Result<Value> {
    let url = format!("{}/oauth2/token", remote.endpoint.trim_end_matches('/'));
    let mut request = reqwest::Client::new().post(&url);
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
        .with_context(|| format!("cannot reach the token endpoint {url}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("the token endpoint answered {status} without JSON"))?;
    if !status.is_success() {
        let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
        bail!(
            "the token endpoint refused ({status}): {}: {}",
            text("error"),
            text("error_description")
        );
    }
    Ok(body)
}

/// The token response as Hydra prints it (a table), or its JSON.
pub(crate) fn print_tokens(response: &Value, format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => out!("{}", serde_json::to_string(response)?),
        OutputFormat::JsonPretty => out!("{}", serde_json::to_string_pretty(response)?),
        OutputFormat::Table => {
            let rows = [
                ("ACCESS TOKEN", "access_token"),
                ("REFRESH TOKEN", "refresh_token"),
                ("ID TOKEN", "id_token"),
                ("TOKEN TYPE", "token_type"),
                ("EXPIRES IN", "expires_in"),
                ("SCOPE", "scope"),
            ];
            for (title, key) in rows {
                let value = match response.get(key) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => continue,
                    Some(other) => other.to_string(),
                };
                out!("{title:<14}{value}");
            }
        }
    }
    Ok(())
}
