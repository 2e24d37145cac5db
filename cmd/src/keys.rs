//! `create|get|delete|rotate jwk` over the admin API (`/admin/keys`), through our SDK.

use crate::output::out;
use anyhow::Context;
use portunus_sdk::types::{CreateJsonWebKeySet, JsonWebKey, JsonWebKeySet};

use crate::cli::OutputFormat;
use crate::cli_keys::{CreateJwkArgs, JwkTargetArgs, RotateJwkArgs};
use crate::clients::{describe, sdk};

const COLUMNS: [&str; 5] = ["SET", "KID", "ALG", "USE", "KTY"];

/// The keys as a table (never key material) or as the admin API's JSON, which holds
/// private parts.
fn render(set: &str, keys: &JsonWebKeySet, format: OutputFormat) -> anyhow::Result<String> {
    match format {
        OutputFormat::Json => Ok(serde_json::to_string(keys)?),
        OutputFormat::JsonPretty => Ok(serde_json::to_string_pretty(keys)?),
        OutputFormat::Table => {
            let row = |k: &JsonWebKey| {
                [
                    set.to_owned(),
                    k.kid.clone().unwrap_or_default(),
                    k.alg.clone().unwrap_or_default(),
                    k.use_.clone().unwrap_or_default(),
                    k.kty.clone(),
                ]
            };
            let rows: Vec<[String; 5]> = keys.keys.iter().map(row).collect();
            let mut widths = COLUMNS.map(str::len);
            for r in &rows {
                for (w, cell) in widths.iter_mut().zip(r.iter()) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: [&str; 5]| {
                cells
                    .iter()
                    .zip(widths.iter())
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_owned()
            };
            let mut out = vec![line(COLUMNS)];
            out.extend(rows.iter().map(|r| line(r.each_ref().map(String::as_str))));
            Ok(out.join("\n"))
        }
    }
}

pub async fn create(args: CreateJwkArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let body = CreateJsonWebKeySet {
        alg: args.alg,
        kid: args.kid,
        use_: args.use_,
    };
    let created = api
        .create_json_web_key_set()
        .set(&args.set)
        .body(body)
        .send()
        .await
        .map_err(describe)?
        .into_inner();
    out!("{}", render(&args.set, &created, args.remote.format)?);
    Ok(())
}

pub async fn get(args: JwkTargetArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let keys = match &args.kid {
        Some(kid) => api.get_json_web_key().set(&args.set).kid(kid).send().await,
        None => api.get_json_web_key_set().set(&args.set).send().await,
    }
    .map_err(describe)?
    .into_inner();
    out!("{}", render(&args.set, &keys, args.remote.format)?);
    Ok(())
}

pub async fn delete(args: JwkTargetArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    match &args.kid {
        Some(kid) => api
            .delete_json_web_key()
            .set(&args.set)
            .kid(kid)
            .send()
            .await
            .map(|_| ()),
        None => api
            .delete_json_web_key_set()
            .set(&args.set)
            .send()
            .await
            .map(|_| ()),
    }
    .map_err(describe)?;
    out!("{}", args.kid.as_deref().unwrap_or(&args.set));
    Ok(())
}

/// Adds a signing key of the newest signing key's algorithm (or `--alg`). The server
/// publishes it at once, signs with it after `oidc.jwks.publish_before_use`, and keeps
/// the previous keys published.
pub async fn rotate(args: RotateJwkArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let alg = match args.alg {
        Some(alg) => alg,
        None => {
            let current = api
                .get_json_web_key_set()
                .set(&args.set)
                .send()
                .await
                .map_err(describe)
                .with_context(|| format!("reading set {:?} to rotate it", args.set))?
                .into_inner();
            current
                .keys
                .iter()
                .rev()
                .find(|k| k.use_.as_deref() == Some("sig"))
                .and_then(|k| k.alg.clone())
                .context("the set has no signing key to rotate; pass --alg")?
        }
    };
    let body = CreateJsonWebKeySet {
        alg,
        kid: String::new(),
        use_: "sig".to_owned(),
    };
    let created = api
        .create_json_web_key_set()
        .set(&args.set)
        .body(body)
        .send()
        .await
        .map_err(describe)?
        .into_inner();
    out!("{}", render(&args.set, &created, args.remote.format)?);
    Ok(())
}
