import { planAppointment } from '../../lib/sync/appointment-plan';
import { planExchangeChanges, type EventWithProps, type ExchangeSnapshot } from '../../lib/sync/exchange-plan';
import { attendeeFlags } from '../../lib/sync/flags';
import { guardFailure } from '../../lib/sync/guard';
import { signLink } from '../../lib/sync/link';
import { SyncUserIndex } from '../../lib/sync/sync-users';
import { activity, attendee, employee, LINK_KEY, NOW, USERS } from './builders';

const at = (days: number, hour = 10) => ({ dateTime: NOW.plus({ days }).set({ hour }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' });

function event(partial: Partial<EventWithProps> = {}): EventWithProps {
	return {
		id: 'ev-1',
		iCalUId: 'uid-1',
		subject: 'Workshop',
		start: at(3),
		end: at(3, 11),
		isOrganizer: true,
		organizer: { emailAddress: { address: 'ann@contoso.com' } },
		attendees: [{ emailAddress: { address: 'bob@contoso.com' }, type: 'required', status: { response: 'none' } }, { emailAddress: { address: 'walter@elsewhere.org' }, type: 'optional', status: { response: 'none' } }],
		type: 'singleInstance',
		...partial,
	} as EventWithProps;
}

function snapshot(items: EventWithProps[], extra: Partial<ExchangeSnapshot> = {}): ExchangeSnapshot {
	return {
		mailbox: 'ann@contoso.com',
		company: '100',
		syncUsers: new SyncUserIndex(USERS),
		now: NOW,
		allowPrivate: false,
		occurrenceCap: 100,
		linkKey: LINK_KEY,
		items,
		echoes: [],
		linked: new Map(),
		series: new Map(),
		...extra,
	};
}

describe('Exchange changes for LN (pure)', () => {
	it('a new meeting becomes one LN appointment, made from its organizer\'s calendar only', () => {
		const [change] = planExchangeChanges(snapshot([event()])).changes;
		expect(change).toMatchObject({ action: 'createInLn', owner: 'ann@contoso.com', company: '100' });
		expect(change.appointment?.attendees.map((a) => `${a.role}:${a.email}:${a.invite}`)).toEqual([
			'MeetingOrganizer:ann@contoso.com:false',
			'Required:bob@contoso.com:true',
			'Optional:walter@elsewhere.org:true',
		]);
		const bobsCopy = event({ id: 'bob-copy', isOrganizer: false });
		expect(planExchangeChanges(snapshot([bobsCopy], { mailbox: 'bob@contoso.com' })).changes[0]).toMatchObject({ action: 'skip', reason: expect.stringMatching(/calendar of ann@contoso.com/) });
	});

	it("a meeting from outside the sync users is the first sync-user attendee's by address, unless her calendar lacks it", () => {
		const fromZoe = (id: string) =>
			event({ id, iCalUId: `uid-${id}`, isOrganizer: false, organizer: { emailAddress: { address: 'zoe@elsewhere.org' } }, attendees: ['cat@contoso.com', 'ann@contoso.com', 'bob@contoso.com'].map((address) => ({ emailAddress: { address }, type: 'required' as const, status: { response: 'none' as const } })) });
		const cats = snapshot([fromZoe('m1')], { mailbox: 'cat@contoso.com' });
		const first = planExchangeChanges(cats);
		expect(first.changes[0]).toMatchObject({ action: 'skip', owner: 'ann@contoso.com' });
		expect(first.lookups).toEqual([{ mailbox: 'ann@contoso.com', iCalUId: 'uid-m1' }]);
		// Ann holds it: hers, and nothing more to look up.
		cats.heldElsewhere = new Map([['uid-m1', new Map([['ann@contoso.com', true]])]]);
		expect(planExchangeChanges(cats)).toMatchObject({ changes: [{ action: 'skip', owner: 'ann@contoso.com' }], lookups: [] });
		// Ann declined or deleted it: Bob is next by address, and then Cat, who makes it with Ann's and Bob's lines not in their calendars.
		cats.heldElsewhere = new Map([['uid-m1', new Map([['ann@contoso.com', false]])]]);
		expect(planExchangeChanges(cats)).toMatchObject({ changes: [{ action: 'skip', owner: 'bob@contoso.com' }], lookups: [{ mailbox: 'bob@contoso.com', iCalUId: 'uid-m1' }] });
		cats.heldElsewhere.get('uid-m1')!.set('bob@contoso.com', false);
		const last = planExchangeChanges(cats);
		expect(last).toMatchObject({ changes: [{ action: 'createInLn', owner: 'cat@contoso.com' }], lookups: [] });
		expect(last.changes[0].appointment?.attendees.filter((a) => a.notInCalendar).map((a) => a.email)).toEqual(['ann@contoso.com', 'bob@contoso.com']);
		// A sync user's own meeting is never looked up elsewhere: her copy is the meeting.
		const bobsCopy = event({ id: 'bob-copy', isOrganizer: false });
		expect(planExchangeChanges(snapshot([bobsCopy], { mailbox: 'bob@contoso.com' })).lookups).toEqual([]);
	});

	it('skips past, private and cancelled events with their reason, and echoes of our own writes', () => {
		const result = planExchangeChanges(
			snapshot([event({ id: 'past', start: at(-2), end: at(-2, 11) }), event({ id: 'private', sensitivity: 'private' }), event({ id: 'cancelled', isCancelled: true })], { echoes: [event({ id: 'ours' })] }),
		);
		expect(result.changes.map((c) => `${c.eventId}:${c.action}:${c.reason}`)).toEqual([
			'ours:none:an echo of our own write',
			'past:skip:past event: never synchronized',
			'private:skip:a private event: skipped (private events are off)',
			'cancelled:skip:cancelled in Exchange',
		]);
	});

	it('occurrence changes go to LN only through the LN check of the activity (guard), signed or not', () => {
		const master = event({ id: 'master', type: 'seriesMaster', iCalUId: 'uid-series' });
		const occurrence = event({ id: 'occ-1', type: 'occurrence', seriesMasterId: 'master', iCalUId: 'uid-occ-1', subject: 'Moved' });
		const signature = signLink(LINK_KEY, { company: '100', activity: 'A9', mailbox: 'ann@contoso.com', iCalUId: 'uid-occ-1' });
		const series = new Map([['master', { master, instances: new Map([['occ-1', occurrence]]), links: [{ iCalUId: 'uid-occ-1', eventId: 'occ-1', activity: 'A9', hash: 'old', signature }] }]]);
		const [changed] = planExchangeChanges(snapshot([occurrence], { series })).changes;
		expect(changed).toMatchObject({ action: 'updateLn', activity: 'A9', update: { activity: 'A9', guard: { mailbox: 'ann@contoso.com', iCalUId: 'uid-occ-1', scope: 'activity' } } });
		const [removed] = planExchangeChanges(snapshot([{ id: 'occ-1', '@removed': { reason: 'deleted' } }], { series })).changes;
		expect(removed).toMatchObject({ action: 'cancelInLn', update: { fields: { status: 'Cancelled' }, guard: { iCalUId: 'uid-occ-1' } } });
	});

	it('a linked occurrence that left the window is read again and its appointment follows the move', () => {
		const master = event({ id: 'master', type: 'seriesMaster', iCalUId: 'uid-series' });
		const series = new Map([['master', { master, instances: new Map(), links: [{ iCalUId: 'uid-occ-1', eventId: 'occ-1', activity: 'A9', hash: 'old' }] }]]);
		const left = snapshot([{ id: 'occ-1', '@removed': { reason: 'changed' } }], { series });
		const first = planExchangeChanges(left);
		expect(first.reread).toEqual(['occ-1']);
		left.moved = new Map([['occ-1', event({ id: 'occ-1', type: 'exception', seriesMasterId: 'master', iCalUId: 'uid-occ-1', start: at(-1), end: at(-1, 11) })]]);
		const [moved] = planExchangeChanges(left).changes;
		expect(moved).toMatchObject({ action: 'updateLn', activity: 'A9' });
		expect(moved.update?.fields).toMatchObject({ start: expect.stringMatching(/^2026-11-22T/) });
	});
});

describe('linked occurrences a full read did not return', () => {
	const master = event({ id: 'master', type: 'seriesMaster', iCalUId: 'uid-series' });
	const series = () => new Map([['master', { master, instances: new Map(), links: [{ iCalUId: 'uid-occ-1', eventId: 'occ-1', activity: 'A9', hash: 'old' }] }]]);

	it('are read once: one gone from Exchange cancels its appointment', () => {
		const missing = snapshot([{ id: 'occ-1', '@removed': { reason: 'missing' } }], { series: series() });
		expect(planExchangeChanges(missing).reread).toEqual(['occ-1']);
		missing.moved = new Map([['occ-1', null]]);
		const [gone] = planExchangeChanges(missing).changes;
		expect(gone).toMatchObject({ action: 'cancelInLn', activity: 'A9', removedReason: 'deleted', update: { fields: { status: 'Cancelled' } } });
	});

	it('while one that only left the window (a delta "changed" removal) and is gone is no deletion', () => {
		const left = snapshot([{ id: 'occ-1', '@removed': { reason: 'changed' } }], { series: series(), moved: new Map([['occ-1', null]]) });
		expect(planExchangeChanges(left).changes[0]).toMatchObject({ action: 'none', removedReason: 'changed' });
	});
});

describe('LN appointments for Exchange meetings (pure)', () => {
	const payload = (attendees: Array<{ email: string; role: 'Required' | 'Optional' | 'Resource' | 'MeetingOrganizer'; invite: boolean; notInCalendar?: boolean }>, mailbox = 'ann@contoso.com') => ({
		subject: 'Workshop', start: '2026-11-26T10:00:00Z', end: '2026-11-26T11:00:00Z', allDay: false, location: '', text: '', showTimeAs: 'Busy', reminder: false, reminderMinutes: 0,
		sensitivity: 'Normal', reference: 'uid-1', mailbox, attendees: attendees.map((a) => ({ status: 'None', ...a })),
	});

	it('the organizer who is a sync user is the Meeting Organizer, Sent and Synchronized; Synchronize needs an invitee', () => {
		const meeting = planAppointment(payload([{ email: 'ann@contoso.com', role: 'MeetingOrganizer', invite: false }, { email: 'bob@contoso.com', role: 'Required', invite: true }, { email: 'walter@elsewhere.org', role: 'Optional', invite: true }]), USERS, new Map());
		expect(meeting.fields.synchronize).toBe(true);
		expect(meeting.attendees.map((a) => `${a.role}:${a.type}:${a.code ?? ''}:${a.invite}:${a.sentToSynchronizer}:${a.synchronized}`)).toEqual([
			'MeetingOrganizer:Employee:E001:false:true:true',
			'Required:Employee:E002:true:true:true',
			'Optional:Other::true:true:true',
		]);
		const solo = planAppointment(payload([{ email: 'ann@contoso.com', role: 'MeetingOrganizer', invite: false }]), USERS, new Map());
		expect(solo.fields.synchronize).toBe(false);
		expect(solo.warnings).toEqual([]);
	});

	it('an organizer outside the sync users is recorded, not invited, and said so; only invited sync users are in scope', () => {
		const outside = planAppointment(
			payload([{ email: 'zoe@contoso.com', role: 'MeetingOrganizer', invite: false }, { email: 'ann@contoso.com', role: 'Required', invite: true }, { email: 'bob@contoso.com', role: 'Required', invite: true, notInCalendar: true }, { email: 'walter@elsewhere.org', role: 'Required', invite: true }]),
			USERS,
			new Map(),
		);
		expect(outside.fields.synchronize).toBe(false);
		expect(outside.attendees.map((a) => `${a.role}:${a.type}:${a.email}:${a.invite}:${a.sentToSynchronizer}:${a.synchronized}`)).toEqual([
			'Required:Other:zoe@contoso.com:false:false:false',
			'Required:Employee:ann@contoso.com:true:true:true',
			'Required:Employee:bob@contoso.com:true:true:false',
			'Required:Other:walter@elsewhere.org:true:false:false',
		]);
		expect(outside.warnings).toEqual([expect.stringMatching(/organized by zoe@contoso.com, who is not a sync user: .* keeps Synchronize No; the appointment follows the meeting/)]);
	});
});

describe('the flag rule and the LN check of links', () => {
	it('Sent when the synchronizer takes the event; Synchronized only while it also exists', () => {
		expect(attendeeFlags({ inScope: true, exists: true })).toEqual({ sentToSynchronizer: true, synchronized: true });
		expect(attendeeFlags({ inScope: true, exists: false })).toEqual({ sentToSynchronizer: true, synchronized: false });
		expect(attendeeFlags({ inScope: false, exists: true })).toEqual({ sentToSynchronizer: false, synchronized: false });
	});

	it('lets an Exchange item change only an activity its mailbox takes part in, that refers to it, and that is not past', () => {
		const users = new SyncUserIndex(USERS);
		const source = activity({ reference: 'uid-A1' });
		expect(guardFailure(source, { mailbox: 'ann@contoso.com', iCalUId: 'uid-A1', scope: 'activity' }, users)).toBeUndefined();
		expect(guardFailure(source, { mailbox: 'bob@contoso.com', iCalUId: 'uid-A1', scope: 'activity' }, users)).toBeUndefined();
		expect(guardFailure(source, { mailbox: 'cat@contoso.com', iCalUId: 'uid-A1', scope: 'activity' }, users)).toMatch(/neither the meeting organizer nor an invited attendee/);
		expect(guardFailure(source, { mailbox: 'ann@contoso.com', iCalUId: 'uid-other', scope: 'activity' }, users)).toMatch(/refers to Exchange item uid-A1, not to the item uid-other/);
		expect(guardFailure(source, { mailbox: 'ann@contoso.com', iCalUId: 'uid-other', scope: 'ownLine' }, users)).toBeUndefined();
		expect(guardFailure(source, { mailbox: 'zoe@contoso.com', scope: 'ownLine' }, users)).toMatch(/not an active sync user/);
		const notInvited = activity({ attendees: [employee('E001', 'ann@contoso.com', 'MeetingOrganizer'), employee('E002', 'bob@contoso.com', 'Required', { invite: false }), attendee({ role: 'Required', email: 'x@y.org' })] });
		expect(guardFailure(notInvited, { mailbox: 'bob@contoso.com', scope: 'ownLine' }, users)).toMatch(/neither/);
		expect(guardFailure(source, { mailbox: 'ann@contoso.com', iCalUId: 'uid-A1', scope: 'activity' }, users, NOW.plus({ days: 10 }))).toMatch(/is in the past: never changed/);
	});
});

