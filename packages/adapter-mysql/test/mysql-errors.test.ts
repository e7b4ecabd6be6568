import { FlashSaleError } from '@flashsale/core';
import { describe, expect, it } from 'vitest';
import { isConnectionError, translateMysqlError } from '../src/mysql-errors.js';

const serverError = (errno: number, code = `ER_${errno}`) => Object.assign(new Error(`server said ${errno}`), { errno, code, sqlState: 'HY000' });
const driverError = (code: string, extra: object = {}) => Object.assign(new Error(`driver said ${code}`), { code, ...extra });

describe('translateMysqlError', () => {
  it.each([
    ['1213 deadlock (after its retries)', serverError(1213, 'ER_LOCK_DEADLOCK')],
    ['1205 lock wait timeout', serverError(1205, 'ER_LOCK_WAIT_TIMEOUT')],
    ['2006 server gone away', serverError(2006)],
    ['2013 lost connection during query', serverError(2013)],
    ['1927 connection killed (MariaDB)', serverError(1927, 'ER_CONNECTION_KILLED')],
    ['1317 query interrupted', serverError(1317, 'ER_QUERY_INTERRUPTED')],
    ['4031 disconnected for inactivity (MySQL 8)', serverError(4031, 'ER_CLIENT_INTERACTION_TIMEOUT')],
    ['1040 too many connections', serverError(1040, 'ER_CON_COUNT_ERROR')],
    ['1053 server shutdown', serverError(1053, 'ER_SERVER_SHUTDOWN')],
    ['PROTOCOL_CONNECTION_LOST', driverError('PROTOCOL_CONNECTION_LOST', { fatal: true })],
    ['PROTOCOL_SEQUENCE_TIMEOUT (the client-side query timeout)', driverError('PROTOCOL_SEQUENCE_TIMEOUT')],
    ['ECONNRESET', driverError('ECONNRESET')],
    ['ECONNREFUSED', driverError('ECONNREFUSED')],
    ['a closed connection (fatal, no code)', Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true })],
  ])('%s is storage_unavailable, with the driver error kept as its cause', (_name, err) => {
    const translated = translateMysqlError(err);
    expect(FlashSaleError.is(translated, 'storage_unavailable')).toBe(true);
    expect((translated as Error).cause).toBe(err);
  });

  it.each([
    ['1366 incorrect string value', serverError(1366, 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD')],
    ['1300 invalid character string', serverError(1300, 'ER_INVALID_CHARACTER_STRING')],
    ['1406 data too long', serverError(1406, 'ER_DATA_TOO_LONG')],
    ['1264 out of range', serverError(1264, 'ER_WARN_DATA_OUT_OF_RANGE')],
    ['3819 check constraint (MySQL)', serverError(3819, 'ER_CHECK_CONSTRAINT_VIOLATED')],
    ['4025 check constraint (MariaDB)', serverError(4025, 'ER_CONSTRAINT_FAILED')],
  ])('%s is invalid_input, without the server text in its message', (_name, err) => {
    const translated = translateMysqlError(err);
    expect(FlashSaleError.is(translated, 'invalid_input')).toBe(true);
    expect((translated as Error).message).not.toContain('server said');
  });

  it('rethrows anything else unchanged: a bug must not look like an outage', () => {
    const syntax = serverError(1064, 'ER_PARSE_ERROR');
    expect(translateMysqlError(syntax)).toBe(syntax);
    const denied = serverError(1045, 'ER_ACCESS_DENIED_ERROR');
    expect(translateMysqlError(denied)).toBe(denied);
  });

  it('tells a connection error from a statement error, so only the former destroys the connection', () => {
    expect(isConnectionError(serverError(1213))).toBe(false);
    expect(isConnectionError(serverError(1205))).toBe(false);
    expect(isConnectionError(serverError(1317))).toBe(false);
    expect(isConnectionError(serverError(2013))).toBe(true);
    expect(isConnectionError(driverError('PROTOCOL_SEQUENCE_TIMEOUT'))).toBe(true);
  });
});
