DROP TABLE oauth2_device_attempts;
DROP TABLE oauth2_device_codes;
