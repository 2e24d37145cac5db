DROP TABLE consent_grants;
DROP TABLE authentication_sessions;
DROP TABLE oauth2_flow_steps;
