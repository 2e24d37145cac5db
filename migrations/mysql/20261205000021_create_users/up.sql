-- Local users of the built-in login UI (`users::UserStore`). `username` is stored in
-- lower case and unique; `password_hash` an Argon2id PHC string, NULL for an account
-- without a password. utf8mb4_bin: case-sensitive, byte-ordered, as on SQLite and
-- PostgreSQL.
CREATE TABLE users (
    id VARCHAR(36) NOT NULL,
    username VARCHAR(128) NOT NULL,
    email VARCHAR(254) NOT NULL,
    email_verified BOOLEAN NOT NULL,
    name VARCHAR(255) NULL,
    password_hash VARCHAR(255) NULL,
    disabled BOOLEAN NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE INDEX users_username_idx (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
