//! `portunus`: serve the two listeners, migrate the database, print the OpenAPI document,
//! and manage clients over the admin API through our own SDK.

mod cli;
mod cli_keys;
mod cli_perform;
mod cli_users;
mod clients;
mod janitor;
mod keys;
mod migrate;
mod output;
mod perform;
mod perform_device;
mod serve;
mod users;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, CreateCommand, DeleteCommand, GetCommand, ListCommand, RotateCommand};
use cli_perform::PerformCommand;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli));
    // A startup stopped by a signal can leave a blocking database connect behind
    // (serve.rs); the process must not wait for it to time out.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Migrate(args) => migrate::run(args).await,
        Command::Openapi(args) => {
            let document = portunus_server::http::openapi::document_pretty();
            match args.output {
                Some(path) => std::fs::write(&path, document)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
                None => output::print_text(&document),
            }
        }
        Command::Create(CreateCommand::Client(args)) => clients::create(args).await,
        Command::Create(CreateCommand::Jwk(args)) => keys::create(args).await,
        Command::Create(CreateCommand::User(args)) => users::create(args).await,
        Command::Get(GetCommand::Client(args)) => clients::get(args).await,
        Command::Get(GetCommand::Jwk(args)) => keys::get(args).await,
        Command::Get(GetCommand::User(args)) => users::get(args).await,
        Command::List(ListCommand::Clients(args)) => clients::list(args).await,
        Command::List(ListCommand::Users(args)) => users::list(args).await,
        Command::Update(args) => clients::update(args).await,
        Command::Delete(DeleteCommand::Client(args)) => clients::delete(args).await,
        Command::Delete(DeleteCommand::Jwk(args)) => keys::delete(args).await,
        Command::Delete(DeleteCommand::User(args)) => users::delete(args).await,
        Command::Rotate(RotateCommand::Jwk(args)) => keys::rotate(args).await,
        Command::Rotate(RotateCommand::ClientSecret(args)) => clients::rotate_secret(args).await,
        Command::Import(args) => clients::import(args).await,
        Command::Janitor(args) => janitor::run(args).await,
        Command::Perform(PerformCommand::ClientCredentials(args)) => {
            perform::client_credentials(args).await
        }
        Command::Perform(PerformCommand::DeviceCode(args)) => {
            perform_device::device_code(args).await
        }
        Command::Perform(PerformCommand::AuthorizationCode(args)) => {
            perform::authorization_code(args).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", message(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: many errors already include their source
/// in their own message ("cannot read …: No such file (os error 2)"), which `{:#}`
/// would repeat.
fn message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
