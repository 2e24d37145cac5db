-- Login/consent flow facts (`storage::flows`). Flow state travels sealed in challenges;
-- the database only records which single-use steps happened. utf8mb4_bin as clients.
CREATE TABLE oauth2_flow_steps (
    flow_id VARCHAR(36) NOT NULL,
    step VARCHAR(32) NOT NULL,
    redirect_to TEXT NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (flow_id, step),
    INDEX oauth2_flow_steps_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Authentication sessions: the `sid` of a user agent's login.
CREATE TABLE authentication_sessions (
    id VARCHAR(64) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    authenticated_at DATETIME(6) NOT NULL,
    remember BOOLEAN NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    INDEX authentication_sessions_subject_idx (subject),
    INDEX authentication_sessions_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Granted consents; `sealed_details` is sealed by the server (session data, context).
CREATE TABLE consent_grants (
    id VARCHAR(36) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    client_id VARCHAR(255) NOT NULL,
    login_session_id VARCHAR(64) NULL,
    granted_scope TEXT NOT NULL,
    granted_audience TEXT NOT NULL,
    remember BOOLEAN NOT NULL,
    remember_until DATETIME(6) NULL,
    handled_at DATETIME(6) NOT NULL,
    sealed_details MEDIUMTEXT NOT NULL,
    PRIMARY KEY (id),
    INDEX consent_grants_subject_idx (subject, id),
    INDEX consent_grants_subject_client_idx (subject, client_id, handled_at),
    INDEX consent_grants_login_session_idx (login_session_id),
    CONSTRAINT consent_grants_client_fk FOREIGN KEY (client_id) REFERENCES clients (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
