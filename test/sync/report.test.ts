import {
	buildReports,
	COUNTERS,
	dropLedger,
	emptyMailboxReport,
	ledgerFor,
	mergeInto,
	RunLedger,
	type RunReport,
} from '../../lib/sync/report';

const T0 = Date.parse('2026-11-23T10:00:00Z');

afterEach(() => {
	jest.useRealTimers();
});

function ledgerAt(time: number): RunLedger {
	jest.useFakeTimers({ now: time });
	const ledger = new RunLedger();
	jest.useRealTimers();
	return ledger;
}

describe('the run ledger', () => {
	it('counts per mailbox, without regard to case', () => {
		const ledger = new RunLedger();
		ledger.count('Ann@Contoso.com', 'eventsCreated');
		ledger.count('ann@contoso.com', 'eventsCreated', 2);
		ledger.count('bob@contoso.com', 'contactsRemoved');
		expect(ledger.all().map((r) => [r.mailbox, r.counts.eventsCreated, r.counts.contactsRemoved])).toEqual([
			['ann@contoso.com', 3, 0],
			['bob@contoso.com', 0, 1],
		]);
	});

	it('keeps skipped items, warnings, errors with their class, conflicts (counted) and planned changes', () => {
		const ledger = new RunLedger();
		ledger.skip('ann@contoso.com', 'event E1', 'private');
		ledger.warn('ann@contoso.com', 'contact C1', 'phone has no digits');
		ledger.error('ann@contoso.com', 'mailbox', 'permission', 'ErrorAccessDenied');
		ledger.conflict('ann@contoso.com', 'activity A1', 'both changed; LN wins');
		expect(ledger.dryRun).toBe(false);
		ledger.plan('ann@contoso.com', 'activity A2', 'would create');
		const [report] = ledger.all();
		expect(report.skipped).toEqual([{ ref: 'event E1', message: 'private' }]);
		expect(report.warnings).toEqual([{ ref: 'contact C1', message: 'phone has no digits' }]);
		expect(report.errors).toEqual([{ ref: 'mailbox', message: 'ErrorAccessDenied', class: 'permission' }]);
		expect(report.conflicts).toEqual([{ ref: 'activity A1', message: 'both changed; LN wins' }]);
		expect(report.counts.conflicts).toBe(1);
		expect(report.planned).toEqual([{ ref: 'activity A2', message: 'would create' }]);
		expect(ledger.dryRun).toBe(true);
	});

	it('counts requests per service and kind, and work of no mailbox under ""', () => {
		const ledger = new RunLedger();
		ledger.request('ln', 'GET Contacts');
		ledger.request('ln', 'GET Contacts');
		ledger.request('graph', 'POST events', 'ann@contoso.com');
		expect(ledger.for(undefined).requests).toEqual({ ln: 2, graph: 0, byKind: { 'LN GET Contacts': 2 } });
		expect(ledger.for('ann@contoso.com').requests).toEqual({ ln: 0, graph: 1, byKind: { 'Graph POST events': 1 } });
		expect(ledger.all().map((r) => r.mailbox)).toEqual(['', 'ann@contoso.com']);
	});

	it('keeps at most 200 details per list, while counts stay exact', () => {
		const ledger = new RunLedger();
		for (let i = 0; i < 250; i++) ledger.conflict('ann@contoso.com', `activity ${i}`, 'conflict');
		const [report] = ledger.all();
		expect(report.conflicts).toHaveLength(200);
		expect(report.conflicts[199].ref).toBe('activity 199');
		expect(report.counts.conflicts).toBe(250);
	});

	it('is one per execution until dropped, and forgotten after six idle hours', () => {
		jest.useFakeTimers({ now: T0 });
		const first = ledgerFor('exec-1');
		expect(ledgerFor('exec-1')).toBe(first);
		expect(ledgerFor('exec-2')).not.toBe(first);
		dropLedger('exec-2');
		const other = ledgerFor('exec-2');
		ledgerFor('exec-2');
		expect(ledgerFor('exec-2')).toBe(other);
		jest.setSystemTime(T0 + 5 * 60 * 60 * 1000);
		ledgerFor('exec-2').count('x@y.com', 'flagsSet');
		jest.setSystemTime(T0 + 6 * 60 * 60 * 1000 + 1);
		// exec-1 idle for more than six hours: gone; exec-2 was touched an hour ago: kept
		expect(ledgerFor('exec-2')).toBe(other);
		expect(ledgerFor('exec-1')).not.toBe(first);
		dropLedger('exec-1');
		dropLedger('exec-2');
	});
});

