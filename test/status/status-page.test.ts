import { historyRow, HISTORY_COLUMNS, LINES_KEPT, worthKeeping, type HistoryRow } from '../../lib/status/history';
import { escapeHtml, renderStatusPage } from '../../lib/status/page';
import { buildStatus, TREND_DAYS, type StoredRow } from '../../lib/status/status';
import { COUNTERS, type Counter, type RunReport } from '../../lib/sync/report';

const NOW = new Date('2026-12-05T12:00:00Z');
const context = { execution: '41', workflow: 'LN ⇄ Exchange: pull sync', everyUser: true };

function report(mailbox: string, overrides: Partial<RunReport> = {}, counts: Partial<Record<Counter, number>> = {}): RunReport {
	return {
		kind: mailbox === '*' ? 'total' : 'user',
		mailbox,
		user: mailbox === '*' ? undefined : mailbox.split('@')[0].toUpperCase(),
		counts: { ...(Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>), ...counts },
		conflicts: [],
		skipped: [],
		warnings: [],
		errors: [],
		planned: [],
		requests: { ln: 3, graph: 7, byKind: {} },
		status: 'ok',
		dryRun: false,
		durationMs: 1234.4,
		startedAt: '2026-12-05T10:00:00.000Z',
		brake: [],
		...overrides,
	};
}

/** A history row as the Data Table gives it back: the row plus its system columns. */
function stored(row: HistoryRow, id: number): StoredRow {
	return { ...row, id, createdAt: row.startedAt, updatedAt: row.startedAt } as StoredRow;
}

describe('history rows', () => {
	it('keeps counts, reasons, error classes, duration and requests of a report line, one column each', () => {
		const row = historyRow(
			report('ann@contoso.com', {
				status: 'errors',
				errors: [
					{ ref: 'ACT1', class: 'permission', message: 'Access is denied' },
					{ ref: 'ACT2', class: 'transient', message: 'timed out' },
					{ ref: 'ACT3', class: 'permission', message: 'Access is denied' },
				],
				skipped: [{ ref: 'ev-9', message: 'private event' }],
				conflicts: [{ ref: 'ACT4', message: 'both changed: LN "Review" 10:00, Exchange "Review (moved)" 11:00; origin wins' }],
			}, { eventsCreated: 2, eventsUpdated: 1, contactsUnchanged: 9, flagsSet: 3, conflicts: 1 }),
			context,
		);
		expect(Object.keys(row).sort()).toEqual(HISTORY_COLUMNS.map((c) => c.name).sort());
		expect(row).toMatchObject({
			execution: '41',
			kind: 'user',
			mailbox: 'ann@contoso.com',
			lnUser: 'ANN',
			status: 'errors',
			written: 6,
			conflicts: 1,
			skipped: 1,
			errors: 3,
			errorClasses: 'permission, transient',
			durationMs: 1234,
			requestsLn: 3,
			requestsGraph: 7,
			startedAt: '2026-12-05T10:00:00.000Z',
		});
		expect(JSON.parse(row.counts)).toEqual({ eventsCreated: 2, eventsUpdated: 1, contactsUnchanged: 9, flagsSet: 3, conflicts: 1 });
		expect(JSON.parse(row.errorLines)[1]).toEqual({ ref: 'ACT2', class: 'transient', message: 'timed out' });
		expect(JSON.parse(row.conflictLines)[0].message).toContain('Review (moved)');
	});

	it('keeps the first lines of a long list, the counts exact, and no credential a message echoed', () => {
		const skipped = Array.from({ length: 50 }, (_, i) => ({ ref: `ev-${i}`, message: 'outside the window' }));
		const row = historyRow(report('bob@contoso.com', { skipped, errors: [{ ref: 'token', class: 'authentication', message: 'refused Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.abc.def' }] }), context);
		expect(row.skipped).toBe(50);
		expect(JSON.parse(row.skippedLines)).toHaveLength(LINES_KEPT);
		expect(row.errorLines).not.toContain('eyJhbGciOiJSUzI1NiJ9');
		expect(row.errorLines).toContain('Bearer ***');
	});

	it('keeps the total of a pull and the lines with something to report, not the quiet ones', () => {
		expect(worthKeeping(report('ann@contoso.com'), true)).toBe(false);
		expect(worthKeeping(report('*'), true)).toBe(true);
		expect(worthKeeping(report('ann@contoso.com', {}, { eventsCreated: 1 }), true)).toBe(true);
		expect(worthKeeping(report('ann@contoso.com', {}, { contactsUnchanged: 40, eventsUnchanged: 3 }), true)).toBe(false);
		expect(worthKeeping(report('ann@contoso.com', { skipped: [{ ref: 'ev', message: 'private' }] }), true)).toBe(false);
		expect(worthKeeping(report('ann@contoso.com', { warnings: [{ ref: 'ev', message: 'casing differs' }] }), true)).toBe(true);
		expect(worthKeeping(report('ann@contoso.com', { status: 'errors' }), true)).toBe(true);
		// A push that only saw its own echo keeps nothing; one that wrote keeps its total.
		expect(worthKeeping(report('*', {}, { eventsUnchanged: 1 }), false)).toBe(false);
		expect(worthKeeping(report('*', {}, { lnActivitiesUpdated: 1 }), false)).toBe(true);
	});

	it('refuses what is not a report line, naming the field', () => {
		expect(() => historyRow({ mailbox: 'x' } as Partial<RunReport>, context)).toThrow(/field kind must be "user" or "total"/);
		expect(() => historyRow(report('cat@contoso.com', { startedAt: 'yesterday' }), context)).toThrow('run report of cat@contoso.com: field startedAt is not a date (yesterday)');
	});
});

