import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseBuyerKey, type BuyerTokenOptions } from '../src/index.js';
import { expectProblem, harness, stateOf, type Harness } from './helpers.js';

/**
 * Buyer identity from a verified JWT (`buyerToken`): the buyer is the token's `sub`; a missing or
 * invalid token is 401 buyer_unauthorized, a body buyer_id other than sub 403 buyer_mismatch.
 */

const SECRET = 'a-shared-secret-of-at-least-thirty-two-bytes!';
const ISSUER = 'https://shop.example';
const AUDIENCE = 'flashsale';
const secretBytes = new TextEncoder().encode(SECRET);

let ec: { publicKey: CryptoKey; privateKey: CryptoKey };
let pem: string;
beforeAll(async () => {
  ec = await generateKeyPair('ES256', { extractable: true });
  pem = await exportSPKI(ec.publicKey);
});

/** A token signed as a shop would, with claims changed or removed by `edit`. */
async function token(options: { sub?: string | undefined; alg?: string; key?: CryptoKey | Uint8Array; kid?: string; edit?: (jwt: SignJWT) => SignJWT } = {}): Promise<string> {
  const { alg = 'HS256', key = secretBytes } = options;
  let jwt = new SignJWT({}).setProtectedHeader({ alg, ...(options.kid ? { kid: options.kid } : {}) }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m');
  if (!('sub' in options)) jwt = jwt.setSubject('customer-42');
  else if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
  if (options.edit) jwt = options.edit(jwt);
  return jwt.sign(key);
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

async function limitedProduct(h: Harness, maxPerBuyer = 1): Promise<number> {
  return (await h.engine.createProduct({ name: 'Drop', price: '10.00', stock: 10, maxPerBuyer })).id;
}

function withKey(key: BuyerTokenOptions['key']): Harness {
  return harness({ buyerToken: { key, issuer: ISSUER, audience: AUDIENCE } });
}

describe('buyer tokens on POST /api/holds', () => {
  test('the buyer is the sub of the token: counted against the limit without buyer_id in the body', async () => {
    const h = withKey(parseBuyerKey(SECRET));
    const id = await limitedProduct(h);
    const jwt = await token();
    expect((await h.post('/api/holds', { product_id: id, qty: 1 }, bearer(jwt))).status).toBe(201);
    const refused = await expectProblem(await h.post('/api/holds', { product_id: id, qty: 1 }, bearer(jwt)), 409, 'buyer_limit_exceeded');
    expect(refused).toMatchObject({ limit: 1, remaining: 0 });
    expect((await h.post('/api/holds', { product_id: id, qty: 1 }, bearer(await token({ sub: 'customer-43' })))).status).toBe(201);
  });

  test('a body buyer_id equal to sub is accepted; another one is 403 buyer_mismatch and takes nothing', async () => {
    const h = withKey(parseBuyerKey(SECRET));
    const id = await limitedProduct(h, 5);
    const jwt = await token();
    expect((await h.post('/api/holds', { product_id: id, qty: 1, buyer_id: 'customer-42' }, bearer(jwt))).status).toBe(201);
    const before = await stateOf(h);
    const body = await expectProblem(await h.post('/api/holds', { product_id: id, qty: 1, buyer_id: 'someone-else' }, bearer(jwt)), 403, 'buyer_mismatch');
    expect(JSON.stringify(body)).not.toMatch(/someone-else|customer-42/);
    expect(await stateOf(h)).toEqual(before);
  });

  test('401 buyer_unauthorized without a token, with a challenge, on every product', async () => {
    const h = withKey(parseBuyerKey(SECRET));
    const plain = await h.product(5);
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer' }] as Record<string, string>[]) {
      const res = await h.post('/api/holds', { product_id: plain, qty: 1 }, headers);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="flashsale-buyer"');
      await expectProblem(res, 401, 'buyer_unauthorized');
    }
    expect(await h.stock(plain)).toBe(5);
  });

  test.each([
    ['expired', { edit: (jwt: SignJWT) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60) }, 'it has expired'],
    ['not yet valid (nbf)', { edit: (jwt: SignJWT) => jwt.setNotBefore('10m') }, 'nbf'],
    ['from another issuer', { edit: (jwt: SignJWT) => jwt.setIssuer('https://evil.example') }, 'iss'],
    ['for another audience', { edit: (jwt: SignJWT) => jwt.setAudience('someone-else') }, 'aud'],
    ['signed with another secret', { key: new TextEncoder().encode('another-secret-of-at-least-thirty-two-bytes') }, 'signature'],
    ['without a sub', { sub: undefined }, 'sub'],
    ['with a sub that is not a buyer id', { sub: 'bell\u0007' }, 'sub'],
  ])('401 buyer_unauthorized for a token %s, saying why and nothing of the token', async (_name, options, reason) => {
    const h = withKey(parseBuyerKey(SECRET));
    const plain = await h.product(5);
    const jwt = await token(options);
    const res = await h.post('/api/holds', { product_id: plain, qty: 1 }, bearer(jwt));
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="flashsale-buyer", error="invalid_token"');
    const body = await expectProblem(res, 401, 'buyer_unauthorized');
    expect(body.detail).toContain(reason);
    expect(JSON.stringify(body)).not.toContain(jwt.split('.')[1]!);
    expect(await h.stock(plain)).toBe(5);
  });

  test('refuses an unsigned token (alg none), a tampered one, and a token whose algorithm does not fit the key', async () => {
    const h = withKey(parseBuyerKey(pem));
    const plain = await h.product(5);
    const good = await token({ alg: 'ES256', key: ec.privateKey });
    const [header, payload, signature] = good.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 })).toString('base64url')}.${signature}`;
    // HS256 "signed" with the public key's PEM text as the secret: the classic confusion attack.
    const confused = await token({ alg: 'HS256', key: new TextEncoder().encode(pem) });
    for (const jwt of [none, tampered, confused, 'not.a.jwt']) await expectProblem(await h.post('/api/holds', { product_id: plain, qty: 1 }, bearer(jwt)), 401, 'buyer_unauthorized');
    expect((await h.post('/api/holds', { product_id: plain, qty: 1 }, bearer(good))).status).toBe(201);
  });

  test('verifies with a JWKS file, choosing the key by kid', async () => {
    const other = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(other.publicKey)), kid: 'old' }, { ...(await exportJWK(ec.publicKey)), kid: 'current', alg: 'ES256' }] };
    const h = withKey(parseBuyerKey(JSON.stringify(jwks)));
    const plain = await h.product(5);
    expect((await h.post('/api/holds', { product_id: plain, qty: 1 }, bearer(await token({ alg: 'ES256', key: ec.privateKey, kid: 'current' }))))).toMatchObject({ status: 201 });
    await expectProblem(await h.post('/api/holds', { product_id: plain, qty: 1 }, bearer(await token({ alg: 'ES256', key: ec.privateKey, kid: 'old' }))), 401, 'buyer_unauthorized');
  });

  test('/openapi.json declares the buyer bearer on the hold route and documents 401 and 403', async () => {
    const h = withKey(parseBuyerKey(SECRET));
    const doc = (await (await h.get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { security: unknown; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.paths['/api/holds']!.post!.security).toEqual([{ buyerBearer: [] }]);
    expect(Object.keys(doc.paths['/api/holds']!.post!.responses)).toEqual(expect.arrayContaining(['401', '403']));
    expect(doc.components.securitySchemes.buyerBearer).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });
});

describe('parseBuyerKey', () => {
  test('reads a JWKS, a PEM public key, and an HS256 secret without its trailing newline', async () => {
    expect(parseBuyerKey(JSON.stringify({ keys: [await exportJWK(ec.publicKey)] })).kind).toBe('jwks');
    const key = parseBuyerKey(`${pem}\n`);
    expect(key.kind === 'public-key' && key.key.asymmetricKeyType).toBe('ec');
    const secret = parseBuyerKey(`${SECRET}\n`);
    expect(secret.kind === 'secret' && Buffer.from(secret.secret).toString()).toBe(SECRET);
    const h = withKey(secret);
    expect((await h.post('/api/holds', { product_id: await h.product(1), qty: 1 }, bearer(await token()))).status).toBe(201);
  });

  test('refuses a private key, a short secret, JSON that is no JWKS, and PEM that is no key', async () => {
    const privatePem = await exportPKCS8(ec.privateKey);
    expect(() => parseBuyerKey(privatePem)).toThrow(/private key/);
    expect(() => parseBuyerKey('short-secret')).toThrow(/at least 32 bytes/);
    expect(() => parseBuyerKey('{"kty":"EC"}')).toThrow(/JWKS/);
    expect(() => parseBuyerKey('{not json')).toThrow(/not JSON/);
    expect(() => parseBuyerKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(/not a public key/);
  });
});
