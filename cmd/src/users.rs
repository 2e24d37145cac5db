//! `create|get|list|delete user` over the admin API (`/admin/users`), through our SDK.

use std::io::BufRead;

use anyhow::{Context, bail};
use portunus_sdk::types::{User, UserBody};

use crate::cli::OutputFormat;
use crate::cli_users::{CreateUserArgs, ListUsersArgs, UserIdsArgs};
use crate::clients::{describe, next_page_token, sdk};
use crate::output::{out, table};

const COLUMNS: [&str; 6] = [
    "ID",
    "USERNAME",
    "EMAIL",
    "EMAIL VERIFIED",
    "NAME",
    "DISABLED",
];

/// Renders users; `single` prints one object rather than an array in JSON formats. No
/// user carries a password or a hash, so there is nothing to hide.
fn render(users: &[User], format: OutputFormat, single: bool) -> anyhow::Result<String> {
    let value = match users {
        [one] if single => serde_json::to_value(one)?,
        _ => serde_json::to_value(users)?,
    };
    Ok(match format {
        OutputFormat::Json => serde_json::to_string(&value)?,
        OutputFormat::JsonPretty => serde_json::to_string_pretty(&value)?,
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    vec![
                        u.id.clone(),
                        u.username.clone(),
                        u.email.clone(),
                        u.email_verified.to_string(),
                        u.name.clone().unwrap_or_default(),
                        u.disabled.to_string(),
                    ]
                })
                .collect();
            table(&COLUMNS, &rows)
        }
    })
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("--password-stdin: standard input holds no password");
    }
    Ok(password)
}

pub async fn create(args: CreateUserArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let password = if args.password_stdin {
        Some(password_from_stdin()?)
    } else {
        args.password.clone()
    };
    let body = UserBody {
        username: args.username.clone(),
        email: args.email.clone(),
        email_verified: Some(args.email_verified),
        name: args.name.clone(),
        password,
        disabled: Some(args.disabled),
    };
    let created = api
        .create_user()
        .body(body)
        .send()
        .await
        .map_err(describe)?
        .into_inner();
    out!("{}", render(&[created], args.remote.format, true)?);
    Ok(())
}

pub async fn get(args: UserIdsArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let mut users = Vec::with_capacity(args.ids.len());
    for id in &args.ids {
        users.push(
            api.get_user()
                .id(id)
                .send()
                .await
                .map_err(describe)?
                .into_inner(),
        );
    }
    out!(
        "{}",
        render(&users, args.remote.format, args.ids.len() == 1)?
    );
    Ok(())
}

pub async fn list(args: ListUsersArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let page_size = u64::try_from(args.page_size)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .context("--page-size must be between 1 and 1000")?;
    let mut request = api.list_users().page_size(page_size);
    if let Some(username) = &args.username {
        request = request.username(username);
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
    let users = response.into_inner();
    out!("{}", render(&users, args.remote.format, false)?);
    if let Some(token) = next {
        eprintln!("NEXT PAGE TOKEN\t{token}");
    }
    Ok(())
}

pub async fn delete(args: UserIdsArgs) -> anyhow::Result<()> {
    let api = sdk(&args.remote)?;
    let mut failures = Vec::new();
    for id in &args.ids {
        match api.delete_user().id(id).send().await {
            Ok(_) => out!("{id}"),
            Err(err) => failures.push(format!("{id}: {}", describe(err))),
        }
    }
    if !failures.is_empty() {
        bail!(
            "could not delete {} user(s):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}
