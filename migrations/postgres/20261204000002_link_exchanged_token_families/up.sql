-- RFC 8693 token exchange: an exchanged token starts a new family linked to the family
-- of the token it was exchanged from (`parent_family_id`); revoking a family revokes
-- the families linked to it, transitively (`TokenStore::revoke_family`). The index
-- finds a family's children.
ALTER TABLE oauth2_tokens ADD COLUMN parent_family_id VARCHAR(36) NULL;
CREATE INDEX oauth2_tokens_parent_family_idx ON oauth2_tokens (parent_family_id);
