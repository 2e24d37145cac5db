-- Client secret rotation without downtime (POST /admin/clients/{id}/secret/rotate): the
-- secret a rotation replaced keeps authenticating until `previous_secret_expires_at`.
-- Like `secret_hash`, never in `document`.
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT NULL;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at TIMESTAMP NULL;