describe('the status model', () => {
	const run = (execution: string, at: string, reports: RunReport[], everyUser = true) =>
		reports.map((r, i) => stored(historyRow({ ...r, startedAt: at }, { ...context, execution, everyUser }), Number(execution) * 10 + i));

	const rows = [
		...run('1', '2026-11-20T08:00:00Z', [report('ann@contoso.com', {}, { eventsCreated: 4 }), report('bob@contoso.com', {}, { eventsCreated: 1 }), report('*', {}, { eventsCreated: 5 })]),
		...run('2', '2026-12-04T08:00:00Z', [
			report('ann@contoso.com', { status: 'braked', brake: ['ann@contoso.com: 9 of 10 events would be removed (more than 20 %)'] }),
			report('bob@contoso.com', { status: 'errors', errors: [{ ref: 'calendar', class: 'permission', message: 'Access is denied' }] }),
			report('*', { status: 'errors', errors: [{ ref: 'calendar', class: 'permission', message: 'Access is denied' }], durationMs: 90_000 }),
		]),
		...run('3', '2026-12-05T08:00:00Z', [
			report('ann@contoso.com', { status: 'braked', brake: ['ann@contoso.com: 9 of 10 events would be removed (more than 20 %)'], dryRun: true }),
			report('*', { dryRun: true }),
		]),
		...run('4', '2026-12-05T09:00:00Z', [
			report('bob@contoso.com', { conflicts: [{ ref: 'ACT7', message: 'both changed; LN wins' }] }, { conflicts: 1, eventsUpdated: 2 }),
			report('*', {}, { eventsUpdated: 2, conflicts: 1 }),
		], false),
	];

	const model = buildStatus({
		rows,
		syncUsers: [{ mailbox: 'Cat@contoso.com', lnUser: 'CAT' }, { mailbox: 'ann@contoso.com', lnUser: 'ANN' }],
		subscriptions: [
			{ resource: '/users/ann@contoso.com/events', expirationDateTime: '2026-12-07T12:00:00Z' },
			{ resource: '/users/bob@contoso.com/events', expirationDateTime: '2026-12-05T14:00:00Z' },
			{ resource: '/users/cat@contoso.com/events', expirationDateTime: '2026-12-05T11:00:00Z' },
		],
		now: NOW,
	});

	it('gives each user the last run, the last run without errors and the last error; dry runs do not count', () => {
		expect(model.users.map((u) => [u.mailbox, u.lastRunAt, u.lastStatus, u.lastSuccessAt, u.lastError?.at])).toEqual([
			['ann@contoso.com', '2026-12-04T08:00:00.000Z', 'braked', '2026-11-20T08:00:00.000Z', undefined],
			['bob@contoso.com', '2026-12-05T09:00:00.000Z', 'ok', '2026-12-05T09:00:00.000Z', '2026-12-04T08:00:00.000Z'],
			// A quiet user has no row of its own: the pulls that covered every user stand for it.
			['cat@contoso.com', '2026-12-04T08:00:00.000Z', 'ok', '2026-12-04T08:00:00.000Z', undefined],
		]);
		expect(model.users[1].lastError).toEqual({ at: '2026-12-04T08:00:00.000Z', classes: 'permission', message: 'calendar: Access is denied' });
		expect(model.lastRun).toMatchObject({ at: '2026-12-05T09:00:00.000Z', status: 'ok', users: 1, written: 2 });
	});

	it('counts runs, writes, errors and the longest run per day for 30 days', () => {
		expect(model.trend).toHaveLength(TREND_DAYS);
		expect(model.trend[0].day).toBe('2026-11-06');
		expect(model.trend[TREND_DAYS - 1]).toEqual({ day: '2026-12-05', runs: 1, written: 2, errors: 0, durationMs: 1234 });
		expect(model.trend.find((d) => d.day === '2026-12-04')).toEqual({ day: '2026-12-04', runs: 1, written: 0, errors: 1, durationMs: 90_000 });
		expect(model.trend.find((d) => d.day === '2026-11-20')).toMatchObject({ runs: 1, written: 5 });
	});

	it('shows each subscription with its expiry, and which expire soon or have expired', () => {
		expect(model.subscriptions.map((s) => [s.mailbox, s.state])).toEqual([
			['ann@contoso.com', 'active'],
			['bob@contoso.com', 'expiring'],
			['cat@contoso.com', 'expired'],
		]);
	});

	it("lists a brake stop while the user's latest run is stopped, and the recent conflicts", () => {
		expect(model.waiting).toEqual([
			{ mailbox: 'ann@contoso.com', at: '2026-12-04T08:00:00.000Z', kind: 'brake', text: 'ann@contoso.com: 9 of 10 events would be removed (more than 20 %)' },
			{ mailbox: 'bob@contoso.com', at: '2026-12-05T09:00:00.000Z', kind: 'conflict', text: 'ACT7: both changed; LN wins' },
		]);
		const later = buildStatus({ rows: [...rows, ...run('5', '2026-12-05T10:00:00Z', [report('ann@contoso.com'), report('*')])], now: NOW });
		expect(later.waiting.map((w) => w.kind)).toEqual(['conflict']);
	});

	it('reads rows whose numbers and flags came back as text, and shows a dry run only as the plan', () => {
		const asText = rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' || typeof v === 'boolean' ? String(v) : v])));
		expect(buildStatus({ rows: asText, now: NOW, syncUsers: [{ mailbox: 'cat@contoso.com', lnUser: 'CAT' }, { mailbox: 'ann@contoso.com', lnUser: 'ANN' }] }).users).toEqual(model.users);
		const planned = buildStatus({ rows, now: NOW, plan: [{ ...report('ann@contoso.com'), planned: [{ ref: 'ACT9', message: 'create event "Review" in ann@contoso.com' }] }, report('*')] });
		expect(planned.plan).toEqual([{ mailbox: 'ann@contoso.com', ref: 'ACT9', message: 'create event "Review" in ann@contoso.com' }]);
		expect(model.plan).toBeUndefined();
	});
});

