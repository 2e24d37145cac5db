-- OAuth 2.0 clients: indexed columns beside the JSON document of the domain Client.
-- TEXT compares byte-wise in SQLite, so keyset order matches the other backends.
CREATE TABLE clients (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    client_name VARCHAR(255) NOT NULL,
    owner VARCHAR(255) NOT NULL,
    secret_hash TEXT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- (filter, id) serves "WHERE owner = ? AND id > ? ORDER BY id LIMIT n" from the index.
CREATE INDEX clients_owner_idx ON clients (owner, id);
CREATE INDEX clients_client_name_idx ON clients (client_name, id);
