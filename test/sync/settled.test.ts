import { LeasedStateStore, parseMailboxState, workflowStateStore } from '../../lib/graph/sync-state';
import type { ActivityPlanItem, EventPlan } from '../../lib/sync/event-plan';
import { settledDigest, settledMarkOf, type SettledInputs, type SettledMark } from '../../lib/sync/settled';
import { activity, LINK_KEY, NOW, USERS } from './builders';

const [a1, a2] = [activity({ id: 'A1' }), activity({ id: 'A2', subject: 'Second' })];
const inputs = (extra: Partial<SettledInputs> = {}): SettledInputs => ({
	mailbox: 'ann@contoso.com',
	company: '100',
	activities: [a1, a2],
	syncUsers: USERS,
	now: NOW,
	options: { horizonDays: 365, policy: 'originWins', timeZone: 'UTC', brakeShare: 0.2, brakeMinimum: 5 },
	linkKey: LINK_KEY,
	...extra,
});

const item = (extra: Partial<ActivityPlanItem> = {}): ActivityPlanItem => ({
	company: '100',
	activity: 'A1',
	mailbox: 'ann@contoso.com',
	action: 'unchanged',
	exchange: [],
	lines: [],
	flags: [],
	attendance: [],
	seriesLinks: [],
	warnings: [],
	...extra,
});
const plan = (extra: Partial<EventPlan> = {}): EventPlan => ({ mailbox: 'ann@contoso.com', presenceNeeded: [], items: [], ...extra });
const nobody = { again: [], waitingFor: [] };

describe('settled calendars (settled.ts)', () => {
	it('digests what the plan is made from, not when LN was read or in which order', () => {
		const digest = settledDigest(inputs());
		expect(settledDigest(inputs({ activities: [{ ...a2, readAt: '2026-11-23T10:05:00Z' }, { ...a1, readAt: '2026-11-23T10:05:00Z' }] }))).toBe(digest);
		expect(settledDigest(inputs({ now: NOW.plus({ hours: 3 }) }))).toBe(digest);
		const changed: Array<Partial<SettledInputs>> = [
			{ activities: [a1, { ...a2, location: 'Elsewhere' }] },
			{ activities: [a1, { ...a2, attendees: a2.attendees.map((l, i) => (i === 1 ? { ...l, synchronized: !l.synchronized } : l)) }] },
			{ activities: [a1] },
			{ syncUsers: USERS.slice(1) },
			{ now: NOW.plus({ days: 1 }) },
			{ options: { ...inputs().options, policy: 'lnWins' } },
			{ linkKey: Buffer.from('another secret') },
			{ mailbox: 'bob@contoso.com' },
			{ company: '200' },
		];
		for (const extra of changed) expect(settledDigest(inputs(extra))).not.toBe(digest);
	});

	it('settles a plan that wrote nothing and left nothing for later, with the lines it gave', () => {
		const items = [
			item({ activity: 'A1', warnings: ['a warning'] }),
			item({ activity: 'A2', action: 'skip', reason: 'past event: never changed' }),
			item({ activity: 'A3' }),
		];
		expect(settledMarkOf('d', plan(), items, nobody)).toEqual({
			digest: 'd',
			unchanged: 2,
			skipped: [{ ref: 'activity A2', message: 'past event: never changed' }],
			warnings: [{ ref: 'activity A1', message: 'a warning' }],
		});
		const unsettled: Array<[string, Partial<ActivityPlanItem>]> = [
			['an Exchange write', { action: 'update', exchange: [{ op: 'patch', eventId: 'e', body: {} }] }],
			['an LN update', { update: { activity: 'A1', fields: { subject: 'x' } } }],
			['a flag', { flags: [{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: true }] }],
			['a response', { attendance: [{ activity: 'A1', sequence: 2, status: 'Accepted' }] }],
			['a series link', { seriesLinks: [{ masterId: 'm', eventId: 'e', iCalUId: 'u', hash: 'h' }] }],
			['a conflict', { conflict: { policy: 'originWins', winner: 'ln' } }],
			['a provisional skip', { action: 'skip', reason: 'linked while this run read LN; checked on the next run', provisional: true }],
			['a read in LN', { action: 'verify' }],
			['a failure', { action: 'fail', reason: 'broken' }],
		];
		for (const [what, extra] of unsettled) expect([what, settledMarkOf('d', plan(), [...items, item(extra)], nobody)]).toEqual([what, undefined]);
		const many = Array.from({ length: 250 }, (_, i) => item({ activity: `P${i}`, action: 'skip', reason: 'past event: never changed', warnings: ['w'] }));
		const capped = settledMarkOf('d', plan(), many, nobody);
		expect([capped?.skipped.length, capped?.warnings.length]).toEqual([200, 200]);
		expect(settledMarkOf('d', plan({ brake: { removals: 5, linked: 10, share: 0.2 } }), items, nobody)).toBeUndefined();
		expect(settledMarkOf('d', plan({ presenceNeeded: ['uid'] }), items, nobody)).toBeUndefined();
		expect(settledMarkOf('d', plan(), items, { again: ['bob@contoso.com'], waitingFor: [] })).toBeUndefined();
		expect(settledMarkOf('d', plan(), items, { again: [], waitingFor: ['bob@contoso.com'] })).toBeUndefined();
	});

	it('keeps the mark with the mailbox state, in the Data Table row and in static data alike', () => {
		const mark: SettledMark = { digest: 'd', unchanged: 3, skipped: [{ ref: 'activity A2', message: 'why' }], warnings: [] };
		const leased = new LeasedStateStore();
		leased.load('Ann@contoso.com', '');
		leased.setSettled('ann@contoso.com', '100', mark);
		expect(leased.settled('ANN@contoso.com', '100')).toEqual(mark);
		expect(leased.settled('ann@contoso.com', '200')).toBeUndefined();
		const reloaded = new LeasedStateStore();
		reloaded.load('ann@contoso.com', leased.stateText('ann@contoso.com'));
		expect(reloaded.settled('ann@contoso.com', '100')).toEqual(mark);
		reloaded.setSettled('ann@contoso.com', '100', undefined);
		expect(JSON.parse(reloaded.stateText('ann@contoso.com'))).toEqual({ cursors: {}, echoes: {} });
		// A mailbox this execution holds no lease for keeps no mark.
		leased.setSettled('bob@contoso.com', '100', mark);
		expect(leased.settled('bob@contoso.com', '100')).toBeUndefined();

		const global: Record<string, unknown> = {};
		const store = workflowStateStore(global);
		store.setSettled('Ann@contoso.com', '100', mark);
		expect(workflowStateStore(global).settled('ann@contoso.com', '100')).toEqual(mark);
		store.setSettled('ann@contoso.com', '100', undefined);
		expect(store.settled('ann@contoso.com', '100')).toBeUndefined();
	});

	it('drops a mark in a row that is not one (the calendar is then planned in full)', () => {
		const good: SettledMark = { digest: 'd', unchanged: 1, skipped: [], warnings: [] };
		const { value, problem } = parseMailboxState(JSON.stringify({ cursors: {}, echoes: {}, settled: { '100': good, '200': { digest: 5 }, '300': { ...good, skipped: [{ ref: 1 }] } } }));
		expect(problem).toBeUndefined();
		expect(value.settled).toEqual({ '100': good });
		expect(parseMailboxState(JSON.stringify({ cursors: {}, echoes: {}, settled: 'x' })).value.settled).toBeUndefined();
	});
});
