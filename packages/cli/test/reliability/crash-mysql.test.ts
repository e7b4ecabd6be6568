import { MYSQL_URL, freshMysql } from '../helpers/databases.js';
import { describeCrashAtPeak } from './helpers/crash-at-peak.js';

// kill -9 of `flashsale serve` at peak load on a MySQL or MariaDB database (see helpers/crash-at-peak.ts).
// Skipped unless FLASHSALE_TEST_MYSQL_URL is set, e.g. mysql://root@127.0.0.1:3306/test.
const url = MYSQL_URL;
describeCrashAtPeak('mysql', url ? () => freshMysql(url) : undefined);
