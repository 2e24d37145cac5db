//! Command-line shape, modelled on Hydra's `hydra` command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "portunus",
    version,
    about = "OAuth 2.0 and OpenID Connect server, wire-compatible with Ory Hydra v2",
    after_help = "To try it out: `portunus serve all --dev` runs a server on \
http://127.0.0.1:4444 (public) and :4445 (admin) with SQLite and a generated secret in \
the working directory; never for production. Then `portunus create client` and \
`portunus perform client-credentials` get a token.\n\n\
Documentation: README.md (\"A five-minute tour\") and docs/ in the repository \
(configuration.md: every key; curl.md: every grant with curl); in dev mode, \
http://127.0.0.1:4444/ links Swagger UI."
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
    /// Create resources (`create client`, `create jwk <set>`, `create user`).
    #[command(subcommand)]
    Create(CreateCommand),
    /// Get resources (`get client <id…>`, `get jwk <set> [kid]`, `get user <id…>`).
    #[command(subcommand)]
    Get(GetCommand),
    /// List resources (`list clients`, `list users`).
    #[command(subcommand)]
    List(ListCommand),
    /// Update resources (`update client <id>`).
    Update(UpdateArgs),
    /// Delete resources (`delete client <id…>`, `delete jwk <set> [kid]`,
    /// `delete user <id…>`).
    #[command(subcommand)]
    Delete(DeleteCommand),
    /// Rotate resources (`rotate jwk <set>`, `rotate client-secret <id>`).
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
    /// `sdk/openapi.json`, which the SDK is built from: a shell redirect would empty it
    /// before cargo builds the SDK).
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which listeners to run: both, or only the public or the admin one.
    #[arg(value_enum, default_value = "all")]
    pub what: ServeWhat,
    /// Development mode: SQLite in the working directory, generated secret, migrations
    /// applied, listeners on 127.0.0.1. Never for production.
    #[arg(long)]
    pub dev: bool,
    /// YAML configuration file (keys as Hydra's; environment variables override it).
    /// Default: none (environment variables and defaults only).
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
    /// What to do.
    #[arg(value_enum)]
    pub action: MigrateSqlAction,
    /// The DSN, e.g. postgres://user:pass@host:5432/db (or give -e or -c instead).
    pub dsn: Option<String>,
    /// Read the DSN from the environment variable DSN (Hydra's `-e`).
    #[arg(short = 'e', long = "read-from-env")]
    pub read_from_env: bool,
    /// Read the DSN from this configuration file (its `dsn` key).
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
    /// The DSN, e.g. postgres://user:pass@host:5432/db (or give -e or -c instead).
    pub dsn: Option<String>,
    /// Read the DSN from the environment variable DSN (Hydra's `-e`).
    #[arg(short = 'e', long = "read-from-env")]
    pub read_from_env: bool,
    /// Read the DSN from this configuration file (its `dsn` key).
    #[arg(short = 'c', long = "config")]
    pub config: Option<PathBuf>,
    /// Rows deleted per batch at most (default 1,000, as `janitor.batch_size`; at most
    /// 30000, larger values are cut to it). A batch deletes in statements of at most 100
    /// keys and ends after ~5 ms, so it never holds SQLite's write lock long enough to
    /// stall a running server.
    #[arg(long = "batch-size", default_value_t = 1_000)]
    pub batch_size: usize,
    /// Clean token data: expired access and refresh tokens, authorization codes,
    /// client-assertion and DPoP proof ids and device codes (Hydra's `--tokens`).
    /// Without `--tokens`, `--requests` and `--grants`, all three are cleaned.
    #[arg(long = "tokens", alias = "only-tokens")]
    pub tokens: bool,
    /// Clean login/consent data: used flow steps, expired authentication sessions,
    /// expired pushed authorization requests and the consents nothing needs any more
    /// (Hydra's `--requests`).
    #[arg(long = "requests", alias = "skip-tokens")]
    pub requests: bool,
    /// Clean admin-made grants: expired trust relationships of the JWT bearer grant and
    /// expired or used-up initial access tokens (Hydra's `--grants`).
    #[arg(long = "grants")]
    pub grants: bool,
    /// Clean audit events delivered more than `events.retention` ago (from the `-c`
    /// configuration file, else 168h) and ingest idempotency keys as old; undelivered
    /// events are never deleted (not in Hydra).
    #[arg(long = "events")]
    pub events: bool,
    /// Rows deleted per table at most in this run (Hydra's `--limit`). Default: no limit.
    #[arg(long = "limit")]
    pub limit: Option<u64>,
    /// Keep rows that expired less than this long ago, e.g. `24h` (Hydra's
    /// `--keep-if-younger`, Go duration format). Default: `0s`.
    #[arg(long = "keep-if-younger", value_parser = parse_duration, default_value = "0s")]
    pub keep_if_younger: portunus_server::duration::GoDuration,
}