describe('the status page', () => {
	const rows = [report('ann@contoso.com', { errors: [{ ref: '<script>alert(1)</script>', class: 'data', message: 'bad "value" & more' }], status: 'errors' }), report('*', { status: 'errors' })].map(
		(r, i) => stored(historyRow(r, context), i),
	);
	const html = renderStatusPage(buildStatus({ rows, subscriptions: [], now: NOW }), { planLink: '?plan=1' });

	it('is one self-contained document: no script, no external asset, charts as inline SVG', () => {
		expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
		expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
		expect(html).not.toMatch(/https?:\/\//);
		expect(html.match(/<svg /g)).toHaveLength(4);
		expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
	});

	it('escapes what came from the systems', () => {
		expect(html).toContain(escapeHtml('<script>alert(1)</script>'));
		expect(html).toContain('bad &quot;value&quot; &amp; more');
		expect(escapeHtml(`<a href='x'>`)).toBe('&lt;a href=&#39;x&#39;&gt;');
	});

	it('has tables with headers and captions, each chart named for screen readers, and the link to the plan', () => {
		expect(html).toContain('<th scope="col">Mailbox</th>');
		expect(html).toContain('<th scope="row">ann@contoso.com</th>');
		expect(html.match(/<caption>/g)).toHaveLength(2);
		expect(html.match(/role="img" aria-labelledby="/g)).toHaveLength(4);
		expect(html).toContain('<figcaption id="runs-per-day">Runs per day — highest 1 run</figcaption>');
		expect(html).toContain('<svg viewBox="0 0 600 120" role="img" aria-labelledby="runs-per-day"');
		expect(html).toContain('<a href="?plan=1">');
		expect(html).toContain('No push subscription');
	});
});
