//! The one diesel schema for all three backends (DESIGN §4, CONVENTIONS habit 10). Only
//! SQL types every backend of the `MultiConnection` supports appear here (STACK.md): JSON
//! is `Text`, timestamps are UTC `Timestamp` (`NaiveDateTime`). The DDL lives in
//! `migrations/{sqlite,postgres,mysql}`.

diesel::table! {
    /// OAuth 2.0 clients: the indexed columns beside the serde JSON of
    /// `client::model::Client` (`document`), which holds every other field.
    clients (id) {
        /// `client_id`; byte-wise ordered on every backend (`COLLATE "C"` on PostgreSQL,
        /// `utf8mb4_bin` on MySQL) so keyset pages agree everywhere.
        id -> Text,
        client_name -> Text,
        owner -> Text,
        /// Never in `document`: `Client::secret_hash` is `#[serde(skip)]`.
        secret_hash -> Nullable<Text>,
        document -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
