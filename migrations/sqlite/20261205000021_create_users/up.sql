-- Local users of the built-in login UI (`users::UserStore`). `username` is stored in
-- lower case and unique; `password_hash` an Argon2id PHC string, NULL for an account
-- without a password. TEXT compares byte-wise in SQLite, as the other backends are set to.
CREATE TABLE users (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    username VARCHAR(128) NOT NULL,
    email VARCHAR(254) NOT NULL,
    email_verified BOOLEAN NOT NULL,
    name VARCHAR(255) NULL,
    password_hash VARCHAR(255) NULL,
    disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- The port's uniqueness rule, and the sign-in lookup by username.
CREATE UNIQUE INDEX users_username_idx ON users (username);
