import fc from 'fast-check';

/**
 * Building blocks of hostile input: JSON text with numbers no serializer would write, strings
 * with NUL and lone surrogates, prototype-pollution keys, odd path parameters and header values.
 * JSON is produced as raw text so that duplicate keys, `-0`, `1e400` and 2^53 + 1 reach the
 * server exactly as an attacker would send them.
 */

/** Numbers as JSON text: edges of the safe-integer range, -0, exponents, and forms JSON forbids. */
export const rawNumber: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0', '-0', '1', '-1', '2', '1.0', '1.5', '0.1', '1e0', '1e3', '1E3', '1e+2', '1e-2', '2.0e0',
    '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740991', '18446744073709551616',
    '1e308', '-1e308', '1e309', '1e400', '4.9e-324', '1000000', '1000001', '1000000000', '1000000001', '2147483648',
  ),
  // Not JSON at all: the body must be refused as malformed, not coerced.
  fc.constantFrom('00', '01', '+1', '.5', '1.', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '١'),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);

/** A UTF-16 code unit at random: lone surrogates included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Strings a well-behaved client would never send. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: anyCodeUnit, maxLength: 40 }),
  fc.constantFrom(
    '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'a\udc00b', '\ufeff1', '\u202e', '１', ' 1', '1 ', '1', '01',
    '__proto__', 'constructor', 'success', 'failed', 'SUCCESS', '99.99', '-1.00', '0.001', 'null', 'true', '{}',
  ),
  fc.tuple(fc.constantFrom('x', '9', 'é', '\u0000', '😀'), fc.integer({ min: 200, max: 3_000 })).map(([c, n]) => c.repeat(n)),
);

/**
 * Text no store keeps exactly, hidden in otherwise plausible text: NUL (PostgreSQL's text type
 * refuses it: "invalid byte sequence for encoding UTF8: 0x00") and unpaired surrogates (no UTF-8
 * form; stores give U+FFFD back instead). With a UTF-8 database these are all the text PostgreSQL
 * refuses or changes. They must be refused with 400 on every store, never stored, never a 500.
 */
export const unstorableText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('TXN-789', 'Sneaker', 'a', '', '😀', 'x'.repeat(100)),
    fc.constantFrom('\u0000', '\u0000\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800', '\ud83d'),
    fc.constantFrom('', '789', 'X', '😀'),
  )
  .map(([before, bad, after]) => `${before}${bad}${after}`);

/** A JSON string literal. JSON.stringify escapes lone surrogates, so they arrive as \udxxx. */
export const rawString: fc.Arbitrary<string> = fc.oneof(
  { weight: 9, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: unstorableText.map((s) => JSON.stringify(s)) },
  // Raw control characters and bad escapes inside a literal: invalid JSON.
  { weight: 1, arbitrary: fc.constantFrom('"a\u0001b"', '"tab\there"', '"\\x41"', '"\\ud800"', '"\\u00"', "'single'") },
);

/** Keys an attacker tries: the real field names, prototype pollution, and junk. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'product_id', 'qty', 'hold_id', 'token', 'order_id', 'status', 'txn_id', 'name', 'price', 'stock',
    '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', 'QTY', 'qty ',
  ),
  hostileString,
);

export const rawLeaf: fc.Arbitrary<string> = fc.oneof(rawNumber, rawString, fc.constantFrom('true', 'false', 'null'));

/** Any JSON-ish value as text: nested junk, with duplicate and hostile keys. */
export const rawJson: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, rawLeaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 })
    .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
})).value;

/** A path parameter where an id belongs. */
export const hostilePathParam: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0', '01', '-1', '+1', '1.0', '1e3', '1E3', '0x10', '0b1', ' 1', '%201', '1%20', '%00', '1%00', '%', '%zz', '%E0%A4%A',
    '9007199254740991', '9007199254740992', '99999999999999999999', '%EF%BC%91', 'null', 'undefined', '__proto__',
    'constructor', '..', '.', '1;2', '1,2', '1/2', '1%2F2', '1?x=1', '1#x', '~1', 'Infinity', 'NaN',
  ),
  fc.integer({ min: 1, max: 5_000 }).map((n) => '9'.repeat(n)),
  hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
);

/**
 * Header values the Fetch API lets through (a ByteString without NUL, CR or LF): empty, huge,
 * latin-1, control characters. Values the Fetch API refuses go through raw sockets instead.
 */
export const hostileHeaderValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'a\tb', 'a\u0001b', 'a\u007fb', 'caf\u00e9', '\u00ff\u00fe', 'k'.repeat(256), 'k'.repeat(8 * 1024 + 1)),
  fc.string({ unit: fc.integer({ min: 1, max: 0xff }).filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.integer({ min: 300, max: 12_000 }).map((n) => 'k'.repeat(n)),
);

/** Content types: the right one in many spellings, and wrong ones. `undefined` sends none. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined, 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset=latin1',
      'application/json; charset=utf-16', 'APPLICATION/JSON', 'application/problem+json', 'application/vnd.api+json',
      'application/json;', 'application/json ; charset=utf-8', 'application/json;;', 'application/+json', ';',
      'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '',
      'application/json, text/plain', 'json', 'application/jsonx', 'application/json; boundary=', '*/*',
    ),
  },
);
