import { canonicalFromEvent, syncHash } from '../../lib/sync/canonical';
import { attendeeChanges, isDeleted, planActivitySync, type EventPlan, type EventPlanOptions, type EventPlanInput } from '../../lib/sync/event-plan';
import type { LnActivity } from '../../lib/sync/model';
import { mailboxesToCheckAgain, settleActivityPlan } from '../../lib/sync/settle';
import { decodeState, LN_KEY_PROPERTY, LN_STATE_PROPERTY, signLink } from '../../lib/sync/link';
import { SyncUserIndex } from '../../lib/sync/sync-users';
import { activity, attendee, employee, eventFor, LINK_KEY, NOW, USERS } from './builders';

const options: EventPlanOptions = {
	now: NOW,
	horizonDays: 365,
	policy: 'originWins',
	timeZone: 'Europe/Berlin',
	brakeShare: 0.2,
	brakeMinimum: 5,
	linkKey: LINK_KEY,
};

/** The plan, settled as if every write went through (flags decided; `copies`: attendee lines whose copy was found). */
function plan(partial: Partial<EventPlanInput> & Pick<EventPlanInput, 'activities'>, extra: Partial<EventPlanOptions> = {}, copies: string[] = []): EventPlan {
	const planned = planActivitySync({ mailbox: 'ann@contoso.com', linked: [], complete: false, syncUsers: new SyncUserIndex(USERS), ...partial }, { ...options, ...extra });
	const activities = new Map(partial.activities.filter((a): a is LnActivity => !isDeleted(a)).map((a) => [a.id, a]));
	return { ...planned, items: settleActivityPlan({ plan: planned, activities, outcomes: new Map(), copiesFound: new Set(copies), dryRun: true }) };
}

