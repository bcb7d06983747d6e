CREATE TABLE user_profiles (
    id              bigint PRIMARY KEY,
    username        varchar(32)  NOT NULL,
    display_name    varchar(40)  NOT NULL,
    bio             varchar(280) NOT NULL DEFAULT '',
    avatar_url      varchar(512),
    follower_count  bigint       NOT NULL DEFAULT 0 CHECK (follower_count >= 0),
    following_count bigint       NOT NULL DEFAULT 0 CHECK (following_count >= 0),
    created_at      timestamptz  NOT NULL,
    updated_at      timestamptz  NOT NULL
);

CREATE TABLE follows (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    follower_id bigint      NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
    followee_id bigint      NOT NULL REFERENCES user_profiles (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    CONSTRAINT ak_follows_follower_followee UNIQUE (follower_id, followee_id),
    CONSTRAINT ck_follows_not_self CHECK (follower_id <> followee_id)
);
-- keyset pages: "who follows X, newest first" and "whom X follows, newest first"
CREATE INDEX ix_follows_followee_id_id ON follows (followee_id, id);
CREATE INDEX ix_follows_follower_id_id ON follows (follower_id, id);

CREATE TABLE outbox_messages (
    id           uuid PRIMARY KEY,
    event_type   varchar(256) NOT NULL,
    payload      text         NOT NULL,
    occurred_at  timestamptz  NOT NULL,
    published_at timestamptz
);
CREATE INDEX ix_outbox_messages_published_at_occurred_at ON outbox_messages (published_at, occurred_at);
