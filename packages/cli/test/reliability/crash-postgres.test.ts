import { PG_URL, freshPostgres } from '../helpers/databases.js';
import { describeCrashAtPeak } from './helpers/crash-at-peak.js';

// kill -9 of `flashsale serve` at peak load on a PostgreSQL schema (see helpers/crash-at-peak.ts).
// Skipped unless FLASHSALE_TEST_PG_URL is set, e.g. postgres://postgres@127.0.0.1:5432/test.
const url = PG_URL;
describeCrashAtPeak('postgres', url ? () => freshPostgres(url) : undefined);
