import type { FlashSale, OrderCreated } from '../../api.js';

/** Holds `qty` of a product and turns the hold into a pending order. */
export async function pendingOrder(sale: FlashSale, productId: number, qty = 1): Promise<OrderCreated> {
  const hold = await sale.createHold({ productId, qty });
  return sale.createOrder({ holdId: hold.holdId, token: hold.token });
}

let keys = 0;
/** A fresh idempotency key. */
export const newKey = (label = 'key') => `${label}-${++keys}-${Math.random().toString(36).slice(2)}`;