describe('merging reports', () => {
	it('adds counts, lists and requests', () => {
		const target = emptyMailboxReport('ann@contoso.com');
		const source = emptyMailboxReport('ann@contoso.com');
		target.counts.eventsCreated = 2;
		source.counts.eventsCreated = 3;
		source.counts.flagsSet = 4;
		source.warnings.push({ ref: 'r', message: 'm' });
		source.errors.push({ ref: 'e', message: 'boom', class: 'transient' });
		target.requests = { ln: 1, graph: 2, byKind: { 'Graph GET events': 2 } };
		source.requests = { ln: 5, graph: 1, byKind: { 'Graph GET events': 1, 'LN PATCH Attendees': 5 } };
		mergeInto(target, source);
		expect(target.counts.eventsCreated).toBe(5);
		expect(target.counts.flagsSet).toBe(4);
		expect(target.warnings).toEqual([{ ref: 'r', message: 'm' }]);
		expect(target.errors).toEqual([{ ref: 'e', message: 'boom', class: 'transient' }]);
		expect(target.requests).toEqual({ ln: 6, graph: 3, byKind: { 'Graph GET events': 3, 'LN PATCH Attendees': 5 } });
	});

	it('starts every counter at zero', () => {
		const report = emptyMailboxReport('x');
		expect(Object.keys(report.counts)).toEqual([...COUNTERS]);
		expect(Object.values(report.counts).every((n) => n === 0)).toBe(true);
	});
});

