import { createFlashSale } from '@flashsale/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openMysqlStore } from '../src/index.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { closeTestStore, endAdminPool, freshDatabaseName, MYSQL_URL, openConnections, urlFor } from './support/test-database.js';

/** A store whose connections go through a proxy the test controls. */
async function storeBehindProxy(options: { queryTimeoutMs?: number; connectTimeoutMs?: number } = {}) {
  const url = new URL(MYSQL_URL!);
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 3306) });
  url.host = `127.0.0.1:${proxy.port}`;
  const store = await openMysqlStore({ uri: urlFor(freshDatabaseName(), url.toString()), ...options });
  return { proxy, store, sale: createFlashSale({ store }) };
}

describe.skipIf(!MYSQL_URL)('mysql behind a network that fails', () => {
  afterAll(endAdminPool);

  it('answers storage_unavailable soon after the query timeout when the network goes silent, instead of hanging', async () => {
    const { proxy, store, sale } = await storeBehindProxy({ queryTimeoutMs: 300, connectTimeoutMs: 1_000 });
    try {
      const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
      proxy.silence();
      // The server would never be heard: only the client-side timer ends the wait.
      const started = Date.now();
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(sale.createHold({ productId: id, qty: 1, idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(sale.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
      expect(Date.now() - started).toBeLessThan(10_000);
      // Every connection that went silent was destroyed, not returned to the pool: the proxy
      // closed its side to the server, which holds none of the store's connections any more.
      expect(await openConnections(store.database)).toBe(0);
      proxy.forward();
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      // The hold that timed out was rolled back by the server with its connection: nothing half-written.
      expect((await store.auditSnapshot()).products).toEqual([expect.objectContaining({ available: 4, activeHoldQty: 1 })]);
      expect(await sale.verify()).toMatchObject({ ok: true, violations: [] });
    } finally {
      await sale.close();
      await proxy.close();
    }
    await closeTestStore(store);
  }, 30_000);

  it('answers storage_unavailable while connections are reset, and serves again without a reopen once they are not', async () => {
    const { proxy, store, sale } = await storeBehindProxy({ connectTimeoutMs: 1_000 });
    try {
      const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
      await sale.createHold({ productId: id, qty: 1 });
      proxy.reset();
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(sale.getProduct(id)).resolves.toMatchObject({ availableStock: 4 }); // a new connection, through the proxy again
      proxy.silence();
      proxy.reset();
      await expect(sale.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
      proxy.forward();
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      expect(await sale.verify()).toMatchObject({ ok: true, violations: [] });
    } finally {
      await sale.close();
      await proxy.close();
    }
    await closeTestStore(store);
  }, 30_000);
});
