-- OAuth 2.0 clients: indexed columns beside the JSON document of the domain Client.
-- utf8mb4_bin: ids and filters are case-sensitive and ordered by code point, as on
-- SQLite and PostgreSQL (the server default utf8mb4_general_ci would make "A" = "a").
-- MEDIUMTEXT for the document: TEXT stops at 64 KiB, less than a client with a large
-- inline JWK Set may need.
CREATE TABLE clients (
    id VARCHAR(255) NOT NULL,
    client_name VARCHAR(255) NOT NULL,
    owner VARCHAR(255) NOT NULL,
    secret_hash TEXT NULL,
    document MEDIUMTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    INDEX clients_owner_idx (owner, id),
    INDEX clients_client_name_idx (client_name, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