describe('building the run report (SPEC §7)', () => {
	const users = [
		{ mailbox: 'Bob@Contoso.com', user: 'bob' },
		{ mailbox: 'ann@contoso.com', user: 'ann' },
		{ mailbox: 'cat@contoso.com', user: 'cat' },
	];

	function sampleLedger(): RunLedger {
		const ledger = ledgerAt(T0);
		ledger.count('ann@contoso.com', 'eventsCreated', 2);
		ledger.count('bob@contoso.com', 'eventsCreated', 1);
		ledger.count('bob@contoso.com', 'contactsUpdated', 4);
		ledger.warn('bob@contoso.com', 'contact C1', 'cut');
		ledger.error('cat@contoso.com', 'mailbox', 'permission', 'ErrorAccessDenied');
		ledger.warn('cat@contoso.com', 'x', 'y');
		ledger.request('ln', 'GET Contacts');
		ledger.request('graph', 'POST events', 'ann@contoso.com');
		ledger.count(undefined, 'lnAppointmentsCreated');
		return ledger;
	}

	it('names on the total who failed with which kinds of error, and errors of no user; nothing when all went well', () => {
		const ledger = sampleLedger();
		ledger.error('cat@contoso.com', 'activity A1', 'transient', '503');
		ledger.error('cat@contoso.com', 'activity A2', 'transient', '503');
		ledger.error(undefined, 'sync users', 'data', 'E009 has no e-mail');
		const total = buildReports(ledger, [], users, { includeTotal: true, now: T0 }).find((r) => r.kind === 'total')!;
		expect(total.failures).toBe('1 of 3 sync users failed: cat@contoso.com (permission, transient ×2). 1 error outside any user (data): E009 has no e-mail');
		const clean = ledgerAt(T0);
		clean.count('ann@contoso.com', 'eventsCreated');
		expect(buildReports(clean, [], users, { includeTotal: true, now: T0 }).find((r) => r.kind === 'total')!.failures).toBeUndefined();
	});

	it('gives one item per sync user, sorted, with statuses, and a total', () => {
		const reports = buildReports(sampleLedger(), [], users, { includeTotal: true, now: T0 + 1500 });
		expect(reports.map((r) => [r.kind, r.mailbox, r.user, r.status])).toEqual([
			['user', 'ann@contoso.com', 'ann', 'ok'],
			['user', 'bob@contoso.com', 'bob', 'warnings'],
			['user', 'cat@contoso.com', 'cat', 'errors'],
			['total', '*', undefined, 'errors'],
		]);
		const total = reports[3];
		expect(total.users).toBe(3);
		expect(total.counts.eventsCreated).toBe(3);
		expect(total.counts.contactsUpdated).toBe(4);
		// work of no mailbox counts in the total only
		expect(total.counts.lnAppointmentsCreated).toBe(1);
		expect(reports.slice(0, 3).map((r) => r.counts.lnAppointmentsCreated)).toEqual([0, 0, 0]);
		expect(total.requests).toEqual({ ln: 1, graph: 1, byKind: { 'LN GET Contacts': 1, 'Graph POST events': 1 } });
		expect(total.errors).toEqual([{ ref: 'mailbox', message: 'ErrorAccessDenied', class: 'permission' }]);
		expect(total.warnings).toHaveLength(2);
		for (const report of reports) {
			expect(report.durationMs).toBe(1500);
			expect(report.startedAt).toBe('2026-11-23T10:00:00.000Z');
			expect(report.dryRun).toBe(false);
		}
	});

	it('lists a sync user with nothing to do as ok with zero counts', () => {
		const reports = buildReports(ledgerAt(T0), [], [{ mailbox: 'dan@contoso.com', user: 'dan' }], { includeTotal: true, now: T0 });
		expect(reports[0]).toMatchObject({ kind: 'user', mailbox: 'dan@contoso.com', user: 'dan', status: 'ok', brake: [] });
		expect(Object.values(reports[0].counts).every((n) => n === 0)).toBe(true);
		expect(reports[1]).toMatchObject({ kind: 'total', status: 'ok', users: 1, brake: [] });
	});

	it('leaves the total out when asked to', () => {
		const reports = buildReports(sampleLedger(), [], users, { includeTotal: false, now: T0 });
		expect(reports.map((r) => r.kind)).toEqual(['user', 'user', 'user']);
	});

	it('marks braked users and the total as braked, above errors', () => {
		const ledger = sampleLedger();
		ledger.brakes.push('cat@contoso.com: 9 of 10 linked future events would be cancelled');
		const reports = buildReports(ledger, [], users, { includeTotal: true, now: T0 });
		expect(reports.map((r) => r.status)).toEqual(['ok', 'warnings', 'braked', 'braked']);
		expect(reports[2].brake).toEqual(['cat@contoso.com: 9 of 10 linked future events would be cancelled']);
		expect(reports[0].brake).toEqual([]);
		expect(reports[3].brake).toEqual(['cat@contoso.com: 9 of 10 linked future events would be cancelled']);
	});

	it('adds the reports of per-user sub-executions, ignoring their totals', () => {
		const ledger = ledgerAt(T0);
		const sub = emptyMailboxReport('ann@contoso.com');
		sub.counts.eventsUpdated = 7;
		sub.skipped.push({ ref: 'event E9', message: 'private' });
		const incoming: Array<Partial<RunReport>> = [
			{ ...sub, kind: 'user', user: 'ann', status: 'ok', dryRun: true, startedAt: new Date(T0 - 60_000).toISOString(), brake: ['ann@contoso.com: contact removals stopped'] },
			{ ...emptyMailboxReport(''), mailbox: '*', kind: 'total', counts: { ...sub.counts, eventsUpdated: 1000 } },
			{ mailbox: 'broken@contoso.com' },
		];
		const reports = buildReports(ledger, incoming, [{ mailbox: 'ann@contoso.com', user: 'ann' }], { includeTotal: true, now: T0 + 1000 });
		expect(reports.map((r) => [r.kind, r.mailbox])).toEqual([['user', 'ann@contoso.com'], ['total', '*']]);
		const [ann, total] = reports;
		expect(ann.counts.eventsUpdated).toBe(7);
		expect(ann.skipped).toEqual([{ ref: 'event E9', message: 'private' }]);
		expect(ann.status).toBe('braked');
		expect(total.counts.eventsUpdated).toBe(7);
		expect(total.dryRun).toBe(true);
		// the total runs from the earliest start
		expect(total.startedAt).toBe(new Date(T0 - 60_000).toISOString());
		expect(total.durationMs).toBe(61_000);
	});

	it("keeps each user's own duration from their sub-execution; users without one get the run's", () => {
		const ledger = ledgerAt(T0);
		const ann = { ...emptyMailboxReport('Ann@contoso.com'), kind: 'user' as const, startedAt: new Date(T0 + 200).toISOString(), durationMs: 2500 };
		const reports = buildReports(ledger, [ann], [{ mailbox: 'ann@contoso.com' }, { mailbox: 'bob@contoso.com' }], { includeTotal: true, now: T0 + 9000 });
		expect(reports.map((r) => [r.mailbox, r.startedAt, r.durationMs])).toEqual([
			['ann@contoso.com', new Date(T0 + 200).toISOString(), 2500],
			['bob@contoso.com', new Date(T0).toISOString(), 9000],
			['*', new Date(T0).toISOString(), 9000],
		]);
	});

	it('merges reports of one mailbox arriving in different cases and from both ledger and input', () => {
		const ledger = ledgerAt(T0);
		ledger.count('ann@contoso.com', 'flagsSet', 2);
		const sub = { ...emptyMailboxReport('ANN@contoso.com'), kind: 'user' as const };
		sub.counts.flagsSet = 3;
		const reports = buildReports(ledger, [sub], [], { includeTotal: true, now: T0 });
		expect(reports.map((r) => [r.mailbox, r.counts.flagsSet])).toEqual([
			['ann@contoso.com', 5],
			['*', 5],
		]);
		expect(reports[1].users).toBe(1);
	});

	it('does not change the ledger it reads', () => {
		const ledger = sampleLedger();
		buildReports(ledger, [], users, { includeTotal: true, now: T0 });
		buildReports(ledger, [], users, { includeTotal: true, now: T0 });
		expect(ledger.for('ann@contoso.com').counts.eventsCreated).toBe(2);
		expect(buildReports(ledger, [], users, { includeTotal: true, now: T0 })[3].counts.eventsCreated).toBe(3);
	});
});
