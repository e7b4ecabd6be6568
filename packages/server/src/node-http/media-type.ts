import { MIMEType } from 'whatwg-mimetype';

/**
 * Whether a request's Content-Type names JSON: `application/json`, or a structured-syntax type
 * `application/<name>+json` (RFC 6839, such as application/problem+json), in any case, with any
 * parameters (they mean nothing to JSON, which is always UTF-8). Parsed by the WHATWG MIME Sniffing
 * algorithm (whatwg-mimetype), which reads what RFC 9110 allows, an empty parameter
 * (`application/json;`) and spaces around `;` included, where a regex refused them.
 *
 * Every route with a JSON body decides with this one function. Nearly every request of a
 * stampede sends exactly `application/json`, which needs no parsing; other headers are parsed
 * once and remembered (a few dozen distinct values at most, from well-behaved clients).
 */
export function isJsonContentType(header: string): boolean {
  if (header === 'application/json') return true;
  let known = seen.get(header);
  if (known === undefined) {
    known = namesJson(header);
    // Clients choose the header: remember a bounded number, so junk cannot grow the map.
    if (seen.size >= MAX_REMEMBERED) seen.clear();
    seen.set(header, known);
  }
  return known;
}

const MAX_REMEMBERED = 256;
const seen = new Map<string, boolean>();

function namesJson(header: string): boolean {
  const type = MIMEType.parse(header);
  if (type === null || type.type !== 'application') return false;
  return type.subtype === 'json' || (type.subtype.endsWith('+json') && type.subtype.length > '+json'.length);
}
