-- Rooms as the live service announces them (RoomStatusChanged): interact's own replica, never live's tables.
CREATE TABLE rooms (
    id              bigint PRIMARY KEY,
    anchor_id       bigint       NOT NULL,
    anchor_name     varchar(64)  NOT NULL,
    title           varchar(200) NOT NULL,
    status          varchar(16)  NOT NULL,
    -- the OccurredAt of the event that set the status: an older event arriving late changes nothing
    status_changed_at timestamptz NOT NULL
);

CREATE TABLE gifts (
    id         bigint PRIMARY KEY,
    name       varchar(40)  NOT NULL,
    price      bigint       NOT NULL CHECK (price > 0),
    level      varchar(16)  NOT NULL CHECK (level IN ('normal', 'premium')),
    image_url  varchar(512) NOT NULL
);

INSERT INTO gifts (id, name, price, level, image_url) VALUES
    (1, 'Rose',        1,    'normal',  'https://static.livemicro.dev/gifts/rose.png'),
    (2, 'Glow stick',  10,   'normal',  'https://static.livemicro.dev/gifts/glow-stick.png'),
    (3, 'Heart',       50,   'normal',  'https://static.livemicro.dev/gifts/heart.png'),
    (4, 'Sports car',  1000, 'premium', 'https://static.livemicro.dev/gifts/sports-car.png'),
    (5, 'Rocket',      5000, 'premium', 'https://static.livemicro.dev/gifts/rocket.png');

-- Coins are integers (bigint), never floats. balance is what a user can spend, revenue what gifts earned them.
CREATE TABLE wallets (
    user_id    bigint PRIMARY KEY,
    balance    bigint      NOT NULL DEFAULT 0 CHECK (balance >= 0),
    revenue    bigint      NOT NULL DEFAULT 0 CHECK (revenue >= 0),
    updated_at timestamptz NOT NULL
);

CREATE TABLE top_ups (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id            bigint       NOT NULL,
    amount             bigint       NOT NULL CHECK (amount > 0),
    provider           varchar(32)  NOT NULL,
    provider_reference varchar(128) NOT NULL,
    idempotency_key    varchar(64)  NOT NULL,
    balance_after      bigint       NOT NULL,
    created_at         timestamptz  NOT NULL,
    CONSTRAINT ak_top_ups_user_id_idempotency_key UNIQUE (user_id, idempotency_key)
);

-- One row per accepted gift request; (sender_id, idempotency_key) makes a repeated request answer the first result.
CREATE TABLE gift_transactions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender_id       bigint      NOT NULL,
    idempotency_key varchar(64) NOT NULL,
    room_id         bigint      NOT NULL REFERENCES rooms (id),
    anchor_id       bigint      NOT NULL,
    gift_id         bigint      NOT NULL REFERENCES gifts (id),
    count           int         NOT NULL CHECK (count > 0),
    total_coins     bigint      NOT NULL CHECK (total_coins > 0),
    balance_after   bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    CONSTRAINT ak_gift_transactions_sender_id_idempotency_key UNIQUE (sender_id, idempotency_key)
);
CREATE INDEX ix_gift_transactions_room_id ON gift_transactions (room_id);

-- Double-entry style: every coin movement is a signed row; per user, the sums equal the wallet's figures.
CREATE TABLE ledger_entries (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id             bigint      NOT NULL,
    kind                varchar(16) NOT NULL CHECK (kind IN ('top_up', 'gift_sent', 'gift_received')),
    amount              bigint      NOT NULL,
    gift_transaction_id bigint REFERENCES gift_transactions (id),
    top_up_id           bigint REFERENCES top_ups (id),
    created_at          timestamptz NOT NULL
);
CREATE INDEX ix_ledger_entries_user_id ON ledger_entries (user_id);

CREATE TABLE lotteries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id        bigint       NOT NULL REFERENCES rooms (id),
    owner_id       bigint       NOT NULL,
    prize          varchar(100) NOT NULL,
    winner_count   int          NOT NULL CHECK (winner_count BETWEEN 1 AND 1000),
    join_mode      varchar(16)  NOT NULL CHECK (join_mode IN ('button', 'keyword')),
    keyword        varchar(50),
    followers_only boolean      NOT NULL,
    closes_at      timestamptz  NOT NULL,
    status         varchar(16)  NOT NULL CHECK (status IN ('open', 'drawn')),
    drawn_at       timestamptz,
    created_at     timestamptz  NOT NULL
);
-- the drawer's query: open lotteries whose time has come
CREATE INDEX ix_lotteries_status_closes_at ON lotteries (status, closes_at);
CREATE INDEX ix_lotteries_room_id ON lotteries (room_id);

CREATE TABLE lottery_entries (
    lottery_id bigint      NOT NULL REFERENCES lotteries (id) ON DELETE CASCADE,
    user_id    bigint      NOT NULL,
    user_name  varchar(64) NOT NULL,
    joined_at  timestamptz NOT NULL,
    won        boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (lottery_id, user_id)
);

CREATE TABLE outbox_messages (
    id           uuid PRIMARY KEY,
    event_type   varchar(256) NOT NULL,
    payload      text         NOT NULL,
    occurred_at  timestamptz  NOT NULL,
    published_at timestamptz
);
CREATE INDEX ix_outbox_messages_published_at_occurred_at ON outbox_messages (published_at, occurred_at);
