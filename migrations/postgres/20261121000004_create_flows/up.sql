-- Login/consent flow facts (`storage::flows`). Flow state travels sealed in challenges;
-- the database only records which single-use steps happened.
CREATE TABLE oauth2_flow_steps (
    flow_id VARCHAR(36) NOT NULL,
    step VARCHAR(32) NOT NULL,
    redirect_to TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (flow_id, step)
);
CREATE INDEX oauth2_flow_steps_expires_at_idx ON oauth2_flow_steps (expires_at);

-- Authentication sessions: the `sid` of a user agent's login.
CREATE TABLE authentication_sessions (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    subject VARCHAR(255) NOT NULL,
    authenticated_at TIMESTAMP NOT NULL,
    remember BOOLEAN NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX authentication_sessions_subject_idx ON authentication_sessions (subject);
CREATE INDEX authentication_sessions_expires_at_idx ON authentication_sessions (expires_at);

-- Granted consents; `sealed_details` is sealed by the server (session data, context).
CREATE TABLE consent_grants (
    id VARCHAR(36) COLLATE "C" NOT NULL PRIMARY KEY,
    subject VARCHAR(255) NOT NULL,
    client_id VARCHAR(255) COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    login_session_id VARCHAR(64) NULL,
    granted_scope TEXT NOT NULL,
    granted_audience TEXT NOT NULL,
    remember BOOLEAN NOT NULL,
    remember_until TIMESTAMP NULL,
    handled_at TIMESTAMP NOT NULL,
    sealed_details TEXT NOT NULL
);
CREATE INDEX consent_grants_subject_idx ON consent_grants (subject, id);
CREATE INDEX consent_grants_subject_client_idx ON consent_grants (subject, client_id, handled_at);
CREATE INDEX consent_grants_client_idx ON consent_grants (client_id);
CREATE INDEX consent_grants_login_session_idx ON consent_grants (login_session_id);
