import type { Product, ReleaseSummary, VerifyReport } from '@flashsale/core';

/**
 * The JSON the CLI prints uses the HTTP API's snake_case field names, so one parser reads both.
 */

/** A product as `GET /api/products/{id}` returns it: the seed's four fields and the drop's. */
export function productJson(product: Product) {
  return {
    id: product.id,
    name: product.name,
    price: product.price,
    available_stock: product.availableStock,
    sale_starts_at: isoOrNull(product.saleStartsAt),
    sale_ends_at: isoOrNull(product.saleEndsAt),
    max_per_buyer: product.maxPerBuyer,
    sale_status: product.saleStatus,
  };
}

function isoOrNull(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

export function releaseJson(summary: ReleaseSummary) {
  return { holds: summary.holds, orders: summary.orders, units: summary.units, purged_idempotency: summary.purgedIdempotency, purged_events: summary.purgedEvents };
}

export function verifyJson(report: VerifyReport) {
  return {
    ok: report.ok,
    products: report.products,
    violations: report.violations.map((v) => ({ rule: v.rule, product_id: v.productId ?? null, detail: v.detail })),
  };
}

/** One line describing a product, for people; its window and limit when it has them. */
export function productLine(product: Product): string {
  const drop = [
    ...(product.saleStartsAt === null ? [] : [`sale from ${isoOrNull(product.saleStartsAt)}`]),
    ...(product.saleEndsAt === null ? [] : [`until ${isoOrNull(product.saleEndsAt)}`]),
    ...(product.saleStartsAt === null && product.saleEndsAt === null ? [] : [`(${product.saleStatus})`]),
    ...(product.maxPerBuyer === null ? [] : [`at most ${product.maxPerBuyer} per buyer`]),
  ];
  return `product ${product.id}: "${product.name}", price ${product.price}, available stock ${product.availableStock}${drop.length ? `, ${drop.join(' ')}` : ''}`;
}
