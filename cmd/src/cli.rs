//! Command-line shape, modelled on Hydra's `hydra` command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "portunus",
    version,
    about = "OAuth 2.0 and OpenID Connect server, wire-compatible with Ory Hydra v2"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the public and/or admin listener.
    Serve(ServeArgs),
    /// Manage the database schema.
    Migrate(MigrateArgs),
    /// Print the OpenAPI document (3.0.3-compatible JSON) of both listeners.
    Openapi(OpenapiArgs),
    /// Create resources (`create client`, `create jwk <set>`).
    #[command(subcommand)]
    Create(CreateCommand),
    /// Get resources (`get client <id…>`, `get jwk <set> [kid]`).
    #[command(subcommand)]
    Get(GetCommand),
    /// List resources (`list clients`).
    List(ListArgs),
    /// Update resources (`update client <id>`).
    Update(UpdateArgs),
    /// Delete resources (`delete client <id…>`, `delete jwk <set> [kid]`).
    #[command(subcommand)]
    Delete(DeleteCommand),
    /// Rotate resources (`rotate jwk <set>`).
    #[command(subcommand)]
    Rotate(RotateCommand),
    /// Import resources from JSON files (`import client <file…>`).
    Import(ImportArgs),
    /// Delete expired tokens, flow steps, sessions, assertion ids and consents.
    Janitor(JanitorArgs),
    /// Get a token as a client would (`perform client-credentials`,
    /// `perform authorization-code`).
    #[command(subcommand)]
    Perform(crate::cli_perform::PerformCommand),
}

#[derive(Debug, Args)]
pub struct OpenapiArgs {
    /// Write the document to this file instead of standard output (safe for
    /// `openapi/openapi.json`, which the SDK is built from: a shell redirect would empty
    /// it before cargo builds the SDK).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(value_enum, default_value = "all")]
    pub what: ServeWhat,
    /// Development mode: SQLite in the working directory, generated secret, migrations
    /// applied, listeners on 127.0.0.1. Never for production.
    #[arg(long)]
    pub dev: bool,
    /// YAML configuration file (keys as Hydra's; environment variables override it).
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ServeWhat {
    All,
    Public,
    Admin,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub target: MigrateTarget,
}

#[derive(Debug, Subcommand)]
pub enum MigrateTarget {
    /// SQL database migrations.
    Sql(MigrateSql),
}

#[derive(Debug, Args)]
pub struct MigrateSql {
    #[arg(value_enum)]
    pub action: MigrateSqlAction,
    /// The DSN, e.g. postgres://user:pass@host:5432/db
    pub dsn: Option<String>,
    /// Read the DSN from the environment variable DSN.
    #[arg(short = 'e', long = "read-from-env")]
    pub read_from_env: bool,
    /// Read the DSN from this configuration file.
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MigrateSqlAction {
    /// Apply all pending migrations.
    Up,
    /// Show applied and pending migrations.
    Status,
}

#[derive(Debug, Args)]
pub struct JanitorArgs {
    /// The DSN, e.g. postgres://user:pass@host:5432/db
    pub dsn: Option<String>,
    /// Read the DSN from the environment variable DSN.
    #[arg(short = 'e', long = "read-from-env")]
    pub read_from_env: bool,
    /// Read the DSN from this configuration file.
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// Rows deleted per statement (at most 30000; larger values are cut to it).
    #[arg(long = "batch-size", default_value_t = 10_000)]
    pub batch_size: usize,
    /// Clean token data: expired access and refresh tokens, authorization codes and
    /// client-assertion ids (Hydra's `--tokens`). Without `--tokens` and `--requests`,
    /// both are cleaned.
    #[arg(long = "tokens", alias = "only-tokens")]
    pub tokens: bool,
    /// Clean login/consent data: used flow steps, expired authentication sessions and
    /// the consents nothing needs any more (Hydra's `--requests`).
    #[arg(long = "requests", alias = "skip-tokens")]
    pub requests: bool,
}

/// Connection to the admin API and output format, shared by the client commands.
#[derive(Debug, Args, Clone)]
pub struct Remote {
    /// Admin API base URL.
    #[arg(
        short = 'e',
        long = "endpoint",
        env = "PORTUNUS_ADMIN_URL",
        default_value = "http://127.0.0.1:4445",
        global = true
    )]
    pub endpoint: String,
    /// Bearer API key of the admin API (serve.admin.api_key).
    #[arg(
        long = "api-key",
        env = "PORTUNUS_ADMIN_API_KEY",
        global = true,
        hide_env_values = true
    )]
    pub api_key: Option<String>,
    #[arg(long = "format", value_enum, default_value = "table", global = true)]
    pub format: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    JsonPretty,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ClientNoun {
    #[value(alias = "oauth2-client", alias = "clients", alias = "oauth2-clients")]
    Client,
}

