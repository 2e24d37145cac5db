DROP TABLE oauth2_jti;
