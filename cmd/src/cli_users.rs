//! Arguments of the local user commands (`create|get|list|delete user`).

use clap::Args;

use crate::cli::Remote;

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// Username: ASCII letters, digits and . _ - @ + (stored in lower case).
    #[arg(short = 'u', long = "username")]
    pub username: String,
    /// E-mail address.
    #[arg(long = "email")]
    pub email: String,
    /// Mark the e-mail address as verified (default: not verified).
    #[arg(long = "email-verified")]
    pub email_verified: bool,
    /// Display name (default: none).
    #[arg(short = 'n', long = "name")]
    pub name: Option<String>,
    /// Password, 8 to 1024 characters (visible to other local users in the process
    /// list; prefer --password-stdin). Default: none, the user cannot sign in locally.
    #[arg(long = "password", conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
    /// Create the user disabled (default: enabled).
    #[arg(long = "disabled")]
    pub disabled: bool,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct UserIdsArgs {
    /// The users' ids.
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub remote: Remote,
}

#[derive(Debug, Args)]
pub struct ListUsersArgs {
    /// Items per page (1–1000).
    #[arg(long = "page-size", default_value_t = 250)]
    pub page_size: i64,
    /// Page token from the previous page; omit for the first page.
    #[arg(long = "page-token")]
    pub page_token: Option<String>,
    /// Only the user with this username (default: all).
    #[arg(long = "username")]
    pub username: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}
