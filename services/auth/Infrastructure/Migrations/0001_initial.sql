CREATE TABLE accounts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username            varchar(32) NOT NULL,
    normalized_username varchar(32) NOT NULL,
    display_name        varchar(40) NOT NULL,
    password_hash       text        NOT NULL,
    created_at          timestamptz NOT NULL
);
CREATE UNIQUE INDEX ix_accounts_normalized_username ON accounts (normalized_username);

CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    family_id   uuid        NOT NULL,
    token_hash  bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX ix_refresh_tokens_token_hash ON refresh_tokens (token_hash);
CREATE INDEX ix_refresh_tokens_family_id ON refresh_tokens (family_id);
CREATE INDEX ix_refresh_tokens_account_id ON refresh_tokens (account_id);

CREATE TABLE signing_keys (
    key_id      varchar(32) PRIMARY KEY,
    algorithm   varchar(16) NOT NULL,
    private_key bytea       NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE outbox_messages (
    id           uuid PRIMARY KEY,
    event_type   varchar(256) NOT NULL,
    payload      text         NOT NULL,
    occurred_at  timestamptz  NOT NULL,
    published_at timestamptz
);
CREATE INDEX ix_outbox_messages_published_at_occurred_at ON outbox_messages (published_at, occurred_at);
