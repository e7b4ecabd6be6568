import type { FlashSale, FlashSaleOptions } from './api.js';
import type { EngineContext } from './engine-context.js';
import { resolveSettings } from './options.js';
import { generateHoldToken } from './tokens.js';
import { catalogUseCases } from './use-cases/catalog.js';
import { eventUseCases } from './use-cases/events.js';
import { expiryUseCases } from './use-cases/expiry.js';
import { holdLifecycleUseCases } from './use-cases/hold-lifecycle.js';
import { holdUseCases } from './use-cases/hold.js';
import { orderUseCases } from './use-cases/order.js';
import { paymentUseCases } from './use-cases/payment.js';

/**
 * Creates the engine: every use case of a flash sale over the store you pass.
 *
 * @example
 * // The store comes from an adapter package: openSqliteStore (@flashsale/adapter-sqlite) or
 * // openPostgresStore (@flashsale/adapter-postgres). The core itself knows no database.
 * const sale = createFlashSale({ store: openSqliteStore({ filename: 'shop.db' }) });
 * const product = await sale.createProduct({ name: 'Sneaker', price: '99.99', stock: 50 });
 * const hold = await sale.createHold({ productId: product.id, qty: 2 });
 * const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
 * await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: 'pay-1' });
 */
export function createFlashSale(options: FlashSaleOptions): FlashSale {
  const ctx: EngineContext = {
    store: options.store,
    settings: resolveSettings(options),
    clock: options.clock ?? Date.now,
    generateToken: options.generateToken ?? generateHoldToken,
    emit: options.onEvent ?? (() => {}),
  };
  const { stockReturned, ...holdCases } = holdUseCases(ctx);
  return {
    ...catalogUseCases(ctx),
    ...holdCases,
    ...holdLifecycleUseCases(ctx, { stockReturned }),
    ...orderUseCases(ctx),
    ...paymentUseCases(ctx),
    ...expiryUseCases(ctx),
    ...eventUseCases(ctx),
    ping: () => ctx.store.ping(),
    close: () => ctx.store.close(),
    options: ctx.settings,
  };
}
