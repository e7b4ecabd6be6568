import { createFlashSale } from '@flashsale/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { adminPool, closeTestStores, endAdminPool, openTestStore, PG_URL } from './support/test-database.js';

/**
 * A pg client emits 'error' when its server ends the connection while no query of its is running,
 * and an 'error' nobody listens to ends the process. The store's pool listens while a client is
 * idle and the executor while it runs a unit; in CI a `flashsale serve` still died now and then
 * under pg_terminate_backend (the CLI's outage test) from a client in neither state. So every
 * client of the store's own pool carries a listener of its own from the moment it connects.
 */
describe.skipIf(!PG_URL)('postgres client errors', () => {
  const stores: PostgresStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  it('a connection ended by the server while checked out and listened to by nobody does not end the process', async () => {
    const store = await openTestStore({ poolSize: 2 });
    stores.push(store);
    const sale = createFlashSale({ store });
    const { id } = await sale.createProduct({ name: 'P', price: '1.00', stock: 5 });

    // The window: a client of the store's pool, out of the pool, with no listener of its caller.
    const client = await store.pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await adminPool().query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await ended;
    client.release(new Error('terminated'));

    // Still alive, and the store serves on new connections.
    expect((await sale.createHold({ productId: id, qty: 1 })).qty).toBe(1);
    expect(await sale.verify()).toMatchObject({ ok: true });
  });
});
