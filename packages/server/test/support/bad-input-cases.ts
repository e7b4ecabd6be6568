/** Bad request bodies, shared by the in-process and the over-a-socket bad-input tests. */

export interface Case {
  name: string;
  body: string | undefined;
  contentType?: string | null;
  status?: number;
  code: string;
  /** The JSON pointer the problem must name, when it is a field error. */
  pointer?: string;
}

export const JSON_CT = 'application/json';

/** Body-level cases that apply to every JSON endpoint. */
export const envelopeCases: Case[] = [
  { name: 'malformed JSON', body: '{"a":1,', code: 'malformed_json' },
  { name: 'an empty body', body: '', code: 'malformed_json' },
  { name: 'JSON null', body: 'null', code: 'invalid_input' },
  { name: 'a JSON array', body: '[]', code: 'invalid_input' },
  { name: 'a JSON string', body: '"hello"', code: 'invalid_input' },
  { name: 'no Content-Type', body: '{}', contentType: null, code: 'unsupported_media_type' },
  { name: 'text/plain', body: '{}', contentType: 'text/plain', code: 'unsupported_media_type' },
  { name: "a form (curl's default)", body: 'a=1', contentType: 'application/x-www-form-urlencoded', code: 'unsupported_media_type' },
  { name: 'a body over 16 KiB', body: JSON.stringify({ pad: 'x'.repeat(16 * 1024) }), status: 413, code: 'payload_too_large' },
];

export const holdCases: Case[] = [
  { name: 'an empty object', body: '{}', code: 'invalid_input', pointer: '#/product_id' },
  { name: 'qty missing', body: '{"product_id":1}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'product_id missing', body: '{"qty":1}', code: 'invalid_input', pointer: '#/product_id' },
  { name: 'product_id as a string', body: '{"product_id":"1","qty":1}', code: 'invalid_input', pointer: '#/product_id' },
  { name: 'qty as a string', body: '{"product_id":1,"qty":"2"}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty a float', body: '{"product_id":1,"qty":1.5}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty zero', body: '{"product_id":1,"qty":0}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty negative', body: '{"product_id":1,"qty":-1}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty past MAX_SAFE_INTEGER', body: '{"product_id":1,"qty":9007199254740993}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty 1e300', body: '{"product_id":1,"qty":1e300}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty a boolean', body: '{"product_id":1,"qty":true}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty null', body: '{"product_id":1,"qty":null}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty an array', body: '{"product_id":1,"qty":[1]}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'product_id zero', body: '{"product_id":0,"qty":1}', code: 'invalid_input', pointer: '#/product_id' },
  { name: 'product_id past MAX_SAFE_INTEGER', body: '{"product_id":9007199254740992,"qty":1}', code: 'invalid_input', pointer: '#/product_id' },
  { name: 'an unknown extra field', body: '{"product_id":1,"qty":1,"quantity":5}', code: 'invalid_input', pointer: '#' },
];

