-- Local users of the built-in login UI (`users::UserStore`). `username` is stored in
-- lower case and unique; `password_hash` an Argon2id PHC string, NULL for an account
-- without a password. id and username are COLLATE "C" so keyset order and equality are
-- byte-wise, as on SQLite and MySQL.
CREATE TABLE users (
    id VARCHAR(36) COLLATE "C" NOT NULL PRIMARY KEY,
    username VARCHAR(128) COLLATE "C" NOT NULL,
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
