//! The one diesel schema for all three backends (docs/architecture.md, "Storage"). Only
//! SQL types every backend of diesel's `MultiConnection` supports appear here: JSON
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
        /// The secret a rotation replaced, valid until `previous_secret_expires_at`;
        /// never in `document` either.
        previous_secret_hash -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Opaque tokens (`storage::TokenStore`), keyed by the hex SHA-256 of the token's MAC.
    /// `granted_scope` is space-separated, `granted_audience` a JSON array; `session` and
    /// `request_data` arrive sealed.
    oauth2_tokens (signature_hash) {
        signature_hash -> Text,
        kind -> Text,
        family_id -> Text,
        client_id -> Text,
        subject -> Text,
        granted_scope -> Text,
        granted_audience -> Text,
        session -> Text,
        request_data -> Nullable<Text>,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        active -> Bool,
        used_at -> Nullable<Timestamp>,
        /// RFC 8693: the family this token's family was exchanged from.
        parent_family_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// JSON Web Keys, one row per key of a set (`storage::StoredJsonWebKey`).
    /// `set_id` and `kid` are byte-wise ordered and case-sensitive on every backend.
    json_web_keys (set_id, kid) {
        set_id -> Text,
        kid -> Text,
        alg -> Text,
        use_ -> Text,
        public_jwk -> Text,
        /// The private JWK sealed with `secrets.system` (`jwk::stored`), base64.
        private_jwk_sealed -> Nullable<Text>,
        created_at -> Timestamp,
        not_before -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Single-use flow steps (`storage::flows::FlowStepStore`).
    oauth2_flow_steps (flow_id, step) {
        flow_id -> Text,
        step -> Text,
        redirect_to -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Authentication sessions (`storage::flows::LoginSessionStore`).
    authentication_sessions (id) {
        id -> Text,
        subject -> Text,
        authenticated_at -> Timestamp,
        remember -> Bool,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Granted consents (`storage::flows::ConsentStore`); scope and audience are JSON arrays.
    consent_grants (id) {
        id -> Text,
        subject -> Text,
        client_id -> Text,
        login_session_id -> Nullable<Text>,
        granted_scope -> Text,
        granted_audience -> Text,
        remember -> Bool,
        remember_until -> Nullable<Timestamp>,
        handled_at -> Timestamp,
        sealed_details -> Text,
    }
}

diesel::table! {
    /// Used client assertion ids (`storage::jti::JtiStore`), keyed by `jti::jti_key`.
    oauth2_jti (id) {
        id -> Text,
        client_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Pushed authorization requests (`storage::pushed_requests::PushedRequestStore`),
    /// keyed by `pushed_requests::pushed_request_key`.
    oauth2_pushed_requests (id) {
        id -> Text,
        client_id -> Text,
        parameters -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Trusted JWT grant issuers (`trust::TrustStore`): `scope` space-separated,
    /// `public_jwk` JSON, `subject` empty when `allow_any_subject`.
    oauth2_trusted_jwt_issuers (id) {
        id -> Text,
        issuer -> Text,
        subject -> Text,
        allow_any_subject -> Bool,
        scope -> Text,
        kid -> Text,
        public_jwk -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Device authorizations (`storage::device_codes::DeviceCodeStore`, RFC 8628),
    /// keyed by `device_codes::device_code_key`; `user_code_key` unique; scope
    /// space-separated, audience a JSON array; `approval` sealed.
    oauth2_device_codes (device_code_key) {
        device_code_key -> Text,
        user_code_key -> Text,
        client_id -> Text,
        requested_scope -> Text,
        requested_audience -> Text,
        state -> Text,
        approval -> Nullable<Text>,
        interval_secs -> BigInt,
        next_poll_at -> Timestamp,
        polls -> BigInt,
        requested_at -> Timestamp,
        expires_at -> Timestamp,
        requested_authorization_details -> Nullable<Text>,
    }
}

diesel::table! {
    /// User-code attempts per device challenge (RFC 8628 §5.1).
    oauth2_device_attempts (challenge_id) {
        challenge_id -> Text,
        attempts -> BigInt,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Local users (`users::UserStore`): `username` lower case and unique,
    /// `password_hash` an Argon2id PHC string.
    users (id) {
        id -> Text,
        username -> Text,
        email -> Text,
        email_verified -> Bool,
        name -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Upstream identities linked to local users (`users::UserIdentityStore`).
    user_identities (provider, upstream_subject) {
        provider -> Text,
        upstream_subject -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Admin-created initial access tokens (`client::initial_access`, RFC 7591 §3).
    oauth2_initial_access_tokens (id) {
        id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
    }
}

diesel::table! {
    /// The audit events' transactional outbox (`storage::outbox`, `events/`).
    event_outbox (id) {
        id -> Text,
        aggregate_key -> Text,
        event_type -> Text,
        envelope -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// `Idempotency-Key`s of `POST /admin/events/ingest` (`storage::outbox`).
    event_idempotency_keys (idempotency_key) {
        idempotency_key -> Text,
        event_id -> Text,
        created_at -> Timestamp,
    }
}
