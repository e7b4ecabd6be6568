import type { LatencySummary } from './stats.js';
import type { BenchReport, EventsReport } from './types.js';

/**
 * The terminal report: throughput, latency per endpoint, statuses, and each invariant ✓/✗, ending
 * with one PASS/FAIL line that names the broken checks.
 *
 * @example process.stdout.write(renderTable(await runBench({ requests: 2000 })));
 */
export function renderTable(report: BenchReport): string {
  const lines: string[] = [];
  const s = report.settings;
  lines.push(`flashsale bench: ${report.mode} on ${report.db}${report.target ? ` (target ${report.target})` : ''}`);
  lines.push(`  ${fmt(s.requests)} requests, concurrency ${s.concurrency}, ${s.products === undefined ? '' : `${fmt(s.products)} products, `}stock ${fmt(s.stock)}${s.products === undefined ? '' : ' each'}, qty ${s.qty}, seed ${s.seed}, ${report.machine.cpus} CPUs, node ${report.machine.node}`);
  lines.push('');

  if (report.mode === 'engine' && report.strategies) {
    lines.push(row(['strategy', 'kind', 'holds/s', 'p50', 'p95', 'p99', 'max', 'granted', 'refused', 'oversell'], [12, 20, 9, 8, 8, 8, 8, 8, 8, 8]));
    for (const st of report.strategies) {
      const l = st.latency_ms;
      lines.push(row([st.strategy, st.kind, fmt(st.holds_per_sec), ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max), fmt(st.granted), fmt(st.refused), String(st.oversell)], [12, 20, 9, 8, 8, 8, 8, 8, 8, 8]));
    }
    const by = Object.fromEntries(report.strategies.map((st) => [st.strategy, st.holds_per_sec]));
    if (by.coalesced && by.pessimistic) lines.push(`  coalesced / pessimistic = ${(by.coalesced / by.pessimistic).toFixed(1)}x`);
    if (by.coalesced && by.atomic) lines.push(`  coalesced / atomic = ${(by.coalesced / by.atomic).toFixed(1)}x`);
    const paths = report.checkout_paths ?? [];
    if (paths.length > 0) {
      lines.push('');
      const widths = [12, 8, 9, 8, 8, 11, 8, 8];
      lines.push(row(['checkout', 'buyers', 'orders/s', 'p50', 'p99', 'payments/s', 'p50', 'p99'], widths));
      for (const p of paths) {
        lines.push(row([p.path, fmt(p.buyers), fmt(p.orders_per_sec), ms(p.order_latency_ms.p50), ms(p.order_latency_ms.p99), fmt(p.payments_per_sec), ms(p.payment_latency_ms.p50), ms(p.payment_latency_ms.p99)], widths));
      }
      const [single, grouped] = [paths.find((p) => p.path === 'per-request'), paths.find((p) => p.path === 'grouped')];
      if (single && grouped) {
        lines.push(`  grouped / per-request: orders ${(grouped.orders_per_sec / single.orders_per_sec).toFixed(1)}x, payments ${(grouped.payments_per_sec / single.payments_per_sec).toFixed(1)}x`);
      }
    }
  } else {
    let headline = `holds/s: ${fmt(report.holds_per_sec)}`;
    if (report.baseline_rps !== undefined) {
      headline += `   baseline (bare Hono) req/s: ${fmt(report.baseline_rps)}   ratio: ${pct(report.baseline_ratio ?? 0)}`;
    }
    lines.push(headline);
    const rt = report.store_round_trips;
    if (rt) {
      lines.push(`database round trips: ${fmt(rt.store_calls)} store calls for ${fmt(rt.hold_requests)} hold requests (${pct(rt.calls_per_request)}); ${Number.isNaN(rt.requests_reaching_store) ? '?' : fmt(rt.requests_reaching_store)} requests reached storage`);
    } else if (rt === null) {
      lines.push('database round trips: not exported by this server (no flashsale_reserve_batches_total in /metrics)');
    }
    const d = report.drop;
    if (d) {
      const who = [d.buyers === null ? '' : `${fmt(d.buyers)} buyers`, d.max_per_buyer === null ? '' : `at most ${d.max_per_buyer} units each`].filter(Boolean).join(', ');
      if (who) lines.push(`drop: ${who}`);
      if (d.opens_at !== null) {
        const calls = d.store_calls_before_opening;
        lines.push(
          `before the opening (${d.opens_at}): ${fmt(d.requests_before_opening ?? 0)} requests, ${calls === null || calls === undefined ? '?' : fmt(calls)} store calls (${d.calls_per_request_before_opening === null || d.calls_per_request_before_opening === undefined ? '?' : pct(d.calls_per_request_before_opening)} of requests)`,
        );
        const gone = d.sold_out_after_opening_ms;
        lines.push(
          `after the opening: holds/s ${fmt(d.holds_per_sec_after_opening ?? 0)}${d.baseline_ratio_after_opening === undefined ? '' : ` (${pct(d.baseline_ratio_after_opening)} of bare Hono)`}; ` +
            (gone === null || gone === undefined ? `stock left; last hold ${d.last_hold_after_opening_ms === null ? 'none' : `${fmt(d.last_hold_after_opening_ms ?? 0)} ms`} after the opening` : `sold out ${fmt(gone)} ms after the opening`),
        );
      }
    }
    lines.push('');
    const widths = [28, 9, 8, 8, 8, 9];
    lines.push(`${row(['endpoint', 'requests', 'p50', 'p95', 'p99', 'max'], widths)}  statuses`);
    for (const [name, ep] of Object.entries(report.endpoints)) {
      lines.push(`${latencyRow(name, ep.requests, ep.latency_ms, widths)}  ${statuses(ep.status_counts)}`);
    }
    if (report.baseline_latency_ms) lines.push(latencyRow('baseline POST (bare Hono)', report.baseline_latency_ms.count, report.baseline_latency_ms, widths));
    const held = report.latency_established_ms;
    if (held) {
      const base = report.baseline_latency_established_ms;
      lines.push(`  on established connections (each connection's first request, with its set-up, left out): holds p99 ${ms(held.p99)}${base ? `, baseline p99 ${ms(base.p99)}` : ''}`);
    }
    const wave = report.checkout_wave;
    if (wave) {
      lines.push('');
      lines.push(`checkout wave: ${wave.concurrency} buyers at once, on established connections`);
      const w = [28, 9, 8, 8, 8, 8, 9];
      lines.push(row(['step', 'per sec', 'p50', 'p90', 'p99', 'max', 'vs Hono'], w));
      for (const [name, step] of [['POST /api/orders', wave.orders], ['POST /api/payments/webhook', wave.webhooks]] as const) {
        const l = step.latency_ms;
        lines.push(row([name, fmt(step.per_sec), ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max), step.baseline_ratio === undefined ? '' : pct(step.baseline_ratio)], w));
        if (step.step_answers) {
          const all = step.step_answers;
          lines.push(row([`  every answer of the step`, fmt(all.per_sec), '', '', '', '', all.baseline_ratio === undefined ? '' : pct(all.baseline_ratio)], w));
        }
        if (step.baseline_rps !== undefined && step.baseline_latency_ms) {
          const b = step.baseline_latency_ms;
          lines.push(row([`  bare Hono, same client`, fmt(step.baseline_rps), ms(b.p50), ms(b.p90), ms(b.p99), ms(b.max), ''], w));
        }
      }
    }
    const f = report.flow;
    if (f) {
      lines.push('');
      lines.push(`flow: ${f.winners} winners: ${f.abandoned} abandoned, ${f.released} released, ${f.ordered} ordered; ${f.paid} paid, ${f.failed} failed, ${f.unpaid} never paid, ${f.late_paid} paid late`);
      lines.push(`      hold lifecycle: ${f.repeated_releases} releases sent twice at once, ${f.extended} holds extended (${f.extensions_at_cap} at their cap), ${f.order_reads} order reads`);
      lines.push(`      mess: ${f.duplicate_webhooks} duplicate webhooks (same key, in parallel), ${f.retries_new_key} retries with new keys, ${f.conflicting_webhooks} conflicting outcomes, ${f.key_reuse_other_body} keys reused with another body, ${f.double_order_attempts} double orders, ${f.wrong_token_attempts} wrong tokens`);
      lines.push(`      expiry pass released ${f.expiry_pass.holds} holds and ${f.expiry_pass.orders} orders (${f.expiry_pass.units} units)`);
    }
    const ev = report.events;
    if (ev) lines.push(eventsLine(ev));
  }

  lines.push('');
  lines.push('invariants');
  for (const inv of report.invariants) lines.push(`  ${inv.ok ? '✓' : '✗'} ${inv.name}: ${inv.detail}`);
  lines.push('');
  const broken = report.invariants.filter((i) => !i.ok).map((i) => i.name);
  lines.push(broken.length === 0 ? `PASS: all ${report.invariants.length} checks hold` : `FAIL: ${broken.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** What the outbox held and, when pushed, how the receiver got it. */
function eventsLine(ev: EventsReport): string {
  const outbox = `events: ${fmt(ev.outbox_events)} in the outbox`;
  if (!ev.pushed) return `${outbox}; not pushed (${ev.not_pushed})`;
  const drain = ev.backlog_at_flow_end === 0 ? 'none left at the end of the flow' : `${fmt(ev.backlog_at_flow_end ?? 0)} left at the end of the flow, delivered in ${fmt(ev.drain_ms ?? 0)} ms (${ev.drain_per_sec === null || ev.drain_per_sec === undefined ? '?' : fmt(ev.drain_per_sec)}/s)`;
  const latency = ev.latency_ms && ev.latency_ms.count > 0 ? `; latency p50 ${ms(ev.latency_ms.p50)}, p99 ${ms(ev.latency_ms.p99)}${typeof ev.server_latency_p50_ms === 'number' ? ` (server's histogram p50 ${ms(ev.server_latency_p50_ms)})` : ''}` : '';
  return `${outbox}, pushed: ${fmt(ev.deliveries ?? 0)} deliveries, ${fmt(ev.duplicates ?? 0)} duplicates; ${drain}${latency}`;
}

function latencyRow(name: string, requests: number, l: LatencySummary, widths: number[]): string {
  return row([name, fmt(requests), ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max)], widths);
}

function row(cells: string[], widths: number[]): string {
  return `  ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ')}`.trimEnd();
}

function statuses(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function ms(n: number): string {
  return n >= 100 ? `${Math.round(n)}ms` : `${n.toFixed(1)}ms`;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 0)}%`;
}
