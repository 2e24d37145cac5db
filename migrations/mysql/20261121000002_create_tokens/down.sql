DROP TABLE oauth2_tokens;
