DROP INDEX oauth2_tokens_parent_family_idx;
ALTER TABLE oauth2_tokens DROP COLUMN parent_family_id;
