-- RFC 9396 at the device authorization endpoint (RFC 8628 §3.1): the requested
-- authorization_details (a JSON array), NULL when the request named none.
ALTER TABLE oauth2_device_codes ADD COLUMN requested_authorization_details TEXT NULL;
