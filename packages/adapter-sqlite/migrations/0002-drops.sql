-- 0002: drops. A product's sale window and per-buyer limit, and the buyer each hold is for.
-- Times are epoch milliseconds passed in by the engine; NULL means no start, no end, no limit.
-- Columns are added, never a table rebuilt: orders reach their buyer through their hold.
ALTER TABLE products ADD COLUMN sale_starts_at INTEGER CHECK (sale_starts_at >= 0);
-- The store checks the merged window under its write lock; this is the last line.
ALTER TABLE products ADD COLUMN sale_ends_at INTEGER CHECK (sale_ends_at > sale_starts_at OR sale_starts_at IS NULL);
ALTER TABLE products ADD COLUMN max_per_buyer INTEGER CHECK (max_per_buyer > 0);

ALTER TABLE holds ADD COLUMN buyer_id TEXT;
-- A hold of a limited product counts its buyer's units: active holds and the orders on them.
CREATE INDEX holds_by_product_buyer ON holds (product_id, buyer_id) WHERE buyer_id IS NOT NULL;
