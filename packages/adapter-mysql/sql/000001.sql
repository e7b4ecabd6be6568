-- 000001: products, holds, orders and idempotency records.
-- Released migrations are never edited or deleted: a change is a new numbered file.
-- The migrator sends one statement at a time: each ends with a `;` at the end of a line, and no
-- other line ends with one. MySQL commits every DDL statement on its own (a file is not one
-- transaction), so each statement must be safe to run again: a migration that failed half-way
-- is finished by the next run.
-- Tables are unqualified: the migrator runs on a connection whose default database is the target.
-- Times are epoch milliseconds passed in by the engine; the database clock is never read.
-- Every quantity and amount stays within JavaScript's safe integers (2^53 - 1), so no value
-- loses precision on its way back into a JS number. CHECK constraints are enforced from
-- MySQL 8.0.16 and MariaDB 10.2.
-- Text is utf8mb4 with binary collation: every character round-trips, and nothing is compared
-- case- or accent-insensitively. Hashes and statuses are ASCII.

CREATE TABLE IF NOT EXISTS products (
  id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name          VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  price_cents   BIGINT NOT NULL,
  -- initial_stock + restocked = available + active holds + pending and completed orders.
  initial_stock BIGINT NOT NULL,
  restocked     BIGINT NOT NULL DEFAULT 0,
  -- The guarded updates keep this non-negative; the CHECK is the last line against an oversell.
  available     BIGINT NOT NULL,
  CONSTRAINT products_price_cents_range CHECK (price_cents BETWEEN 0 AND 9007199254740991),
  CONSTRAINT products_initial_stock_range CHECK (initial_stock >= 0),
  CONSTRAINT products_restocked_range CHECK (restocked >= 0),
  CONSTRAINT products_available_range CHECK (available BETWEEN 0 AND 9007199254740991)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS holds (
  id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  product_id  BIGINT NOT NULL,
  qty         BIGINT NOT NULL,
  status      VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  token_hash  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  CONSTRAINT holds_qty_positive CHECK (qty > 0),
  CONSTRAINT holds_status_known CHECK (status IN ('active', 'converted', 'expired')),
  -- A hold is inserted while its product row is locked by the same transaction, so this
  -- foreign key's shared lock on the product costs no wait.
  CONSTRAINT holds_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
  -- The release pass scans only what can still expire (InnoDB has no partial indexes).
  KEY holds_status_expiry_idx (status, expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS orders (
  id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- One order per hold, enforced by the database as well as by the locked hold row.
  hold_id          BIGINT NOT NULL,
  -- No foreign key to products: InnoDB's check would take a shared lock on the product row, and
  -- every order of a hot product would then queue behind its hold batches. The product is the
  -- hold's, and the hold's key guards it.
  product_id       BIGINT NOT NULL,
  qty              BIGINT NOT NULL,
  amount_cents     BIGINT NOT NULL,
  status           VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at       BIGINT NOT NULL,
  payment_deadline BIGINT NOT NULL,
  txn_id           VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  CONSTRAINT orders_qty_positive CHECK (qty > 0),
  CONSTRAINT orders_amount_cents_range CHECK (amount_cents BETWEEN 0 AND 9007199254740991),
  CONSTRAINT orders_status_known CHECK (status IN ('pending', 'completed', 'failed', 'expired', 'refund_due')),
  CONSTRAINT orders_hold_unique UNIQUE KEY (hold_id),
  CONSTRAINT orders_hold_fk FOREIGN KEY (hold_id) REFERENCES holds (id),
  KEY orders_status_deadline_idx (status, payment_deadline),
  KEY orders_product_idx (product_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per (scope, key hash). A request inserts its row before acting, so a concurrent
-- duplicate waits on the primary key instead of acting twice. `body` is NULL only inside the
-- transaction of the first request: it is filled in, or the row deleted, before that commits.
CREATE TABLE IF NOT EXISTS idempotency_records (
  scope       VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  key_hash    VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fingerprint VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  body        MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (scope, key_hash),
  CONSTRAINT idempotency_records_scope_known CHECK (scope IN ('hold', 'order', 'payment')),
  KEY idempotency_records_created_idx (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
