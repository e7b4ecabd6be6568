/** The counter of units given back, by cause, that a flashsale server exports on /metrics. */
const RELEASED = 'flashsale_stock_released_units_total';

/**
 * The units buyers gave back by releasing holds, as the server counts them
 * (`flashsale_stock_released_units_total{cause="released"}`): 0 while the counter has no such
 * series yet, undefined when the text is missing or has no such counter (a server without it).
 *
 * @example releasedUnits('flashsale_stock_released_units_total{cause="released"} 7\n') // 7
 */
export function releasedUnits(metricsText: string | undefined): number | undefined {
  if (metricsText === undefined || !metricsText.includes(`# TYPE ${RELEASED} counter`)) return undefined;
  const line = metricsText.split('\n').find((l) => l.startsWith(`${RELEASED}{`) && l.includes('cause="released"'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
