CREATE TABLE rooms (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    anchor_id    bigint       NOT NULL,
    anchor_name  varchar(40)  NOT NULL,
    title        varchar(60)  NOT NULL,
    category     varchar(30)  NOT NULL,
    cover_url    varchar(512),
    stream_name  varchar(32)  NOT NULL,
    stream_key   varchar(64)  NOT NULL,
    status       varchar(10)  NOT NULL CHECK (status IN ('offline', 'live', 'ended')),
    publisher_id varchar(64),
    viewer_count bigint       NOT NULL DEFAULT 0,
    created_at   timestamptz  NOT NULL,
    live_since   timestamptz,
    ended_at     timestamptz
);
CREATE UNIQUE INDEX ix_rooms_stream_name ON rooms (stream_name);
CREATE UNIQUE INDEX ix_rooms_stream_key ON rooms (stream_key);
-- one open room per anchor
CREATE UNIQUE INDEX ix_rooms_open_anchor ON rooms (anchor_id) WHERE status <> 'ended';
-- keyset pages of rooms by status, most viewers first
CREATE INDEX ix_rooms_status_viewers ON rooms (status, viewer_count DESC, id DESC);

CREATE TABLE outbox_messages (
    id           uuid PRIMARY KEY,
    event_type   varchar(256) NOT NULL,
    payload      text         NOT NULL,
    occurred_at  timestamptz  NOT NULL,
    published_at timestamptz
);
CREATE INDEX ix_outbox_messages_published_at_occurred_at ON outbox_messages (published_at, occurred_at);
