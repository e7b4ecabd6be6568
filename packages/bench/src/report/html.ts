import type { Histogram } from './stats.js';
import { fmt, ms } from './table.js';
import type { BenchReport } from './types.js';

/**
 * A self-contained HTML page (inline CSS and SVG, no scripts, no external assets): the verdict,
 * the headline figures, a latency histogram, throughput over time, and every invariant.
 *
 * @example writeFileSync('bench.html', renderHtml(report));
 */
export function renderHtml(report: BenchReport): string {
  const broken = report.invariants.filter((i) => !i.ok);
  const verdict = broken.length === 0 ? `PASS: all ${report.invariants.length} checks hold` : `FAIL: ${broken.map((i) => i.name).join(', ')}`;
  const s = report.settings;
  const figures: [string, string][] = [
    ['holds/s', fmt(report.holds_per_sec)],
    ['p50', ms(report.latency_ms.p50)],
    ['p95', ms(report.latency_ms.p95)],
    ['p99', ms(report.latency_ms.p99)],
    ['max', ms(report.latency_ms.max)],
  ];
  if (report.baseline_rps !== undefined) {
    figures.push(['bare Hono req/s', fmt(report.baseline_rps)], ['share of baseline', `${Math.round((report.baseline_ratio ?? 0) * 100)}%`]);
  }
  if (report.store_round_trips) figures.push(['DB calls / request', `${(report.store_round_trips.calls_per_request * 100).toFixed(2)}%`]);
  const drop = report.drop;
  if (drop?.opens_at) {
    if (typeof drop.calls_per_request_before_opening === 'number') figures.push(['DB calls / request before the opening', `${(drop.calls_per_request_before_opening * 100).toFixed(2)}%`]);
    figures.push(['holds/s after the opening', fmt(drop.holds_per_sec_after_opening ?? 0)]);
    if (typeof drop.sold_out_after_opening_ms === 'number') figures.push(['sold out after', `${fmt(drop.sold_out_after_opening_ms)} ms`]);
  }

  const ev = report.events;
  if (ev?.pushed) {
    figures.push(['events delivered', fmt(ev.delivered_events ?? 0)]);
    if (typeof ev.drain_per_sec === 'number') figures.push(['events/s draining after the flow', fmt(ev.drain_per_sec)]);
    if (ev.latency_ms && ev.latency_ms.count > 0) figures.push(['event delivery p50', ms(ev.latency_ms.p50)]);
  }

  const series = [{ name: report.mode === 'engine' ? 'holds (engine)' : 'holds', color: '#2563eb', chart: report.charts.throughput }];
  if (report.charts.baseline_throughput) series.push({ name: 'bare Hono baseline', color: '#9ca3af', chart: report.charts.baseline_throughput });

  const endpoints = Object.entries(report.endpoints)
    .map(([name, ep]) => `<tr><td>${esc(name)}</td><td>${fmt(ep.requests)}</td><td>${ms(ep.latency_ms.p50)}</td><td>${ms(ep.latency_ms.p95)}</td><td>${ms(ep.latency_ms.p99)}</td><td>${ms(ep.latency_ms.max)}</td><td>${esc(Object.entries(ep.status_counts).map(([k, v]) => `${k}×${v}`).join(' '))}</td></tr>`)
    .join('');
  const strategies = (report.strategies ?? [])
    .map((st) => `<tr><td>${st.strategy}</td><td>${st.kind}</td><td>${fmt(st.holds_per_sec)}</td><td>${ms(st.latency_ms.p50)}</td><td>${ms(st.latency_ms.p99)}</td><td>${fmt(st.granted)}</td><td>${st.oversell}</td></tr>`)
    .join('');
  const wave = report.checkout_wave;
  const waveRows = wave
    ? ([['POST /api/orders', wave.orders], ['POST /api/payments/webhook', wave.webhooks]] as const)
        .map(([name, st]) => `<tr><td>${name}</td><td>${fmt(st.per_sec)}</td><td>${ms(st.latency_ms.p50)}</td><td>${ms(st.latency_ms.p90)}</td><td>${ms(st.latency_ms.p99)}</td><td>${st.baseline_rps === undefined ? '' : fmt(st.baseline_rps)}</td><td>${st.baseline_ratio === undefined ? '' : `${Math.round(st.baseline_ratio * 100)}%`}</td></tr>`)
        .join('')
    : '';
  const invariants = report.invariants
    .map((i) => `<li class="${i.ok ? 'ok' : 'bad'}"><b>${i.ok ? '✓' : '✗'} ${esc(i.name)}</b> <span>${esc(i.detail)}</span></li>`)
    .join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>flashsale bench: ${esc(verdict)}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f8fafc;color:#0f172a}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#475569;font-size:13px}
.verdict{padding:12px 16px;border-radius:8px;font-weight:600;margin:16px 0}
.pass{background:#dcfce7;color:#166534}.fail{background:#fee2e2;color:#991b1b}
.figures{display:flex;flex-wrap:wrap;gap:12px}
.figure{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:10px 14px;min-width:110px}
.figure b{display:block;font-size:22px}.figure span{color:#64748b;font-size:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
td,th{border-bottom:1px solid #e2e8f0;padding:6px 8px;text-align:right}td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}
ul{list-style:none;padding:0}li{padding:6px 10px;border-radius:6px;margin:4px 0;background:#fff;border:1px solid #e2e8f0}
li.bad{border-color:#fca5a5;background:#fef2f2}li span{color:#475569}
svg text{font:11px system-ui,sans-serif;fill:#475569}
</style></head><body><main>
<h1>flashsale bench · ${esc(report.mode)}</h1>
<div class="sub">${esc(report.db)}${report.target ? ` · target ${esc(report.target)}` : ''} · ${fmt(s.requests)} requests · concurrency ${s.concurrency} · ${s.products === undefined ? '' : `${fmt(s.products)} products · `}stock ${fmt(s.stock)}${s.products === undefined ? '' : ' each'} · qty ${esc(s.qty)} · seed ${s.seed} · ${report.machine.cpus}× ${esc(report.machine.cpu_model)} · node ${esc(report.machine.node)} · ${esc(report.started_at)}</div>
<div class="verdict ${broken.length === 0 ? 'pass' : 'fail'}">${esc(verdict)}</div>
<div class="figures">${figures.map(([k, v]) => `<div class="figure"><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('')}</div>
<h2>Latency of hold requests</h2>
<div class="card">${histogramSvg(report.charts.latency_histogram)}</div>
<h2>Throughput over time</h2>
<div class="card">${throughputSvg(series)}</div>
${strategies ? `<h2>Strategies</h2><table><tr><th>strategy</th><th>kind</th><th>holds/s</th><th>p50</th><th>p99</th><th>granted</th><th>oversell</th></tr>${strategies}</table>` : ''}
${wave ? `<h2>Checkout wave (${wave.concurrency} buyers at once, established connections)</h2><table><tr><th>step</th><th>per sec</th><th>p50</th><th>p90</th><th>p99</th><th>bare Hono req/s</th><th>share</th></tr>${waveRows}</table>` : ''}
${endpoints ? `<h2>Endpoints</h2><table><tr><th>endpoint</th><th>requests</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>statuses</th></tr>${endpoints}</table>` : ''}
<h2>Invariants</h2><ul>${invariants}</ul>
</main></body></html>
`;
}

const W = 900;
const H = 260;
const PAD = { left: 56, right: 12, top: 12, bottom: 40 };

function histogramSvg(h: Histogram): string {
  const max = Math.max(1, ...h.counts);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const barW = plotW / Math.max(1, h.counts.length);
  const bars = h.counts
    .map((count, i) => {
      const height = (count / max) * plotH;
      const x = PAD.left + i * barW;
      const label = h.bounds[i] === Infinity ? `>${h.bounds[i - 1] ?? 5000}` : `≤${h.bounds[i]}`;
      return `<rect x="${x + 2}" y="${PAD.top + plotH - height}" width="${Math.max(1, barW - 4)}" height="${height}" fill="#2563eb"><title>${label} ms: ${count}</title></rect>`
        + `<text x="${x + barW / 2}" y="${H - PAD.bottom + 14}" text-anchor="middle">${label}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="latency histogram">${axes(max, 'requests')}${bars}<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle">latency (ms, bucket upper bound)</text></svg>`;
}

function throughputSvg(series: { name: string; color: string; chart: { bucket_ms: number; per_sec: number[] } }[]): string {
  const max = Math.max(1, ...series.flatMap((s) => s.chart.per_sec));
  const longest = Math.max(1, ...series.map((s) => s.chart.per_sec.length * s.chart.bucket_ms));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const lines = series
    .map((s, n) => {
      const points = s.chart.per_sec
        .map((v, i) => `${(PAD.left + (((i + 0.5) * s.chart.bucket_ms) / longest) * plotW).toFixed(1)},${(PAD.top + plotH - (v / max) * plotH).toFixed(1)}`)
        .join(' ');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points}"/>`
        + `<rect x="${PAD.left + 10}" y="${PAD.top + 6 + n * 16}" width="10" height="10" fill="${s.color}"/><text x="${PAD.left + 26}" y="${PAD.top + 15 + n * 16}">${esc(s.name)}</text>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${PAD.left + f * plotW}" y="${H - PAD.bottom + 14}" text-anchor="middle">${((f * longest) / 1000).toFixed(1)}s</text>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="throughput over time">${axes(max, 'per second')}${lines}${ticks}<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle">time since the first request</text></svg>`;
}

function axes(max: number, unit: string): string {
  const plotH = H - PAD.top - PAD.bottom;
  const grid = [0, 0.5, 1]
    .map((f) => {
      const y = PAD.top + plotH - f * plotH;
      return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#e2e8f0"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${fmt(f * max)}</text>`;
    })
    .join('');
  return `${grid}<text x="12" y="${PAD.top + plotH / 2}" transform="rotate(-90 12 ${PAD.top + plotH / 2})" text-anchor="middle">${unit}</text>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