/// A Go duration (`1h`, `30m`, `1h30m`), as Hydra's flags take them.
fn parse_duration(text: &str) -> Result<portunus_server::duration::GoDuration, String> {
    portunus_server::duration::GoDuration::parse(text).map_err(|e| e.to_string())
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
    /// Bearer API key of the admin API (serve.admin.api_key). Default: none.
    #[arg(
        long = "api-key",
        env = "PORTUNUS_ADMIN_API_KEY",
        global = true,
        hide_env_values = true
    )]
    pub api_key: Option<String>,
    /// Output: a table, or the admin API's JSON (one line, or indented).
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
    /// The client's id (default on create: a generated UUID).
    #[arg(long = "id")]
    pub id: Option<String>,
    /// Human-readable name (default: none).
    #[arg(short = 'n', long = "name")]
    pub name: Option<String>,
    /// Secret (default: 256 random bits, generated by the server). Shown once.
    #[arg(long = "secret")]
    pub secret: Option<String>,
    /// Grant type, repeatable or comma-separated: authorization_code, refresh_token,
    /// client_credentials, implicit, urn:ietf:params:oauth:grant-type:jwt-bearer
    /// (default: authorization_code).
    #[arg(short = 'g', long = "grant-type", value_delimiter = ',')]
    pub grant_types: Vec<String>,
    /// Response type, repeatable or comma-separated: code, token, id_token or
    /// combinations such as "code id_token" (default: code).
    #[arg(short = 'r', long = "response-type", value_delimiter = ',')]
    pub response_types: Vec<String>,
    /// Scope the client may request, repeatable or comma-separated (default:
    /// offline_access, offline, openid, as Hydra).
    #[arg(short = 'a', long = "scope", value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Redirect URI, repeatable or comma-separated (default: none, which the code and
    /// implicit flows need).
    #[arg(short = 'c', long = "redirect-uri", value_delimiter = ',')]
    pub redirect_uris: Vec<String>,
    /// Audience the client may request, repeatable or comma-separated (default: none).
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    /// Client authentication at the token endpoint: client_secret_basic,
    /// client_secret_post, private_key_jwt or none (default: client_secret_basic).
    #[arg(long = "token-endpoint-auth-method")]
    pub token_endpoint_auth_method: Option<String>,
    /// Owner, free text, filterable in `list clients --owner` (default: none).
    #[arg(long = "owner")]
    pub owner: Option<String>,
    /// URL of the client's privacy policy, shown by consent apps (default: none).
    #[arg(long = "policy-uri")]
    pub policy_uri: Option<String>,
    /// URL of the client's terms of service, shown by consent apps (default: none).
    #[arg(long = "tos-uri")]
    pub tos_uri: Option<String>,
    /// URL of the client's home page (default: none).
    #[arg(long = "client-uri")]
    pub client_uri: Option<String>,
    /// URL of the client's logo (default: none).
    #[arg(long = "logo-uri")]
    pub logo_uri: Option<String>,
    /// Contact e-mail address, repeatable or comma-separated (default: none).
    #[arg(long = "contact", value_delimiter = ',')]
    pub contacts: Vec<String>,
    /// Origin allowed to call the public endpoints from a browser (CORS), repeatable or
    /// comma-separated (default: none).
    #[arg(long = "allowed-cors-origin", value_delimiter = ',')]
    pub allowed_cors_origins: Vec<String>,
    /// Subject identifiers in tokens: public or pairwise (OIDC Core §8; default:
    /// public).
    #[arg(long = "subject-type")]
    pub subject_type: Option<String>,
    /// URL of the client's JSON Web Key Set, for private_key_jwt (default: none).
    #[arg(long = "jwks-uri")]
    pub jwks_uri: Option<String>,
    /// Where RP-initiated logout may send the browser back to, repeatable or
    /// comma-separated (default: none).
    #[arg(long = "post-logout-callback", value_delimiter = ',')]
    pub post_logout_redirect_uris: Vec<String>,
    /// Front-channel logout URL, loaded in an iframe at logout (default: none).
    #[arg(long = "frontchannel-logout-callback")]
    pub frontchannel_logout_uri: Option<String>,
    /// Send iss and sid to the front-channel logout URL (default: off).
    #[arg(long = "frontchannel-logout-session-required")]
    pub frontchannel_logout_session_required: bool,
    /// Back-channel logout URL, sent a logout token at logout (default: none).
    #[arg(long = "backchannel-logout-callback")]
    pub backchannel_logout_uri: Option<String>,
    /// Put sid in the back-channel logout token (default: off).
    #[arg(long = "backchannel-logout-session-required")]
    pub backchannel_logout_session_required: bool,
    /// Metadata as a JSON object (default: {}).
    #[arg(long = "metadata")]
    pub metadata: Option<String>,
    /// Skip the consent app for this client: consent is granted (default: off).
    #[arg(long = "skip-consent")]
    pub skip_consent: bool,
    /// Skip the logout app's confirmation for this client (default: off).
    #[arg(long = "skip-logout-consent")]
    pub skip_logout_consent: bool,
    /// Access token format: opaque or jwt (default: the server's
    /// strategies.access_token, opaque unless configured).
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
    /// Create a local user of the built-in login UI.
    #[command(alias = "users")]
    User(crate::cli_users::CreateUserArgs),
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
    /// Show local users.
    #[command(alias = "users")]
    User(crate::cli_users::UserIdsArgs),
}

