/**
 * The status page as one self-contained HTML document: no script, no external asset, charts as
 * inline SVG (each with a data table beside it for screen readers), tables with headers, colours
 * with enough contrast, a layout that fits a phone.
 */
import type { StatusModel, TrendDay } from './status';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
	return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function when(iso: string | undefined): string {
	if (!iso) return '—';
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return escapeHtml(iso);
	return `<time datetime="${escapeHtml(date.toISOString())}">${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function counted(n: number, noun: string): string {
	return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A long message cut for the table (the history row keeps it whole). */
function shortened(text: string, length = 240): string {
	return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

function duration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
	return `${Math.round(ms / 60_000)} min`;
}

const STATUS_TEXT: Record<string, string> = { ok: 'OK', warnings: 'Warnings', errors: 'Failed', braked: 'Stopped by the brake' };

function badge(status: string): string {
	const known = STATUS_TEXT[status] ? status : 'unknown';
	return `<span class="badge ${known}">${escapeHtml(STATUS_TEXT[status] ?? status ?? '—')}</span>`;
}

function table(caption: string, headers: string[], rows: string[][], empty: string): string {
	if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
	const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
	const body = rows.map((cells) => `<tr><th scope="row">${cells[0]}</th>${cells.slice(1).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
	return `<div class="scroll"><table><caption>${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A bar chart of one measure per day. */
function barChart(title: string, days: TrendDay[], value: (day: TrendDay) => number, format: (n: number) => string, colour: string): string {
	const width = 600;
	const height = 120;
	const top = 16;
	const bottom = 18;
	const max = Math.max(...days.map(value), 0);
	const step = width / days.length;
	const bars = days
		.map((day, i) => {
			const v = value(day);
			const h = max > 0 ? Math.max(v > 0 ? 2 : 0, ((height - top - bottom) * v) / max) : 0;
			return `<rect x="${(i * step + 1).toFixed(1)}" y="${(height - bottom - h).toFixed(1)}" width="${(step - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"><title>${escapeHtml(`${day.day}: ${format(v)}`)}</title></rect>`;
		})
		.join('');
	const id = title.toLowerCase().replace(/[^a-z]+/g, '-');
	return [
		`<figure><figcaption id="${id}">${escapeHtml(title)} — highest ${escapeHtml(format(max))}</figcaption>`,
		`<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}" preserveAspectRatio="none">`,
		`<line x1="0" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" stroke="#595959" stroke-width="1"/>`,
		bars,
		`<text x="0" y="${height - 4}" font-size="11" fill="#333">${escapeHtml(days[0]?.day ?? '')}</text>`,
		`<text x="${width}" y="${height - 4}" font-size="11" fill="#333" text-anchor="end">${escapeHtml(days[days.length - 1]?.day ?? '')}</text>`,
		'</svg></figure>',
	].join('');
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.2rem;margin:1.6em 0 .5em;border-bottom:2px solid #d0d0d0}
.meta{color:#3d3d3d}.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;min-width:640px;font-size:.92rem}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid #d0d0d0;padding:6px 8px;text-align:left;vertical-align:top}time{white-space:nowrap}.msg{word-break:break-all}thead th{background:#f0f0f0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.85rem;white-space:nowrap}
.ok{background:#dff3e4;color:#0b5d1e}.warnings{background:#fff1cc;color:#6b4a00}.errors{background:#fde0e0;color:#8b0000}.braked{background:#e8e0f8;color:#3f1f7a}.unknown{background:#eee;color:#333}
.active{color:#0b5d1e}.expiring{color:#6b4a00}.expired{color:#8b0000}
.summary{display:flex;flex-wrap:wrap;gap:12px}.summary div{border:1px solid #d0d0d0;border-radius:8px;padding:8px 12px;min-width:140px}.summary b{display:block;font-size:1.3rem}
figure{margin:8px 0 16px}figcaption{font-weight:600}svg{width:100%;height:120px;display:block}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:8px 24px}
a{color:#0645ad}.empty{color:#3d3d3d;font-style:italic}details{margin:8px 0}
`;

export interface PageOptions {
	/** The page's own address with the query that asks for the plan (a relative link is fine). */
	planLink?: string;
}

const TITLE = 'LN ⇄ Exchange sync — status';

export function renderStatusPage(model: StatusModel, options: PageOptions = {}): string {
	const failing = model.users.filter((u) => u.lastStatus === 'errors').length;
	const last = model.lastRun;
	const summary = [
		`<div>Last run<b>${last ? badge(last.status) : '—'}</b>${last ? when(last.at) : 'no run kept yet'}</div>`,
		`<div>Sync users<b>${model.users.length}</b>${failing} failing in their last run</div>`,
		`<div>Written in the last run<b>${last?.written ?? 0}</b>${last ? `${last.errors} errors, ${duration(last.durationMs)}` : ''}</div>`,
		`<div>Push subscriptions<b>${model.subscriptions.length}</b>${model.subscriptions.filter((s) => s.state !== 'active').length} expiring or expired</div>`,
	].join('');
	const users = table(
		'Each sync user: the last run, the last run without errors, the last error',
		['Mailbox', 'LN user', 'Last run', 'Status', 'Last success', 'Last error', 'Written', 'Conflicts', 'Skipped', 'Errors', 'Duration'],
		model.users.map((u) => [
			escapeHtml(u.mailbox),
			escapeHtml(u.lnUser || '—'),
			when(u.lastRunAt),
			badge(u.lastStatus),
			when(u.lastSuccessAt),
			u.lastError ? `${when(u.lastError.at)}<br>${escapeHtml(u.lastError.classes)}: <span class="msg">${escapeHtml(shortened(u.lastError.message))}</span>` : '—',
			String(u.written),
			String(u.conflicts),
			String(u.skipped),
			String(u.errors),
			duration(u.durationMs),
		]),
		'No run has been kept yet: the history fills with the next pull.',
	);
	const charts = [
		barChart('Runs per day', model.trend, (d) => d.runs, (n) => counted(n, 'run'), '#1f5fa8'),
		barChart('Items written per day', model.trend, (d) => d.written, (n) => `${n} written`, '#0b6e3a'),
		barChart('Errors per day', model.trend, (d) => d.errors, (n) => counted(n, 'error'), '#a30000'),
		barChart('Longest run per day', model.trend, (d) => d.durationMs, duration, '#5b3a9b'),
	].join('');
	const trendTable = table(
		'The last 30 days, per day (UTC)',
		['Day', 'Runs', 'Written', 'Errors', 'Longest run'],
		model.trend.filter((d) => d.runs > 0).map((d) => [escapeHtml(d.day), String(d.runs), String(d.written), String(d.errors), duration(d.durationMs)]),
		'No run in the last 30 days.',
	);
	const subscriptions = table(
		'Graph subscriptions of this app (push notifications)',
		['Mailbox', 'Resource', 'Expires', 'State'],
		model.subscriptions.map((s) => [escapeHtml(s.mailbox || '—'), escapeHtml(s.resource), when(s.expiresAt), `<span class="${s.state}">${s.state}</span>`]),
		'No push subscription: push sync is not running (activate the push workflow).',
	);
	const waiting = table(
		'Brake stops (until a run goes through) and the conflicts of the last 7 days, newest first',
		['Mailbox', 'When', 'What', 'Details'],
		model.waiting.map((w) => [escapeHtml(w.mailbox), when(w.at), w.kind === 'brake' ? 'Brake stop' : 'Conflict (resolved by the policy)', escapeHtml(w.text)]),
		'Nothing waits for a decision.',
	);
	const plan = model.plan
		? table('What the next run would change (a dry run, nothing was written)', ['Mailbox', 'Item', 'Change'], model.plan.map((p) => [escapeHtml(p.mailbox), escapeHtml(p.ref), escapeHtml(p.message)]), 'The next run would change nothing.')
		: options.planLink
			? `<p><a href="${escapeHtml(options.planLink)}">Show what the next run would change</a> (a dry run of the pull: it takes as long as a pull and writes nothing).</p>`
			: '';
	return [
		'<!DOCTYPE html>',
		'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
		`<title>${escapeHtml(TITLE)}</title><style>${STYLE}</style></head>`,
		`<body><main><h1>${escapeHtml(TITLE)}</h1><p class="meta">Made ${when(model.generatedAt)} from the run history (n8n Data Table) and Microsoft Graph.</p>`,
		`<section aria-label="At a glance" class="summary">${summary}</section>`,
		`<h2>Sync users</h2>${users}`,
		`<h2>Last 30 days</h2><div class="charts">${charts}</div><details><summary>The numbers</summary>${trendTable}</details>`,
		`<h2>Push subscriptions</h2>${subscriptions}`,
		`<h2>Waiting for a decision</h2>${waiting}`,
		`<h2>Next run</h2>${plan}`,
		'</main></body></html>',
	].join('\n');
}
