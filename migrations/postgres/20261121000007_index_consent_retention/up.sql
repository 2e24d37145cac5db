-- `portunus janitor` deletes consents nothing needs any more (docs/architecture.md,
-- "Retention"). Its two passes are ranges of this index: unremembered consents
-- (remember_until is NULL for them) oldest first, and remembered ones whose
-- remember_until passed.
CREATE INDEX consent_grants_retention_idx ON consent_grants (remember, remember_until, handled_at);