describe('planning LN activities into Exchange events', () => {
	it("creates a meeting in the organizer's mailbox with the invited attendees and sets the flags two-phase", () => {
		const result = plan({ activities: [activity()] });
		const [item] = result.items;
		expect(item.action).toBe('create');
		expect(item.mode).toBe('meeting');
		const write = item.exchange[0];
		if (write.op !== 'create') throw new Error('expected a create');
		expect(write.transactionId).toMatch(/^lnsync-[0-9a-f]{32}$/);
		expect(write.body.attendees?.map((a) => `${a.emailAddress?.address}/${a.type}`)).toEqual(['bob@contoso.com/required', 'xena@fabrikam.com/required']);
		expect(write.body.start).toEqual({ dateTime: '2026-11-25T11:00:00', timeZone: 'W. Europe Standard Time' });
		expect(write.body.singleValueExtendedProperties?.find((p) => p.id === LN_KEY_PROPERTY)?.value).toBe('ln:100:activity:A1');
		expect(decodeState(write.body.singleValueExtendedProperties?.find((p) => p.id === LN_STATE_PROPERTY)?.value)?.origin).toBe('ln');
		// organizer and the external contact are synchronized at once; the sync user Bob only when his calendar has it
		expect(item.flags).toEqual([
			{ activity: 'A1', sequence: 1, sentToSynchronizer: true, synchronized: true },
			{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: false },
			{ activity: 'A1', sequence: 3, sentToSynchronizer: true, synchronized: true },
		]);
		expect(item.update).toMatchObject({ activity: 'A1', referenceFromCreatedEvent: true });
	});

	it('uses the same transactionId for the same activity and content, so a retried create makes no second event', () => {
		const first = plan({ activities: [activity()] }).items[0].exchange[0];
		const second = plan({ activities: [activity()] }).items[0].exchange[0];
		expect(first.op === 'create' && second.op === 'create' && first.transactionId === second.transactionId).toBe(true);
	});

	it('writes nothing when neither side changed, but writes back attendee responses', () => {
		const source = activity({ reference: 'uid-A1', attendees: [
			employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false, sentToSynchronizer: true, synchronized: true }),
			attendee({ role: 'Required', type: 'Contact', code: 'C9', email: 'xena@fabrikam.com', sentToSynchronizer: true, synchronized: true }),
		] });
		const linked = eventFor(source);
		const unchanged = plan({ activities: [source], linked: [linked] }).items[0];
		expect(unchanged).toMatchObject({ action: 'unchanged', exchange: [], flags: [], attendance: [] });

		linked.event.attendees![0].status = { response: 'declined' };
		const declined = plan({ activities: [source], linked: [linked] }).items[0];
		expect(declined.exchange).toEqual([]);
		expect(declined.attendance).toEqual([{ activity: 'A1', sequence: 2, status: 'Declined' }]);
	});

	it("writes the event's iCalUId to LN when a stopped run created the event but not the reference", () => {
		const source = activity({ attendees: [employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false, sentToSynchronizer: true, synchronized: true })] });
		const [item] = plan({ activities: [source], linked: [eventFor(source)] }).items;
		expect(item).toMatchObject({ action: 'update', exchange: [], update: { activity: 'A1', fields: { reference: 'uid-A1' } } });
		// a direct copy is not the meeting: its iCalUId is not LN's reference
		const copy = activity({ attendees: [employee('E009', 'zed@contoso.com', 'MeetingOrganizer', { invite: false }), employee('E001', 'ann@contoso.com', 'Required', { sentToSynchronizer: true, synchronized: true })] });
		expect(plan({ activities: [copy], linked: [eventFor(copy, { includeAttendees: false })] }).items[0].update).toBeUndefined();
	});

	it('patches only the fields LN changed', () => {
		const before = activity();
		const linked = eventFor(before);
		const after = activity({ subject: 'Quarterly review (moved)' });
		const [item] = plan({ activities: [after], linked: [linked] }).items;
		expect(item.action).toBe('update');
		const write = item.exchange[0];
		if (write.op !== 'patch') throw new Error('expected a patch');
		expect(Object.keys(write.body).sort()).toEqual(['singleValueExtendedProperties', 'subject']);
		expect(write.body.subject).toBe('Quarterly review (moved)');
	});

	it('turns an Exchange change into an LN update and links the new state only after it', () => {
		const source = activity({ reference: 'uid-A1' });
		const linked = eventFor(source, { changes: { location: { displayName: 'Room 9' } } });
		const [item] = plan({ activities: [source], linked: [linked] }).items;
		expect(item.exchange).toEqual([]);
		expect(item.update?.fields).toEqual({ location: 'Room 9' });
		expect(item.update?.link?.state.hash).not.toBe(linked.state!.hash);
	});

	it('merges edits of different fields from both sides; a field edited on both is a conflict the policy decides', () => {
		const before = activity({ reference: 'uid-A1' });
		const relocated = eventFor(before, { changes: { location: { displayName: 'Room 9' } } });
		const [merged] = plan({ activities: [activity({ reference: 'uid-A1', subject: 'Renamed in LN' })], linked: [relocated] }).items;
		expect(merged.conflict).toBeUndefined();
		expect(merged.exchange).toEqual([expect.objectContaining({ op: 'patch', body: expect.objectContaining({ subject: 'Renamed in LN' }) })]);
		expect(merged.exchange[0].op === 'patch' && merged.exchange[0].body.location).toBeUndefined();
		expect(merged.update?.fields).toEqual({ location: 'Room 9' });
		const renamed = eventFor(before, { changes: { subject: 'Renamed in Outlook' } });
		const after = activity({ reference: 'uid-A1', subject: 'Renamed in LN' });
		const origin = plan({ activities: [after], linked: [renamed] }).items[0];
		expect(origin.conflict).toEqual({ policy: 'originWins', winner: 'ln' });
		expect(origin.exchange[0].op).toBe('patch');
		expect(origin.warnings.join('\n')).toMatch(/subject changed in LN and in Exchange/);
		const exchange = plan({ activities: [after], linked: [renamed] }, { policy: 'exchangeWins' }).items[0];
		expect(exchange.conflict?.winner).toBe('exchange');
		expect(exchange.update?.fields).toEqual({ subject: 'Renamed in Outlook' });
		const lnWins = plan({ activities: [after], linked: [{ ...renamed, state: { ...renamed.state!, origin: 'exchange' } }] }, { policy: 'lnWins' }).items[0];
		expect(lnWins.conflict?.winner).toBe('ln');
	});

	it("cancels the organizer's event when LN cancels the activity or clears Synchronize", () => {
		const source = activity();
		const linked = eventFor(source);
		for (const change of [{ status: 'Cancelled' }, { synchronize: false }] as const) {
			const [item] = plan({ activities: [activity(change)], linked: [linked] }).items;
			expect(item.action).toBe('cancel');
			expect(item.exchange).toEqual([{ op: 'cancel', eventId: 'ev-A1', comment: 'Cancelled in Infor LN' }]);
		}
	});

	it('writes straight into an invited sync user\'s calendar without attendees when the organizer is not a sync user', () => {
		const source = activity({ attendees: [
			employee('E099', 'zoe@contoso.com', 'MeetingOrganizer', { invite: false }),
			employee('E002', 'bob@contoso.com'),
			attendee({ role: 'Required', type: 'Other', email: 'xena@fabrikam.com' }),
		] });
		const forBob = plan({ activities: [source], mailbox: 'bob@contoso.com' }).items[0];
		expect(forBob.mode).toBe('copy');
		const write = forBob.exchange[0];
		if (write.op !== 'create') throw new Error('expected a create');
		expect(write.body.attendees).toBeUndefined();
		expect(forBob.flags).toEqual([{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: true }]);
		const forAnn = plan({ activities: [source] }).items[0];
		expect(forAnn).toMatchObject({ action: 'skip', exchange: [] });
	});

	it("confirms a sync-user attendee's copy by its iCalUId, every run: Synchronized exactly while it is there", () => {
		// Ann's run keeps the meeting: her organizer line says so.
		const source = activity({ reference: 'uid-A1', attendees: [employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false, sentToSynchronizer: true, synchronized: true }), employee('E002', 'bob@contoso.com')] });
		const first = plan({ activities: [source], mailbox: 'bob@contoso.com' });
		expect(first.presenceNeeded).toEqual(['uid-A1']);
		const present = plan({ activities: [source], mailbox: 'bob@contoso.com', presence: new Map([['uid-A1', { id: 'bob-copy', iCalUId: 'uid-A1' }]]) });
		expect(present.items[0].flags).toEqual([{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: true }]);
		expect(present.items[0].exchange).toEqual([]);
		const absent = plan({ activities: [source], mailbox: 'bob@contoso.com', presence: new Map([['uid-A1', null]]) });
		expect(absent.items[0].flags).toEqual([{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: false }]);
		// Bob deleted his copy after it was synchronized: no longer Synchronized, and nothing is written to Exchange.
		const deleted = activity({ reference: 'uid-A1', attendees: [employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false, sentToSynchronizer: true }), employee('E002', 'bob@contoso.com', 'Required', { sentToSynchronizer: true, synchronized: true })] });
		const gone = plan({ activities: [deleted], mailbox: 'bob@contoso.com', presence: new Map([['uid-A1', null]]) });
		expect(gone.items[0]).toMatchObject({ exchange: [], flags: [{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: false }] });
	});

	it('never touches past events', () => {
		const past = activity({ start: NOW.minus({ days: 2 }).toISO()!, end: NOW.minus({ days: 2, hours: -1 }).toISO()! });
		const [item] = plan({ activities: [past], linked: [eventFor(past)] }).items;
		expect(item).toMatchObject({ action: 'skip', exchange: [], flags: [] });
		expect(item.reason).toMatch(/past/);
	});

	it('asks LN about linked events whose activity was not read (gone, past, or not this mailbox\'s), but not links made during this run', () => {
		const gone = eventFor(activity({ id: 'A7' }));
		const fresh = eventFor(activity({ id: 'A8' }), { state: { linkedAt: NOW.toSeconds() } });
		const result = plan({ activities: [], linked: [gone, fresh], complete: true }, { readAt: NOW });
		expect(result.items.map((i) => `${i.activity}:${i.action}`)).toEqual(['A7:verify', 'A8:skip']);
		expect(result.items[0].exchange).toEqual([]);
		expect(plan({ activities: [], linked: [gone], complete: false }).items).toEqual([]);
		// Read on its own: deleted in LN → cancelled; moved into the past → the meeting follows, nobody is un-invited.
		expect(plan({ activities: [{ company: '100', id: 'A7', deleted: true }], linked: [gone] }).items[0]).toMatchObject({ action: 'cancel', removal: true });
		const yesterday = activity({ id: 'A7', start: NOW.minus({ days: 1 }).toISO()!, end: NOW.minus({ days: 1 }).plus({ hours: 1 }).toISO()! });
		const moved = plan({ activities: [yesterday], linked: [gone] }).items[0];
		expect(moved.action).toBe('update');
		expect(moved.exchange).toHaveLength(1);
		expect(moved.exchange[0]).toMatchObject({ op: 'patch', body: { start: { dateTime: '2026-11-22T11:00:00' } } });
		expect(moved.flags).toEqual([]);
	});

	it('stops mass cancellations above the brake share and says so', () => {
		const activities = Array.from({ length: 10 }, (_, i) => activity({ id: `A${i}` }));
		const linked = activities.map((a) => eventFor(a));
		const cancelled = activities.map((a, i) => (i < 6 ? { ...a, status: 'Cancelled' } : a));
		const result = plan({ activities: cancelled, linked, complete: true });
		expect(result.brake).toEqual({ removals: 6, linked: 10, share: 0.2 });
		const removals = result.items.filter((i) => i.reason?.startsWith('mass-change brake'));
		expect(removals).toHaveLength(6);
		expect(removals.every((i) => i.exchange.length === 0 && i.action === 'skip')).toBe(true);
		// one cancellation is normal work, not a mass change
		expect(plan({ activities: [cancelled[0], ...activities.slice(1, 4)], linked: linked.slice(0, 4), complete: true }).brake).toBeUndefined();
	});

	it('stops mass cancellations of LN appointments when many linked events vanished from Exchange', () => {
		const organized = (id: string) =>
			activity({ id, reference: `uid-${id}`, attendees: [employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false, synchronized: true, sentToSynchronizer: true }), employee('E002', 'bob@contoso.com')] });
		const activities = Array.from({ length: 10 }, (_, i) => organized(`A${i}`));
		const still = activities.slice(0, 4).map((a) => eventFor(a));
		const presence = new Map(activities.slice(4).map((a) => [a.reference!, null] as [string, null]));
		const result = plan({ activities, linked: still, presence });
		expect(result.brake).toEqual({ removals: 6, linked: 10, share: 0.2 });
		const braked = result.items.filter((i) => i.reason?.startsWith('mass-change brake: this run would cancel 6 of 10'));
		expect(braked).toHaveLength(6);
		expect(braked.every((i) => i.update === undefined && i.flags.length === 0)).toBe(true);
		// a single deletion is normal work
		const one = plan({ activities: activities.slice(3, 5), linked: [eventFor(activities[3])], presence });
		expect(one.brake).toBeUndefined();
		expect(one.items.find((i) => i.activity === 'A4')?.update?.fields).toEqual({ status: 'Cancelled' });
	});

	it("cancels the LN activity when the organizer's linked event disappeared from Exchange", () => {
		const source = activity({ reference: 'uid-A1', attendees: [
			employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false, synchronized: true, sentToSynchronizer: true }),
			employee('E002', 'bob@contoso.com'),
		] });
		const [item] = plan({ activities: [source], presence: new Map([['uid-A1', null]]) }).items;
		expect(item.update?.fields).toEqual({ status: 'Cancelled' });
		expect(item.exchange).toEqual([]);
	});

	it('links instead of creating when the event is already in the mailbox (lost link)', () => {
		const source = activity({ reference: 'uid-A1' });
		const existing = eventFor(source).event;
		const [item] = plan({ activities: [source], presence: new Map([['uid-A1', existing]]) }).items;
		expect(item.action).toBe('link');
		expect(item.exchange).toHaveLength(1);
		expect(item.exchange[0].op).toBe('patch');
	});

	it('refuses bad activities with a message that names the field, and plans the others', () => {
		const bad = activity({ id: 'B1', start: NOW.plus({ days: 3 }).toISO()!, end: NOW.plus({ days: 2 }).toISO()! });
		const noStart = activity({ id: 'B2', start: '' });
		const longSubject = activity({ id: 'B3', subject: 'x'.repeat(256) });
		const good = activity({ id: 'G1' });
		const result = plan({ activities: [bad, noStart, longSubject, good] });
		expect(result.items.map((i) => i.action)).toEqual(['fail', 'fail', 'fail', 'create']);
		expect(result.items[0].reason).toMatch(/Activity B1: field end .* is before start/);
		expect(result.items[1].reason).toMatch(/Activity B2: field start: missing start/);
		expect(result.items[2].reason).toMatch(/Activity B3: field subject has 256 characters/);
	});

	it('removes duplicates of the same activity in one mailbox', () => {
		const source = activity();
		const first = eventFor(source, { id: 'ev-1' });
		const second = eventFor(source, { id: 'ev-2' });
		second.event.createdDateTime = '2026-11-22T00:00:00Z';
		first.event.createdDateTime = '2026-11-21T00:00:00Z';
		const [item] = plan({ activities: [source], linked: [second, first] }).items;
		expect(item.exchange).toEqual([{ op: 'delete', eventId: 'ev-2' }]);
	});

	it('removes the event of an activity deleted in LN', () => {
		const source = activity();
		const [item] = plan({ activities: [{ company: '100', id: 'A1', deleted: true }], linked: [eventFor(source)] }).items;
		expect(item).toMatchObject({ action: 'cancel', removal: true });
	});
});

