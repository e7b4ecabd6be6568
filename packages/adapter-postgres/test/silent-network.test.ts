import { createFlashSale } from '@flashsale/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.js';
import { silentProxy } from './support/silent-proxy.js';
import { dropSchema, endAdminPool, freshSchemaName, PG_URL } from './support/test-database.js';

describe.skipIf(!PG_URL)('postgres behind a network that goes silent', () => {
  afterAll(endAdminPool);

  it('answers storage_unavailable a little after the statement timeout instead of hanging', async () => {
    const url = new URL(PG_URL!);
    const proxy = await silentProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const schema = freshSchemaName();
    url.host = `127.0.0.1:${proxy.port}`;
    const store = await openPostgresStore({ connectionString: url.toString(), schema, statementTimeoutMs: 300, connectionTimeoutMs: 1_000 });
    const sale = createFlashSale({ store });
    try {
      const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
      proxy.silence();
      // The server enforces statement_timeout, but cannot be heard: the client-side read timeout
      // (statement timeout + 5 s) must end the wait with a clean storage_unavailable.
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(sale.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
    } finally {
      await proxy.close();
      await sale.close();
      await dropSchema(schema);
    }
  }, 30_000);
});
