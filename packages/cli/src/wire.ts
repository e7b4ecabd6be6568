import type { Product, ReleaseSummary, VerifyReport } from '@flashsale/core';

/**
 * The JSON the CLI prints uses the HTTP API's snake_case field names, so one parser reads both.
 */

/** A product as `GET /api/products/{id}` returns it. */
export function productJson(product: Product): { id: number; name: string; price: string; available_stock: number } {
  return { id: product.id, name: product.name, price: product.price, available_stock: product.availableStock };
}

export function releaseJson(summary: ReleaseSummary) {
  return { holds: summary.holds, orders: summary.orders, units: summary.units, purged_idempotency: summary.purgedIdempotency };
}

export function verifyJson(report: VerifyReport) {
  return {
    ok: report.ok,
    products: report.products,
    violations: report.violations.map((v) => ({ rule: v.rule, product_id: v.productId ?? null, detail: v.detail })),
  };
}

/** One line describing a product, for people. */
export function productLine(product: Product): string {
  return `product ${product.id}: "${product.name}", price ${product.price}, available stock ${product.availableStock}`;
}
