-- A refresh revokes the grant's earlier access tokens (`TokenStore::redeem`): the
-- index finds the family's active access tokens without reading every token the grant
-- ever had (a grant refreshed for a month has thousands). It leads with family_id, so
-- it also serves revoking a whole family.
CREATE INDEX oauth2_tokens_family_idx ON oauth2_tokens (family_id, kind, active);
DROP INDEX oauth2_tokens_family_id_idx ON oauth2_tokens;