/// `list <noun>`.
#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// List OAuth 2.0 clients.
    #[command(alias = "client", alias = "oauth2-client", alias = "oauth2-clients")]
    Clients(ListArgs),
    /// List local users.
    #[command(alias = "user")]
    Users(crate::cli_users::ListUsersArgs),
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
    /// Delete local users.
    #[command(alias = "users")]
    User(crate::cli_users::UserIdsArgs),
}

/// `rotate <noun>`.
#[derive(Debug, Subcommand)]
pub enum RotateCommand {
    /// Add a new signing key to a set; the previous keys stay published.
    #[command(alias = "jwks")]
    Jwk(crate::cli_keys::RotateJwkArgs),
    /// Give a client a new secret; the replaced one keeps working for a grace period.
    #[command(alias = "oauth2-client-secret", alias = "secret")]
    ClientSecret(RotateClientSecretArgs),
}

/// `rotate client-secret <id>`: `POST /admin/clients/{id}/secret/rotate`.
#[derive(Debug, Args)]
pub struct RotateClientSecretArgs {
    /// The client whose secret is replaced.
    pub id: String,
    /// The new secret; default: generated by the server (256 random bits).
    #[arg(
        long = "secret",
        env = "PORTUNUS_NEW_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub secret: Option<String>,
    /// How long the replaced secret keeps working (`1h30m`, at most `720h`); default:
    /// oauth2.client_secret_rotation.grace_period.
    #[arg(long = "grace-period")]
    pub grace_period: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
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
    /// What to update.
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
    /// The clients' ids.
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The clients' ids.
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Items per page (1–1000).
    #[arg(long = "page-size", default_value_t = 250)]
    pub page_size: i64,
    /// Page token from the previous page; omit for the first page.
    #[arg(long = "page-token")]
    pub page_token: Option<String>,
    /// Only clients with this name (default: all).
    #[arg(long = "name")]
    pub name: Option<String>,
    /// Only clients with this owner (default: all).
    #[arg(long = "owner")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What to import.
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

    fn walk(command: &clap::Command, path: String, visit: &mut dyn FnMut(&str, &clap::Arg)) {
        for arg in command.get_arguments() {
            visit(&path, arg);
        }
        for sub in command.get_subcommands() {
            walk(sub, format!("{path} {}", sub.get_name()), visit);
        }
    }

    /// Issue 21: every flag and argument says what it does.
    #[test]
    fn every_argument_has_help() {
        let mut missing = Vec::new();
        walk(
            &super::Cli::command(),
            "portunus".into(),
            &mut |path, arg| {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() {
                    missing.push(format!("{path}: {}", arg.get_id()));
                }
            },
        );
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }

    /// Issue 21: a short flag means one thing across commands, except where Hydra's
    /// own commands give it two meanings (kept so Hydra scripts work unchanged):
    /// `-c` config file (serve, migrate, janitor) / redirect URI (client commands),
    /// `-e` endpoint (client and perform commands) / DSN from the environment
    /// (migrate, janitor).
    #[test]
    fn short_flags_mean_one_thing() {
        let hydra_pairs = [
            ('c', "config"),
            ('c', "redirect-uri"),
            ('e', "endpoint"),
            ('e', "read-from-env"),
        ];
        let mut seen: std::collections::BTreeMap<char, std::collections::BTreeSet<String>> =
            std::collections::BTreeMap::new();
        walk(&super::Cli::command(), "portunus".into(), &mut |_, arg| {
            if let (Some(short), Some(long)) = (arg.get_short(), arg.get_long()) {
                seen.entry(short).or_default().insert(long.to_owned());
            }
        });
        for (short, longs) in seen {
            if longs.len() > 1 {
                for long in &longs {
                    assert!(
                        hydra_pairs.contains(&(short, long.as_str())),
                        "-{short} means {longs:?}"
                    );
                }
            }
        }
    }
}
