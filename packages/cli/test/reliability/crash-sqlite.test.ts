import { freshSqlite } from '../helpers/databases.js';
import { describeCrashAtPeak } from './helpers/crash-at-peak.js';

// kill -9 of `flashsale serve` at peak load on a SQLite file (see helpers/crash-at-peak.ts).
describeCrashAtPeak('sqlite', freshSqlite);
