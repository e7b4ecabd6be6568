-- Products keep initial_stock and restocked so the conservation audit can be computed:
-- initial_stock + restocked = available + active holds + pending orders + completed orders.
CREATE TABLE products (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT    NOT NULL,
  price_cents   INTEGER NOT NULL CHECK (price_cents >= 0),
  available     INTEGER NOT NULL CHECK (available >= 0),
  initial_stock INTEGER NOT NULL CHECK (initial_stock >= 0),
  restocked     INTEGER NOT NULL DEFAULT 0 CHECK (restocked >= 0)
);

CREATE TABLE holds (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  product_id INTEGER NOT NULL REFERENCES products (id),
  qty        INTEGER NOT NULL CHECK (qty > 0),
  status     TEXT    NOT NULL CHECK (status IN ('active', 'converted', 'expired')),
  token_hash TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
-- The sweeper only ever scans active holds by expiry.
CREATE INDEX holds_active_by_expiry ON holds (expires_at) WHERE status = 'active';

CREATE TABLE orders (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  hold_id          INTEGER NOT NULL UNIQUE REFERENCES holds (id),
  product_id       INTEGER NOT NULL REFERENCES products (id),
  qty              INTEGER NOT NULL CHECK (qty > 0),
  amount_cents     INTEGER NOT NULL CHECK (amount_cents >= 0),
  status           TEXT    NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'expired', 'refund_due')),
  created_at       INTEGER NOT NULL,
  payment_deadline INTEGER NOT NULL,
  txn_id           TEXT
);
CREATE INDEX orders_pending_by_deadline ON orders (payment_deadline) WHERE status = 'pending';

-- key_hash is a SHA-256 of scope and key: the raw key is never stored.
CREATE TABLE idempotency_records (
  scope       TEXT    NOT NULL,
  key_hash    TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  body        TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (scope, key_hash)
) WITHOUT ROWID;
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
