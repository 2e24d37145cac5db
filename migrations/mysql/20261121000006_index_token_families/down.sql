CREATE INDEX oauth2_tokens_family_id_idx ON oauth2_tokens (family_id);
DROP INDEX oauth2_tokens_family_idx ON oauth2_tokens;
