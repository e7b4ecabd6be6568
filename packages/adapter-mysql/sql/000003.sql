-- 000003: drops. A product's sale window and per-buyer limit, and the buyer each hold is for.
-- Times are epoch milliseconds passed in by the engine; NULL means no start, no end, no limit.
-- Columns are added, no table rebuilt by hand: orders reach their buyer through their hold.
--
-- MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB has), so each table's change is one ALTER (atomic
-- on its own), run only when its first column is missing: a run that failed between the two is
-- finished by the next. The ALTER is a prepared statement because MySQL has no IF outside a
-- stored program.

SET @flashsale_ddl = IF(
  EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'products' AND COLUMN_NAME = 'sale_starts_at'),
  'DO 0',
  'ALTER TABLE products ADD COLUMN sale_starts_at BIGINT NULL, ADD COLUMN sale_ends_at BIGINT NULL, ADD COLUMN max_per_buyer BIGINT NULL, ADD CONSTRAINT products_sale_starts_range CHECK (sale_starts_at >= 0), ADD CONSTRAINT products_max_per_buyer_positive CHECK (max_per_buyer > 0), ADD CONSTRAINT products_sale_window_check CHECK (sale_ends_at > sale_starts_at)'
);
PREPARE flashsale_ddl FROM @flashsale_ddl;
EXECUTE flashsale_ddl;
DEALLOCATE PREPARE flashsale_ddl;

-- Buyer ids are compared exactly (binary collation). A hold of a limited product counts its
-- buyer's units: active holds and the orders on them, found through this index.
SET @flashsale_ddl = IF(
  EXISTS(SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'holds' AND COLUMN_NAME = 'buyer_id'),
  'DO 0',
  'ALTER TABLE holds ADD COLUMN buyer_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, ADD KEY holds_product_buyer_idx (product_id, buyer_id)'
);
PREPARE flashsale_ddl FROM @flashsale_ddl;
EXECUTE flashsale_ddl;
DEALLOCATE PREPARE flashsale_ddl;