describe('edits after a sync (issue 15), decided by the plan', () => {
	const organizerLine = (code: string, email: string, extra = {}) => employee(code, email, 'MeetingOrganizer', { invite: false, sentToSynchronizer: true, synchronized: true, ...extra });
	const synced = { sentToSynchronizer: true, synchronized: true };

	it('a new organizer in LN: the old organizer cancels its meeting and LN forgets its reference; the new one creates its own', () => {
		const handedOver = activity({ reference: 'uid-A1', attendees: [employee('E001', 'ann@contoso.com', 'Required', synced), employee('E002', 'bob@contoso.com', 'Required', synced), employee('E003', 'cat@contoso.com', 'MeetingOrganizer', { invite: false })] });
		const annsMeeting = eventFor(activity({ reference: 'uid-A1' }));
		const [ann] = plan({ activities: [handedOver], linked: [annsMeeting], presence: new Map([['uid-A1', null]]) }).items;
		expect(ann.mode).toBe('attendee');
		expect(ann.exchange).toEqual([{ op: 'cancel', eventId: 'ev-A1', comment: 'Cancelled in Infor LN' }]);
		expect(ann.update?.fields).toEqual({ reference: '' });
		// Cat's run after Ann's: no reference any more, Cat makes the meeting; LN's reference moves to it.
		const [cat] = plan({ activities: [{ ...handedOver, reference: '' }], mailbox: 'cat@contoso.com' }).items;
		expect(cat).toMatchObject({ mode: 'meeting', action: 'create', update: { referenceFromCreatedEvent: true } });
		// Cat's run before Ann's: Ann's meeting is still in Cat's calendar as an invitation; Cat still makes her own.
		const [early] = plan({ activities: [handedOver], mailbox: 'cat@contoso.com', presence: new Map([['uid-A1', { id: 'cat-copy', iCalUId: 'uid-A1', isOrganizer: false }]]) }).items;
		expect(early.action).toBe('create');
	});

	it('a new organizer in LN while the old one renamed her meeting: LN gets the rename as the meeting leaves her calendar, unless LN renamed it too', () => {
		const before = activity({ reference: 'uid-A1', attendees: [organizerLine('E001', 'ann@contoso.com'), employee('E002', 'bob@contoso.com', 'Required', synced)] });
		const annsMeeting = eventFor(before, { changes: { subject: 'Renamed by Ann' } });
		const handedOver = { ...before, attendees: [employee('E001', 'ann@contoso.com', 'Required', synced), employee('E002', 'bob@contoso.com', 'Required', synced), employee('E003', 'cat@contoso.com', 'MeetingOrganizer', { invite: false })] };
		const gone = new Map([['uid-A1', null]]);
		const [ann] = plan({ activities: [handedOver], linked: [annsMeeting], presence: gone }).items;
		expect(ann.exchange).toEqual([{ op: 'cancel', eventId: 'ev-A1', comment: 'Cancelled in Infor LN' }]);
		expect(ann.update?.fields).toEqual({ reference: '', subject: 'Renamed by Ann' });
		const [both] = plan({ activities: [{ ...handedOver, subject: 'Renamed in LN' }], linked: [annsMeeting], presence: gone }).items;
		expect(both.update?.fields).toEqual({ reference: '' });
		expect(both.warnings.join('\n')).toMatch(/subject changed in LN and in ann@contoso.com's meeting, which LN gave to another organizer; LN wins/);
		// Ann taken off the activity altogether: her meeting may not change it.
		const without = { ...handedOver, attendees: handedOver.attendees.slice(1) };
		const [away] = plan({ activities: [without], linked: [annsMeeting], presence: gone }).items;
		expect(away.update?.fields ?? {}).not.toHaveProperty('subject');
	});

	it('the organizer\'s run takes her line out of scope: the invited sync users are checked again in the same pull (they go by that line)', () => {
		const fromExchange = activity({
			reference: 'uid-A1',
			synchronize: false,
			attendees: [organizerLine('E001', 'ann@contoso.com'), employee('E002', 'bob@contoso.com', 'Required')],
		});
		const ann = plan({ activities: [fromExchange], presence: new Map([['uid-A1', null]]) }).items;
		expect(ann[0].lines).toContainEqual(expect.objectContaining({ sequence: 1, inScope: false }));
		const users = new SyncUserIndex(USERS);
		expect(mailboxesToCheckAgain(ann, new Map([['A1', fromExchange]]), users, 'ann@contoso.com').again).toEqual(['bob@contoso.com']);
		// Nothing changed for the line: nobody is asked to look again.
		const settled = activity({ reference: 'uid-A1', attendees: [organizerLine('E001', 'ann@contoso.com'), employee('E002', 'bob@contoso.com', 'Required', synced)] });
		const unchanged = plan({ activities: [settled], linked: [eventFor(settled)] }, {}, ['A1|2']).items;
		expect(unchanged[0].action).toBe('unchanged');
		expect(mailboxesToCheckAgain(unchanged, new Map([['A1', settled]]), users, 'ann@contoso.com').again).toEqual([]);
	});

	it('an organizer who is not a sync user, on an activity made from an Exchange meeting: invited sync users follow the meeting, nothing is written to it', () => {
		const outside = activity({ reference: 'uid-M', synchronize: false, attendees: [attendee({ role: 'Required', type: 'Other', email: 'walter@elsewhere.org', invite: false }), employee('E001', 'ann@contoso.com', 'Required', synced), employee('E002', 'bob@contoso.com', 'Required', synced)] });
		const walter = { organizer: { emailAddress: { address: 'walter@elsewhere.org' } } };
		const bobsInvitation = eventFor(outside, { id: 'bob-copy', changes: { ...walter, isOrganizer: false, iCalUId: 'uid-M' } }).event;
		const [bob] = plan({ activities: [outside], mailbox: 'bob@contoso.com', presence: new Map([['uid-M', bobsInvitation]]) }).items;
		// Ann's calendar is the one the meeting reaches LN from: Bob's run only sees that his invitation is there.
		expect(bob).toMatchObject({ mode: 'follow', action: 'unchanged', exchange: [], flags: [] });
		expect(bob.warnings.join('\n')).toMatch(/no meeting organizer: the event reaches invited sync users through the Exchange meeting/);
		// The invitation LN's appointment was made from (linked in Ann's calendar) is followed both ways it can be: from Exchange only.
		const annsCopy = eventFor(outside, { changes: { ...walter, isOrganizer: false, iCalUId: 'uid-M', subject: 'Moved by Walter' }, state: { origin: 'exchange' } });
		annsCopy.state!.signature = undefined;
		const [ann] = plan({ activities: [outside], linked: [annsCopy] }).items;
		expect(ann.update?.fields).toEqual({ subject: 'Moved by Walter' });
		const lnEdit = plan({ activities: [{ ...outside, subject: 'Renamed in LN' }], linked: [eventFor(outside, { changes: { ...walter, isOrganizer: false, iCalUId: 'uid-M' }, state: { origin: 'exchange' } })] }).items[0];
		expect(lnEdit.exchange.filter((w) => w.op !== 'patch' || Object.keys(w.body).some((k) => k !== 'singleValueExtendedProperties'))).toEqual([]);
		expect(lnEdit.warnings.join('\n')).toMatch(/changed in LN, but the meeting is organized by/);
	});

	it("a meeting whose organizer left the sync users: the invitation in the first invited sync user's calendar is linked in the same run, and LN takes what the meeting says", () => {
		// Dan organized it as a sync user; now he is not one, so nobody's meeting links the activity any more.
		const dan = { organizer: { emailAddress: { address: 'dan@contoso.com' } } };
		const left = activity({ reference: 'uid-M', attendees: [attendee({ role: 'MeetingOrganizer', type: 'Employee', code: 'E077', email: 'dan@contoso.com', invite: false }), employee('E001', 'ann@contoso.com', 'Required', synced), employee('E002', 'bob@contoso.com', 'Required', synced)] });
		const annsInvitation = eventFor(left, { id: 'ann-copy', changes: { ...dan, isOrganizer: false, iCalUId: 'uid-M', showAs: 'tentative' } }).event;
		const [ann] = plan({ activities: [left], presence: new Map([['uid-M', annsInvitation]]) }).items;
		expect(ann).toMatchObject({ mode: 'follow', action: 'update', exchange: [], update: { activity: 'A1', fields: { showTimeAs: 'Tentative' } } });
		expect(ann.update?.link).toMatchObject({ mailbox: 'ann@contoso.com', eventId: 'ann-copy', iCalUId: 'uid-M', state: { origin: 'ln', hash: syncHash(canonicalFromEvent(annsInvitation, true)) } });
		// Someone the meeting invites and LN does not list is added, out of scope: no sync user organizes it.
		const withGuest = eventFor(left, { id: 'ann-copy', changes: { ...dan, isOrganizer: false, iCalUId: 'uid-M', attendees: [...(annsInvitation.attendees ?? []), { type: 'required', emailAddress: { address: 'xena@fabrikam.com' } }] } }).event;
		const [guest] = plan({ activities: [left], presence: new Map([['uid-M', withGuest]]) }).items;
		expect(guest.update).toMatchObject({ addAttendees: [{ email: 'xena@fabrikam.com', role: 'Required' }], organizerIsSyncUser: false });
		// LN already says what the meeting says: only the link is written.
		const same = eventFor(left, { id: 'ann-copy', changes: { ...dan, isOrganizer: false, iCalUId: 'uid-M' } }).event;
		const [linked] = plan({ activities: [left], presence: new Map([['uid-M', same]]) }).items;
		expect(linked.action).toBe('link');
		expect(linked.update).toBeUndefined();
		const props = linked.exchange[0].op === 'patch' ? linked.exchange[0].body.singleValueExtendedProperties : [];
		expect(props?.find((p) => p.id === LN_KEY_PROPERTY)?.value).toBe('ln:100:activity:A1');
		expect(decodeState(props?.find((p) => p.id === LN_STATE_PROPERTY)?.value)).toMatchObject({ origin: 'ln', hash: syncHash(canonicalFromEvent(same, true)) });
		// Bob's invitation is not the one LN takes the meeting from; an occurrence's link lives on its series.
		expect(plan({ activities: [left], mailbox: 'bob@contoso.com', presence: new Map([['uid-M', { ...same, id: 'bob-copy' }]]) }).items[0]).toMatchObject({ action: 'unchanged', exchange: [] });
		expect(plan({ activities: [left], presence: new Map([['uid-M', { ...same, type: 'occurrence', seriesMasterId: 'S1' }]]) }).items[0]).toMatchObject({ action: 'unchanged', exchange: [] });
		// Linked so, the invitation does not make LN's appointment one made from Exchange: Synchronize unticked in LN ends it.
		const adopted = eventFor(left, { id: 'ann-copy', changes: { ...dan, isOrganizer: false, iCalUId: 'uid-M' }, state: { origin: 'ln' } });
		const [unticked] = plan({ activities: [{ ...left, synchronize: false }], linked: [adopted] }).items;
		expect(unticked.lines).toContainEqual(expect.objectContaining({ sequence: 2, inScope: false }));
		// Ann's own meeting, whose activity LN gave to an organizer outside the sync users, is no invitation to link.
		expect(plan({ activities: [left], presence: new Map([['uid-M', { ...same, isOrganizer: true }]]) }).items[0]).toMatchObject({ action: 'unchanged', exchange: [] });
	});

	it('an invite unticked: the attendee leaves the meeting and their line gets Sent and Synchronized No', () => {
		const source = activity({ reference: 'uid-A1', attendees: [organizerLine('E001', 'ann@contoso.com'), employee('E002', 'bob@contoso.com', 'Required', synced)] });
		const linked = eventFor(source);
		const unticked = { ...source, attendees: [source.attendees[0], { ...source.attendees[1], invite: false }] };
		const [item] = plan({ activities: [unticked], linked: [linked] }).items;
		expect(item.exchange).toEqual([expect.objectContaining({ op: 'patch', body: expect.objectContaining({ attendees: [] }) })]);
		expect(item.flags).toEqual([{ activity: 'A1', sequence: 2, sentToSynchronizer: false, synchronized: false }]);
	});

	it('someone the organizer invites in Exchange is added to LN in scope: a sync user keeps that meeting', () => {
		const source = activity({ reference: 'uid-A1', attendees: [organizerLine('E001', 'ann@contoso.com'), employee('E002', 'bob@contoso.com', 'Required', synced)] });
		const linked = eventFor(source);
		linked.event.attendees = [...(linked.event.attendees ?? []), { type: 'optional', emailAddress: { address: 'xena@fabrikam.com' } }];
		const [item] = plan({ activities: [source], linked: [linked] }).items;
		expect(item.update).toMatchObject({ addAttendees: [{ email: 'xena@fabrikam.com', role: 'Optional' }], organizerIsSyncUser: true });
	});

	it("LN's organizer whom the Exchange meeting lists as an attendee keeps the organizer line alone (one line per person)", () => {
		// Seed 1206402 path 88: LN gave the meeting to Zoe, then Ann's Exchange meeting invited her: a second line for Zoe was added.
		const source = activity({ reference: 'uid-A1', attendees: [attendee({ role: 'MeetingOrganizer', type: 'Employee', code: 'E099', email: 'zoe@contoso.com', invite: false }), employee('E001', 'ann@contoso.com', 'Required', synced)] });
		const changes = attendeeChanges(source, [
			{ email: 'ann@contoso.com', type: 'required' },
			{ email: 'zoe@contoso.com', type: 'required', status: 'Accepted' },
		]);
		expect(changes).toEqual({ addAttendees: [], uninviteAttendees: [] });
		// Someone LN lists without inviting, besides the organizer line, is invited on that line.
		const listed = { ...source, attendees: [...source.attendees, attendee({ sequence: 3, role: 'Required', type: 'Other', email: 'zoe@contoso.com', invite: false })] };
		expect(attendeeChanges(listed, [{ email: 'ann@contoso.com', type: 'required' }, { email: 'zoe@contoso.com', type: 'required' }])).toEqual({ addAttendees: [], uninviteAttendees: [], reinviteAttendees: [3] });
	});

	it('an Exchange event moved into the past takes its activity along; an LN change is then not written to the past event', () => {
		const source = activity({ reference: 'uid-A1' });
		const yesterday = { start: { dateTime: '2026-11-22T09:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-11-22T10:00:00.0000000', timeZone: 'UTC' } };
		const [moved] = plan({ activities: [source], linked: [eventFor(source, { changes: yesterday })] }).items;
		expect(moved.update?.fields).toMatchObject({ start: '2026-11-22T09:00:00Z', end: '2026-11-22T10:00:00Z' });
		const [lnEdit] = plan({ activities: [{ ...source, subject: 'Renamed' }], linked: [eventFor(source, { changes: { ...yesterday, subject: 'Quarterly review' } })] }).items;
		expect(lnEdit.exchange).toEqual([]);
	});

	it('an appointment made from an Exchange event keeps following it without Synchronize (LN allows that flag only with an invitee)', () => {
		const solo = activity({ reference: 'uid-S', synchronize: false, attendees: [organizerLine('E001', 'ann@contoso.com')] });
		const linked = eventFor(solo, { state: { origin: 'exchange' }, changes: { iCalUId: 'uid-S' } });
		linked.state!.signature = undefined;
		const [kept] = plan({ activities: [solo], linked: [linked] }).items;
		expect(kept.exchange.every((w) => w.op === 'patch')).toBe(true);
		expect(kept.removal).toBeUndefined();
		// Deleted in Outlook: the appointment is cancelled, never re-created.
		const [deleted] = plan({ activities: [solo], presence: new Map([['uid-S', null]]) }).items;
		expect(deleted.update?.fields).toEqual({ status: 'Cancelled' });
		expect(deleted.exchange).toEqual([]);
	});
});

describe('link properties are untrusted (issue 19)', () => {
	it('refuses a link that names an activity this mailbox takes no part in, and writes nothing either way', () => {
		const foreign = activity({ id: 'X1', reference: 'uid-X1', attendees: [employee('E002', 'bob@contoso.com', 'MeetingOrganizer', { invite: false }), employee('E003', 'cat@contoso.com')] });
		const forged = eventFor(foreign, { changes: { iCalUId: 'uid-forged', subject: 'Forged by Ann' }, state: { origin: 'exchange' } });
		forged.state!.signature = undefined;
		const [item] = plan({ activities: [foreign], linked: [forged] }).items;
		expect(item).toMatchObject({ action: 'skip', exchange: [], flags: [], attendance: [] });
		expect(item.update).toBeUndefined();
		expect(item.warnings.join('\n')).toMatch(/carries a link to LN activity X1 that is not signed, and LN does not confirm it/);
		// Signed by us, but for another item: the same.
		const copied = eventFor(foreign, { changes: { iCalUId: 'uid-forged' } });
		copied.state!.signature = eventFor(foreign).state!.signature;
		expect(plan({ activities: [foreign], linked: [copied] }).items[0]).toMatchObject({ action: 'skip', exchange: [] });
		// A refused link holds nothing up: an activity Ann organizes is planned as if the forged event were not there.
		const hers = activity({ id: 'X2', attendees: [employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false }), employee('E002', 'bob@contoso.com')] });
		const forgedOnHers = eventFor(hers, { changes: { iCalUId: 'uid-forged' }, state: { origin: 'exchange' } });
		forgedOnHers.state!.signature = undefined;
		expect(plan({ activities: [hers], linked: [forgedOnHers] }).items[0]).toMatchObject({ action: 'create' });
	});

	it('an occurrence link on a series master keeps LN\'s meeting from being made only when we signed it (or LN confirms an older one)', () => {
		const hers = activity({ id: 'X3', reference: '', attendees: [employee('E001', 'ann@contoso.com', 'MeetingOrganizer', { invite: false }), employee('E002', 'bob@contoso.com')] });
		const entry = { iCalUId: 'uid-occurrence', activity: 'X3', hash: 'h' };
		// Written by the mailbox's owner into her own series: refused, the meeting is made.
		expect(plan({ activities: [hers], seriesHeld: new Map([['X3', [entry]]]) }).items[0]).toMatchObject({ action: 'create' });
		// Signed by us: the occurrence stands for the activity, followed through its series.
		const signature = signLink(LINK_KEY, { company: '100', activity: 'X3', mailbox: 'ann@contoso.com', iCalUId: 'uid-occurrence' }, 'iCalUId');
		expect(plan({ activities: [hers], seriesHeld: new Map([['X3', [{ ...entry, signature }]]]) }).items[0]).toMatchObject({ action: 'skip', reason: 'an occurrence of a series outside the window: followed through its series' });
		// Unsigned, from before links were signed, and LN refers to that occurrence: the same.
		expect(plan({ activities: [{ ...hers, reference: 'uid-occurrence' }], seriesHeld: new Map([['X3', [entry]]]) }).items[0]).toMatchObject({ action: 'skip' });
		// An entry without an iCalUId does not match an activity without a reference.
		expect(plan({ activities: [hers], seriesHeld: new Map([['X3', [{ ...entry, iCalUId: '' }]]]) }).items[0]).toMatchObject({ action: 'create' });
	});

	it('signs an earlier unsigned link once LN confirms it (the user takes part, the reference is the item)', () => {
		const source = activity({ reference: 'uid-A1' });
		const legacy = eventFor(source);
		legacy.state!.signature = undefined;
		const [item] = plan({ activities: [source], linked: [legacy] }).items;
		expect(item.exchange).toHaveLength(1);
		const write = item.exchange[0];
		if (write.op !== 'patch') throw new Error('expected a patch');
		expect(Object.keys(write.body)).toEqual(['singleValueExtendedProperties']);
		expect(decodeState(write.body.singleValueExtendedProperties![0].value)?.signature).toMatch(/^u\./);
		expect(item.warnings.join('\n')).toMatch(/was not signed; LN confirms it, so it is signed now/);
	});
});
