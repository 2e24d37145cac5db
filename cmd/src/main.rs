//! `portunus`: serve the two listeners, migrate the database, print the OpenAPI document,
//! and manage clients over the admin API through our own SDK.

mod cli;
mod clients;
mod migrate;
mod output;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Migrate(args) => migrate::run(args).await,
        Command::Openapi => {
            print!("{}", portunus_server::http::openapi::document_pretty());
            Ok(())
        }
        Command::Create(args) => clients::create(args).await,
        Command::Get(args) => clients::get(args).await,
        Command::List(args) => clients::list(args).await,
        Command::Update(args) => clients::update(args).await,
        Command::Delete(args) => clients::delete(args).await,
        Command::Import(args) => clients::import(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
