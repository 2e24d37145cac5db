//! Arguments of `perform client-credentials|authorization-code`, as Hydra's `hydra
//! perform …`: get a token from the public listener the way a client would.

use clap::{Args, Subcommand};

use crate::cli::OutputFormat;

/// `perform <flow>`.
#[derive(Debug, Subcommand)]
pub enum PerformCommand {
    /// Get a token with the client_credentials grant (RFC 6749 §4.4) and print it.
    ClientCredentials(ClientCredentialsArgs),
    /// Run the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636): print the
    /// URL to open in a browser, receive the code on a local callback, exchange it and
    /// print the tokens. Needs a login and consent app (`urls.login`, `urls.consent`):
    /// `serve all --dev` without one serves the built-in pages (`/ui/login`,
    /// `/ui/consent`), where the demo user signs in. Register the client with the
    /// redirect URI `http://127.0.0.1:<port>/callback`.
    AuthorizationCode(AuthorizationCodeArgs),
    /// Run the device authorization grant (RFC 8628): request a device and user code,
    /// print the URL and code for the user, poll the token endpoint as §3.5 says
    /// (honouring `interval` and `slow_down`) and print the tokens. Needs a device app
    /// (`urls.device.verification`) besides the login and consent apps.
    DeviceCode(DeviceCodeArgs),
}

/// The public listener and how to print the token response.
#[derive(Debug, Args, Clone)]
pub struct PublicRemote {
    /// Public listener base URL; the token endpoint is `<endpoint>/oauth2/token`.
    #[arg(
        short = 'e',
        long = "endpoint",
        env = "PORTUNUS_PUBLIC_URL",
        default_value = "http://127.0.0.1:4444"
    )]
    pub endpoint: String,
    /// Output: a table of the token response, or the response's JSON.
    #[arg(long = "format", value_enum, default_value = "table")]
    pub format: OutputFormat,
}

/// The client's credentials: `client_secret_basic` with a secret, the client id in the
/// body without one (a public client, `token_endpoint_auth_method` none).
#[derive(Debug, Args, Clone)]
pub struct ClientCredentials {
    /// The client's id.
    #[arg(long = "client-id", env = "PORTUNUS_CLIENT_ID")]
    pub client_id: String,
    /// The client's secret, sent with HTTP Basic (client_secret_basic). Prefer the
    /// environment variable: arguments are visible to other users of the machine.
    #[arg(
        long = "client-secret",
        env = "PORTUNUS_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClientCredentialsArgs {
    #[command(flatten)]
    pub client: ClientCredentials,
    /// Scope to request, repeatable or comma-separated (default: none, which grants
    /// none).
    #[arg(long = "scope", value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Audience to request, repeatable or comma-separated (default: none).
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    #[command(flatten)]
    pub remote: PublicRemote,
}

#[derive(Debug, Args)]
pub struct AuthorizationCodeArgs {
    #[command(flatten)]
    pub client: ClientCredentials,
    /// Port of the local callback listener (on 127.0.0.1).
    #[arg(long = "port", default_value_t = 4446)]
    pub port: u16,
    /// Redirect URI sent in the request; must be registered for the client (default:
    /// http://127.0.0.1:<port>/callback).
    #[arg(long = "redirect")]
    pub redirect: Option<String>,
    /// Scope to request, repeatable or comma-separated.
    #[arg(
        long = "scope",
        value_delimiter = ',',
        default_value = "openid,offline_access"
    )]
    pub scopes: Vec<String>,
    /// Audience to request, repeatable or comma-separated (default: none).
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    /// Seconds to wait for the browser to come back to the callback.
    #[arg(long = "timeout", default_value_t = 300)]
    pub timeout: u64,
    #[command(flatten)]
    pub remote: PublicRemote,
}

#[derive(Debug, Args)]
pub struct DeviceCodeArgs {
    #[command(flatten)]
    pub client: ClientCredentials,
    /// Scope to request, repeatable or comma-separated.
    #[arg(
        long = "scope",
        value_delimiter = ',',
        default_value = "openid,offline_access"
    )]
    pub scopes: Vec<String>,
    /// Audience to request, repeatable or comma-separated (default: none).
    #[arg(long = "audience", value_delimiter = ',')]
    pub audience: Vec<String>,
    #[command(flatten)]
    pub remote: PublicRemote,
}
