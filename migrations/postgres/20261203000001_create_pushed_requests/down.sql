DROP TABLE oauth2_pushed_requests;