/// Client metadata flags, as Hydra's `create oauth2-client`.
#[derive(Debug, Args, Clone, Default)]
pub struct ClientFlags {
    /// The client's id (generated when omitted on create).
    #[arg(long = "id")]
    pub id: Option<String>,
    /// Human-readable name.
    #[arg(short = 'n', long = "name")]
    pub name: Option<String>,
    /// Secret; generated when omitted. Shown once.
    #[arg(long = "secret")]
    pub secret: Option<String>,
    /// Grant type, repeatable or comma-separated (default authorization_code).
    #[arg(short = 'g', long = "grant-type", value_delimiter = ',')]
    pub grant_types: Vec<String>,
    /// Response type, repeatable or comma-separated (default code).
    #[arg(short = 'r', long = "response-type", value_delimiter = ',')]
    pub response_types: Vec<String>,
    /// Scope, repeatable or comma-separated.
    #[arg(short = 'a', long = "scope", value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Redirect URI, repeatable or comma-separated.
    #[arg(short = 'c', long = "redirect-uri", value_delimiter = ',')]
    pub redirect_uris: Vec<String>,
    /// Audience, repeatable or comma-separated.
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    /// client_secret_basic, client_secret_post, private_key_jwt or none.
    #[arg(long = "token-endpoint-auth-method")]
    pub token_endpoint_auth_method: Option<String>,
    #[arg(long = "owner")]
    pub owner: Option<String>,
    #[arg(long = "policy-uri")]
    pub policy_uri: Option<String>,
    #[arg(long = "tos-uri")]
    pub tos_uri: Option<String>,
    #[arg(long = "client-uri")]
    pub client_uri: Option<String>,
    #[arg(long = "logo-uri")]
    pub logo_uri: Option<String>,
    #[arg(long = "contact", value_delimiter = ',')]
    pub contacts: Vec<String>,
    #[arg(long = "allowed-cors-origin", value_delimiter = ',')]
    pub allowed_cors_origins: Vec<String>,
    #[arg(long = "subject-type")]
    pub subject_type: Option<String>,
    #[arg(long = "jwks-uri")]
    pub jwks_uri: Option<String>,
    #[arg(long = "post-logout-callback", value_delimiter = ',')]
    pub post_logout_redirect_uris: Vec<String>,
    #[arg(long = "frontchannel-logout-callback")]
    pub frontchannel_logout_uri: Option<String>,
    #[arg(long = "frontchannel-logout-session-required")]
    pub frontchannel_logout_session_required: bool,
    #[arg(long = "backchannel-logout-callback")]
    pub backchannel_logout_uri: Option<String>,
    #[arg(long = "backchannel-logout-session-required")]
    pub backchannel_logout_session_required: bool,
    /// Metadata as a JSON object.
    #[arg(long = "metadata")]
    pub metadata: Option<String>,
    #[arg(long = "skip-consent")]
    pub skip_consent: bool,
    #[arg(long = "skip-logout-consent")]
    pub skip_logout_consent: bool,
    /// opaque or jwt.
    #[arg(long = "access-token-strategy")]
    pub access_token_strategy: Option<String>,
}

/// `create <noun>`.
#[derive(Debug, Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing would only obscure the clap types"
)]
pub enum CreateCommand {
    /// Create an OAuth 2.0 client.
    #[command(alias = "oauth2-client", alias = "clients", alias = "oauth2-clients")]
    Client(CreateArgs),
    /// Generate a JSON Web Key into a set (Hydra's `create jwks`).
    #[command(alias = "jwks")]
    Jwk(crate::cli_keys::CreateJwkArgs),
}

/// `get <noun>`.
#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// Show OAuth 2.0 clients.
    #[command(alias = "oauth2-client", alias = "clients", alias = "oauth2-clients")]
    Client(GetArgs),
    /// Show a JSON Web Key Set, or one key of it.
    #[command(alias = "jwks")]
    Jwk(crate::cli_keys::JwkTargetArgs),
}

/// `delete <noun>`.
#[derive(Debug, Subcommand)]
pub enum DeleteCommand {
    /// Delete OAuth 2.0 clients.
    #[command(alias = "oauth2-client", alias = "clients", alias = "oauth2-clients")]
    Client(DeleteArgs),
    /// Delete a JSON Web Key Set, or one key of it.
    #[command(alias = "jwks")]
    Jwk(crate::cli_keys::JwkTargetArgs),
}

/// `rotate <noun>`.
#[derive(Debug, Subcommand)]
pub enum RotateCommand {
    /// Add a new signing key to a set; the previous keys stay published.
    #[command(alias = "jwks")]
    Jwk(crate::cli_keys::RotateJwkArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[arg(value_enum)]
    pub noun: ClientNoun,
    /// The client to replace (fields not given are reset to their defaults, as Hydra's
    /// `update oauth2-client` does; the secret is kept unless --secret is given).
    #[arg(value_name = "ID")]
    pub target_id: String,
    #[command(flatten)]
    pub flags: ClientFlags,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(value_enum)]
    pub noun: ClientNoun,
    /// Items per page (1–1000).
    #[arg(long = "page-size", default_value_t = 250)]
    pub page_size: i64,
    /// Page token from the previous page; omit for the first page.
    #[arg(long = "page-token")]
    pub page_token: Option<String>,
    /// Only clients with this name.
    #[arg(long = "name")]
    pub name: Option<String>,
    /// Only clients with this owner.
    #[arg(long = "owner")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(value_enum)]
    pub noun: ClientNoun,
    /// JSON files, each one client object or an array of them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub remote: Remote,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
