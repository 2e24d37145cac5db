//! The one integration test binary (one link instead of one per file: build time on 2
//! cores). Files are named by what they check;
//! `support/` holds the `TestApp` builder and the per-test databases.
#![recursion_limit = "256"]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

mod admin_client_secret_rotation;
mod admin_clients;
mod admin_user_identities;
mod admin_users;
mod cli;
mod cli_perform;
mod cors_browser;
mod dev_home;
mod events_faults;
mod events_ingest;
mod events_outbox;
mod fapi2_security_profile;
mod faults_crash;
mod faults_outage;
mod faults_races;
mod faults_shutdown;
mod faults_startup;
mod faults_statement_timeout;
mod fetch_cors;
mod forward_auth;
mod forward_auth_nginx;
mod health;
mod hydra_login_consent;
mod hydra_sessions;
mod janitor;
mod janitor_device_codes;
mod janitor_flags;
mod janitor_in_server;
mod json_newline;
mod jwk_admin_api;
mod jwk_admin_api_errors;
mod jwk_at_rest;
mod jwk_cli;
mod login_ui_browser;
mod login_ui_dev;
mod login_ui_device;
mod login_ui_flow;
mod login_ui_security;
mod login_ui_try_login;
mod login_ui_upstream;
mod login_ui_upstream_cache;
mod oauth2_token_hook;
mod oauth_client_id_metadata_document;
mod oidc_backchannel_logout;
mod oidc_core_3_1_2_id_token_hint;
mod oidc_core_3_1_3_id_token;
mod oidc_core_3_2_implicit;
mod oidc_core_3_3_hybrid;
mod oidc_core_5_3_userinfo;
mod oidc_core_8_pairwise;
mod oidc_discovery;
mod oidc_discovery_advertised;
mod oidc_frontchannel_logout;
mod oidc_rp_initiated_logout;
mod oidc_userinfo_vc_credentials;
mod openapi;
mod openapi_declared_statuses;
mod operations_prometheus_metrics;
mod operations_rate_limits;
mod operations_tls;
mod ory_sdk_compat;
mod rfc6749_2_3_client_authentication;
mod rfc6749_4_1_authorization_code;
mod rfc6749_4_3_password_grant;
mod rfc6749_4_4_client_credentials;
mod rfc6749_5_2_error_characters;
mod rfc6749_5_2_request_bodies;
mod rfc6749_6_refresh_token;
mod rfc7009_revocation;
mod rfc7517_jwks_endpoint;
mod rfc7523_2_1_jwt_bearer;
mod rfc7523_client_secret_jwt;
mod rfc7523_private_key_jwt;
mod rfc7591_3_initial_access_tokens;
mod rfc7591_dynamic_client_registration;
mod rfc7636_pkce;
mod rfc7662_introspection;
mod rfc8628_device_authorization;
mod rfc8693_token_exchange;
mod rfc8707_resource_indicators;
mod rfc9068_jwt_access_tokens;
mod rfc9101_request_objects;
mod rfc9110_method_not_allowed;
mod rfc9126_pushed_authorization_requests;
mod rfc9207_issuer_identification;
mod rfc9396_rich_authorization_requests;
mod rfc9449_10_1_dpop_at_par;
mod rfc9449_dpop;
mod rfc9449_dpop_userinfo;
mod sdk_client;
mod security_admin_api;
mod security_client_authentication;
mod security_forwarded_headers;
mod security_headers;
mod security_parameter_limits;
mod security_redirect_uri_schemes;
mod security_session_fixation;
mod security_time_overflow;
mod security_trusted_proxies;
mod seed_service_paths;
mod storage_conformance;
mod trust_admin_api;
mod users_cli;
