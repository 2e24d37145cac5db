//! Local user accounts: the people the built-in login UI signs in with a username and a
//! password (issue 22 §1). The headless login/consent API does not need them; they are
//! one source of subjects among others (upstream providers link to them later).
//!
//! - `model`: the user as the server keeps it, with its Argon2id password hash;
//! - `store`: the `UserStore` port, implemented in `storage/`;
//! - `wire`: the admin API's JSON shapes (`user`, `userBody`, `setUserPasswordBody`),
//!   which never carry the hash;
//! - `validate`: length and character bounds of every field;
//! - `password`: hashing and the constant-time sign-in check the login UI calls;
//! - `admin`: create, get, replace, patch (RFC 6902), delete, set password, list pages,
//!   independent of HTTP;
//! - `seed`: the demo user of `serve all --dev`;
//! - `identity`: upstream identities (provider + upstream subject) linked to users;
//! - `identity_admin`: listing and unlinking them (`/admin/users/{id}/identities`).

pub mod admin;
pub mod identity;
pub mod identity_admin;
pub mod model;
pub mod password;
pub mod seed;
pub mod store;
pub mod validate;
pub mod wire;

pub use identity::{UserIdentity, UserIdentityStore};
pub use model::User;
pub use store::{UserListQuery, UserStore};
