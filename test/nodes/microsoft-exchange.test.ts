import type { Event } from '@microsoft/microsoft-graph-types';
import type { IDataObject } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { LN_KEY_PROPERTY, LN_STATE_PROPERTY, decodeState } from '../../lib/sync/link';
import type { LnActivity, LnAttendee, LnContact, SyncUser } from '../../lib/sync/model';
import type { GraphSeed } from '../emulators/graph/emulator';
import { ourNode, runNode, startEnvironment, type Environment } from '../harness/environment';

const NOW = DateTime.utc();
const iso = (d: DateTime) => d.toUTC().set({ millisecond: 0 }).toISO({ suppressMilliseconds: true })!;

const USERS: SyncUser[] = [
	{ user: 'ann', email: 'ann@contoso.com', employee: 'E001', employeeEmail: 'ann@contoso.com', active: true },
	{ user: 'bob', email: 'bob@contoso.com', employee: 'E002', employeeEmail: 'bob@contoso.com', active: true },
	{ user: 'cat', email: 'cat@contoso.com', employee: 'E003', employeeEmail: 'cat@contoso.com', active: true },
	{ user: 'dan', email: 'denied@contoso.com', employee: 'E004', employeeEmail: 'denied@contoso.com', active: true },
];
const SYNC_USERS = JSON.stringify(USERS);

function graphSeed(): GraphSeed {
	return {
		users: [
			{ mail: 'ann@contoso.com', displayName: 'Ann' },
			{ mail: 'bob@contoso.com', displayName: 'Bob' },
			{ mail: 'cat@contoso.com', displayName: 'Cat' },
			{ mail: 'zoe@contoso.com', displayName: 'Zoe (not a sync user)' },
			{ mail: 'denied@contoso.com', displayName: 'Denied', accessDenied: true },
		],
		contacts: { 'ann@contoso.com': [{ givenName: 'Own', surname: 'Contact', displayName: 'Own Contact', folder: 'LN Contacts' }] },
	};
}

function attendee(sequence: number, partial: Partial<LnAttendee> & Pick<LnAttendee, 'role'>): LnAttendee {
	return { activity: 'A1', sequence, type: 'Other', status: 'None', invite: true, synchronized: false, sentToSynchronizer: false, ...partial };
}

function activity(id: string, partial: Partial<LnActivity> = {}, organizer: { code: string; email: string } = { code: 'E001', email: 'ann@contoso.com' }): LnActivity {
	const start = NOW.plus({ days: 2 }).startOf('hour');
	return {
		company: '100',
		id,
		type: 'Appointment',
		subject: `Meeting ${id}`,
		start: iso(start),
		end: iso(start.plus({ hours: 1 })),
		allDay: false,
		location: 'Room 1',
		showTimeAs: 'Busy',
		reminder: true,
		reminderMinutes: 15,
		text: 'Agenda',
		status: 'Planned',
		synchronize: true,
		readAt: iso(NOW.minus({ minutes: 5 })),
		attendees: [
			attendee(1, { activity: id, role: 'MeetingOrganizer', type: 'Employee', code: organizer.code, email: organizer.email, invite: false }),
			attendee(2, { activity: id, role: 'Required', type: 'Employee', code: 'E002', email: 'bob@contoso.com' }),
			attendee(3, { activity: id, role: 'Optional', type: 'Contact', code: 'C9', email: 'xena@fabrikam.com' }),
		],
		...partial,
	};
}

let env: Environment;
beforeAll(async () => {
	env = await startEnvironment({ graphSeed: graphSeed() });
});
afterAll(() => env.stop());
beforeEach(() => {
	env.graph.seed(graphSeed());
	env.graph.faults.clear();
	env.graph.log.clear();
	env.graph.setThrottling({ concurrencyPerMailbox: 4 });
});

const exchange = (parameters: Record<string, unknown>, extra = {}) => ourNode('microsoftExchange', parameters as IDataObject, extra);
const writes = () => env.graph.log.all().filter((r) => r.method !== 'GET' && !r.path.endsWith('/token') && r.batchSeq === undefined && !r.path.includes('$batch'))
	.concat(env.graph.log.all().filter((r) => r.batchSeq !== undefined && r.method !== 'GET'));
const ourEvents = (mailbox: string) => env.graph.events(mailbox).filter((e) => (e as { singleValueExtendedProperties?: Array<{ id: string }> }).singleValueExtendedProperties?.some((p) => p.id.endsWith('LnKey')));
const props = (event: Event) => (event as { singleValueExtendedProperties?: Array<{ id: string; value: string }> }).singleValueExtendedProperties ?? [];
const prop = (event: Event, id: string) => props(event).find((p) => p.id.toLowerCase() === id.toLowerCase())?.value;

function syncNode(mailbox: string, extra: Record<string, unknown> = {}) {
	return exchange({
		resource: 'event',
		operation: 'syncFromLnActivity',
		target: 'mailbox',
		mailbox: { __rl: true, mode: 'email', value: mailbox },
		company: '100',
		syncUsers: SYNC_USERS,
		complete: true,
		timeZone: 'Europe/Berlin',
		...extra,
	});
}

describe('Contact → Sync to Folder', () => {
	const contact = (id: string, extra: Partial<LnContact> = {}): LnContact => ({
		company: '100',
		id,
		firstName: `First ${id}`,
		lastName: 'Person',
		email: `${id.toLowerCase()}@fabrikam.com`,
		officePhone: '+44 113 496 0000',
		fax: '+44 113 496 0001',
		businessPartnerName: 'Fabrikam',
		workAddress: { street: 'Main Street', houseNumber: '5', city: 'Leeds', postalCode: 'LS1', country: 'GB' },
		text: 'Notes',
		synchronize: true,
		active: true,
		...extra,
	});
	const contacts = Array.from({ length: 45 }, (_, i) => contact(`C${String(i).padStart(3, '0')}`));
	const node = (extra: Record<string, unknown> = {}, nodeExtra = {}) =>
		exchange({ resource: 'contact', operation: 'syncToFolder', mailboxes: 'ann@contoso.com, bob@contoso.com', folderName: 'LN Contacts', ...extra }, nodeExtra);

	it("fills each mailbox's folder in batches, leaves the user's own contacts alone, and writes nothing the second time", async () => {
		const first = await runNode(env, node(), contacts as unknown as IDataObject[]);
		expect(first.error).toBeUndefined();
		expect(first.items.filter((i) => i.json.action === 'created')).toHaveLength(90);
		const annContacts = env.graph.contacts('ann@contoso.com', 'LN Contacts');
		expect(annContacts).toHaveLength(46);
		expect(annContacts.find((c) => c.displayName === 'Own Contact')).toBeDefined();
		const mapped = annContacts.find((c) => c.givenName === 'First C001')!;
		expect(mapped).toMatchObject({ surname: 'Person', companyName: 'Fabrikam', businessPhones: ['+44 113 496 0000'], personalNotes: 'Notes' });
		expect(mapped.businessAddress).toMatchObject({ street: 'Main Street 5', city: 'Leeds' });
		const batches = env.graph.log.all().filter((r) => r.path.endsWith('$batch'));
		expect(batches.length).toBeLessThanOrEqual(8);

		env.graph.log.clear();
		const second = await runNode(env, node(), contacts as unknown as IDataObject[]);
		expect(second.items.every((i) => i.json.action === 'unchanged')).toBe(true);
		expect(writes()).toHaveLength(0);
		expect(env.graph.log.all().filter((r) => r.mailbox === 'ann@contoso.com')).toHaveLength(1);
	});

	it('updates a changed contact and removes one that is no longer marked Synchronize', async () => {
		await runNode(env, node(), contacts as unknown as IDataObject[]);
		const changed = contacts.map((c) => (c.id === 'C003' ? { ...c, jobTitle: 'CFO' } : c.id === 'C004' ? { ...c, synchronize: false } : c));
		const result = await runNode(env, node({ options: { output: 'changes' } }), changed as unknown as IDataObject[]);
		const actions = result.items.filter((i) => i.json.mailbox === 'ann@contoso.com').map((i) => `${i.json.contact}:${i.json.action}`).sort();
		expect(actions).toEqual(['C003:updated', 'C004:removed']);
		expect(env.graph.contacts('ann@contoso.com', 'LN Contacts').find((c) => c.givenName === 'First C003')?.jobTitle).toBe('CFO');
		expect(env.graph.contacts('ann@contoso.com', 'LN Contacts')).toHaveLength(45);
	});

	it('creates each contact once when a batch is cut off and then the answer to its resend is lost too', async () => {
		const batch = { method: 'POST', path: '$batch' };
		// $batch 1: the connection closes before Exchange sees it; 2, 3: the other creates; 4: the
		// look-up of the 20 unknown creates; 5: their resend, made but its answer lost; 6: the look-up again.
		env.graph.faults.add({ kind: 'reset', match: batch, nth: 1 });
		env.graph.faults.add({ kind: 'lostResponse', match: batch, nth: 5 });
		const result = await runNode(env, node({ mailboxes: 'ann@contoso.com' }), contacts as unknown as IDataObject[]);
		expect(result.items.map((i) => i.json.action).filter((a) => a !== 'created')).toEqual([]);
		expect(result.items).toHaveLength(45);
		expect(env.graph.contacts('ann@contoso.com', 'LN Contacts')).toHaveLength(46);
		expect(env.graph.log.all().filter((r) => r.path.endsWith('$batch'))).toHaveLength(6);

		env.graph.log.clear();
		const second = await runNode(env, node({ mailboxes: 'ann@contoso.com' }), contacts as unknown as IDataObject[]);
		expect(second.items.every((i) => i.json.action === 'unchanged')).toBe(true);
		expect(writes()).toHaveLength(0);
	});

	it('sends a large folder a slice of batches at a time and resends a lost batch from a later slice once', async () => {
		const many = Array.from({ length: 230 }, (_, i) => contact(`M${String(i).padStart(3, '0')}`));
		// $batch 7 is the first of the second slice (100 writes = 5 batches); it never reaches Exchange.
		env.graph.faults.add({ kind: 'reset', match: { method: 'POST', path: '$batch' }, nth: 7 });
		const result = await runNode(env, node({ mailboxes: 'ann@contoso.com', options: { output: 'summary' } }), many as unknown as IDataObject[]);
		expect(result.items[0].json.counts).toEqual({ created: 230 });
		expect(env.graph.contacts('ann@contoso.com', 'LN Contacts').filter((c) => c.givenName?.startsWith('First M'))).toHaveLength(230);
		const batches = env.graph.log.all().filter((r) => r.path.endsWith('$batch'));
		// 12 batches for 230 creates, the look-up of the 20 lost ones, and their resend.
		expect(batches).toHaveLength(14);
	});

	it('stops mass removals above the brake share', async () => {
		await runNode(env, node(), contacts as unknown as IDataObject[]);
		const result = await runNode(env, node({ options: { output: 'summary' } }), contacts.slice(0, 10) as unknown as IDataObject[]);
		expect(result.items[0].json).toMatchObject({ brake: { removals: 35, linked: 45 } });
		expect(env.graph.contacts('ann@contoso.com', 'LN Contacts')).toHaveLength(46);
	});

	it('fails a contact with no name with a clear reason and synchronizes the others', async () => {
		const bad = contact('C900', { firstName: '', lastName: '', fullName: '', email: '' });
		const result = await runNode(env, node({ mailboxes: 'ann@contoso.com' }), [contacts[0], bad] as unknown as IDataObject[]);
		const failed = result.items.find((i) => i.json.action === 'failed');
		expect(failed?.json.reason).toMatch(/Contact C900: fields firstName, lastName, fullName and email are all empty/);
		expect(result.items.find((i) => i.json.contact === 'C000')?.json.action).toBe('created');
	});

	it('plans without writing in a dry run', async () => {
		const result = await runNode(env, node({ dryRun: true }), contacts.slice(0, 3) as unknown as IDataObject[]);
		expect(result.items.map((i) => i.json.planned)).toEqual(['create', 'create', 'create', 'create', 'create', 'create']);
		expect(writes()).toHaveLength(0);
	});

	it('fails a mailbox the app may not access, and goes on with the others', async () => {
		const result = await runNode(env, node({ mailboxes: 'denied@contoso.com, bob@contoso.com', options: { output: 'summary' } }, { continueOnFail: true }), contacts.slice(0, 2) as unknown as IDataObject[]);
		const denied = result.items.find((i) => i.json.mailbox === 'denied@contoso.com');
		expect(String(denied?.json.error)).toMatch(/ErrorAccessDenied/);
		expect(result.items.find((i) => i.json.mailbox === 'bob@contoso.com')?.json.counts).toEqual({ created: 2 });
	});
});

describe('Event → Sync From LN Activity', () => {
	it("creates the meeting in the organizer's mailbox with invitations, then writes nothing on a second run", async () => {
		const source = activity('A1');
		const first = await runNode(env, syncNode('ann@contoso.com'), [source as unknown as IDataObject]);
		expect(first.error).toBeUndefined();
		const [item] = first.items;
		expect(item.json).toMatchObject({ action: 'create', mode: 'meeting' });
		const [event] = ourEvents('ann@contoso.com');
		expect(event.attendees?.map((a) => a.emailAddress?.address).sort()).toEqual(['bob@contoso.com', 'xena@fabrikam.com']);
		expect(prop(event, LN_KEY_PROPERTY)).toBe('ln:100:activity:A1');
		// Exchange delivered the invitation to Bob (a mailbox of the tenant) with the same iCalUId.
		expect(env.graph.events('bob@contoso.com').map((e) => e.iCalUId)).toEqual([event.iCalUId]);
		// Bob's copy is already in his calendar when Ann's run looks, so he counts as synchronized at once.
		expect(item.json.flags).toEqual([
			{ activity: 'A1', sequence: 1, sentToSynchronizer: true, synchronized: true, mailbox: 'ann@contoso.com' },
			{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: true, mailbox: 'ann@contoso.com' },
			{ activity: 'A1', sequence: 3, sentToSynchronizer: true, synchronized: true, mailbox: 'ann@contoso.com' },
		]);
		expect(item.json.update).toMatchObject({ activity: 'A1', fields: { reference: event.iCalUId } });
		// The event was created inside a $batch: its id there is the immutable one, as every read gives it.
		expect(item.json.eventId).toBe(event.id);

		// LN now holds the flags and the reference; a second run changes nothing.
		const synced: LnActivity = { ...source, reference: event.iCalUId!, attendees: source.attendees.map((a) => ({ ...a, sentToSynchronizer: true, synchronized: true })) };
		env.graph.log.clear();
		const second = await runNode(env, syncNode('ann@contoso.com'), [synced as unknown as IDataObject]);
		expect(second.items[0].json).toMatchObject({ action: 'unchanged', flags: [], attendance: [] });
		expect(writes()).toHaveLength(0);

		// Had LN not got Bob's flag yet, Bob's own run confirms his copy by its iCalUId.
		const pendingForBob: LnActivity = { ...synced, attendees: synced.attendees.map((a) => (a.sequence === 2 ? { ...a, synchronized: false } : a)) };
		const bobRun = await runNode(env, syncNode('bob@contoso.com'), [pendingForBob as unknown as IDataObject]);
		expect(bobRun.items[0].json.flags).toEqual([{ activity: 'A1', sequence: 2, sentToSynchronizer: true, synchronized: true, mailbox: 'bob@contoso.com' }]);
		expect(ourEvents('bob@contoso.com')).toHaveLength(0);
	});

	it("looks for every invited sync user's copy of the meetings it created in shared $batch requests, not one per attendee", async () => {
		const withCat = (id: string) => {
			const source = activity(id);
			return { ...source, attendees: [...source.attendees, attendee(4, { activity: id, role: 'Required', type: 'Employee', code: 'E003', email: 'cat@contoso.com' })] };
		};
		const result = await runNode(env, syncNode('ann@contoso.com'), [withCat('A1'), withCat('A2')] as unknown as IDataObject[]);
		expect(result.error).toBeUndefined();
		for (const item of result.items) {
			expect(item.json).toMatchObject({ action: 'create', mode: 'meeting' });
			// Both copies were there when Ann's run looked: Bob's and Cat's lines count as synchronized at once.
			expect((item.json.flags as Array<{ sequence: number; synchronized: boolean }>).filter((f) => f.sequence === 2 || f.sequence === 4)).toEqual([
				expect.objectContaining({ sequence: 2, synchronized: true }),
				expect.objectContaining({ sequence: 4, synchronized: true }),
			]);
		}
		const lookups = env.graph.log.all().filter((r) => r.batchSeq !== undefined && r.method === 'GET' && /iCalUId[+ ]eq/.test(decodeURIComponent(r.query)));
		expect(new Set(lookups.map((r) => r.mailbox))).toEqual(new Set(['bob@contoso.com', 'cat@contoso.com']));
		expect(new Set(lookups.map((r) => r.batchSeq)).size).toBe(1);
	});

	it("takes a user's activities as one list item (Infor LN's One Item per Input Item) as it takes one item per activity", async () => {
		const listOf = (activities: unknown[]) => [{ employee: 'E001', activities } as unknown as IDataObject];
		const listed = await runNode(env, syncNode('ann@contoso.com'), listOf([activity('A1'), activity('A3')]));
		expect(listed.error).toBeUndefined();
		expect(listed.items.map((i) => [i.json.activity, i.json.action])).toEqual([
			['A1', 'create'],
			['A3', 'create'],
		]);
		expect(listed.items.map((i) => (i.pairedItem as { item: number }).item)).toEqual([0, 0]);
		expect(ourEvents('ann@contoso.com').map((e) => e.subject).sort()).toEqual(['Meeting A1', 'Meeting A3']);
		// An empty list is the whole of the mailbox's activities too: its linked meetings go.
		const emptied = await runNode(env, syncNode('ann@contoso.com'), listOf([]));
		expect(emptied.error).toBeUndefined();
		expect(emptied.items.map((i) => i.json.activity).sort()).toEqual(['A1', 'A3']);
		expect(emptied.items.every((i) => i.json.action !== 'unchanged')).toBe(true);

		const involved = await runNode(env, syncNode('ann@contoso.com', { target: 'involved' }), listOf([activity('A1')]));
		expect(involved.error?.message).toMatch(/Item 0 holds a list of activities; Mailboxes "Every Sync User Involved" takes one activity per item/);
		const bad = await runNode(env, syncNode('ann@contoso.com'), listOf(['A1']));
		expect(bad.error?.message).toMatch(/Events of ann@contoso.com: item 0: entry 0 of field activities is not an LN activity/);
	});

	it('makes no second event when the answer to the create is lost', async () => {
		env.graph.faults.add({ kind: 'lostResponse', match: { method: 'POST', path: '$batch' } });
		const result = await runNode(env, syncNode('ann@contoso.com'), [activity('A1') as unknown as IDataObject]);
		expect(result.error).toBeUndefined();
		expect(result.items[0].json.action).toBe('create');
		expect(ourEvents('ann@contoso.com')).toHaveLength(1);
		expect(env.graph.events('bob@contoso.com')).toHaveLength(1);
	});

	it('writes direct copies, without invitations, when the organizer is not a sync user', async () => {
		const source = activity('A2', {}, { code: 'E099', email: 'zoe@contoso.com' });
		source.attendees.push(attendee(4, { activity: 'A2', role: 'Required', type: 'Employee', code: 'E003', email: 'cat@contoso.com' }));
		for (const mailbox of ['bob@contoso.com', 'cat@contoso.com', 'ann@contoso.com']) {
			await runNode(env, syncNode(mailbox), [source as unknown as IDataObject]);
		}
		for (const mailbox of ['bob@contoso.com', 'cat@contoso.com']) {
			const [copy] = env.graph.events(mailbox);
			expect(copy.attendees ?? []).toEqual([]);
			expect(copy.isOrganizer).toBe(true);
		}
		expect(env.graph.events('zoe@contoso.com')).toHaveLength(0);
		expect(env.graph.events('ann@contoso.com')).toHaveLength(0);
		expect(env.graph.log.all().some((r) => r.mailbox === 'zoe@contoso.com')).toBe(false);
	});

	it("cancels in Exchange when LN cancels, and the cancellation reaches the attendees' calendars", async () => {
		const source = activity('A3');
		await runNode(env, syncNode('ann@contoso.com'), [source as unknown as IDataObject]);
		expect(env.graph.events('bob@contoso.com')).toHaveLength(1);
		const result = await runNode(env, syncNode('ann@contoso.com'), [{ ...source, status: 'Cancelled' } as unknown as IDataObject]);
		expect(result.items[0].json.action).toBe('cancel');
		expect(env.graph.events('ann@contoso.com')).toHaveLength(0);
		expect(env.graph.events('bob@contoso.com')).toHaveLength(0);
	});

	it('patches only what LN changed, and returns Exchange-side changes and responses for LN', async () => {
		const source = activity('A4');
		await runNode(env, syncNode('ann@contoso.com'), [source as unknown as IDataObject]);
		const [event] = ourEvents('ann@contoso.com');
		// As LN holds it after the first run wrote back the event's iCalUId.
		const changedInLn = { ...source, subject: 'Moved agenda', reference: event.iCalUId };
		env.graph.log.clear();
		await runNode(env, syncNode('ann@contoso.com'), [changedInLn as unknown as IDataObject]);
		const patch = env.graph.log.all().find((r) => r.method === 'PATCH');
		expect(patch).toBeDefined();
		expect(ourEvents('ann@contoso.com')[0].subject).toBe('Moved agenda');

		env.graph.updateEvent('ann@contoso.com', event.id!, { location: { displayName: 'Room 7' } });
		const bobCopy = env.graph.events('bob@contoso.com')[0];
		env.graph.respond('bob@contoso.com', bobCopy.id!, 'accept');
		const result = await runNode(env, syncNode('ann@contoso.com'), [changedInLn as unknown as IDataObject]);
		const json = result.items[0].json as { update?: { fields: Record<string, unknown>; link?: { eventId: string; state: { hash: string } } }; attendance: unknown[] };
		expect(json.update?.fields).toEqual({ location: 'Room 7' });
		expect(json.update?.link?.eventId).toBe(event.id);
		expect(json.attendance).toEqual([{ activity: 'A4', sequence: 2, status: 'Accepted', mailbox: 'ann@contoso.com' }]);
		expect(decodeState(prop(ourEvents('ann@contoso.com')[0], LN_STATE_PROPERTY))?.hash).not.toBe(json.update?.link?.state.hash);
	});

	it('leaves out unchanged activities with Output "Changes Only": nothing for an unchanged activity, the change and the responses for a changed one', async () => {
		const source = activity('A4');
		const changesOnly = syncNode('ann@contoso.com', { output: 'changes' });
		const first = await runNode(env, changesOnly, [source as unknown as IDataObject]);
		const [event] = ourEvents('ann@contoso.com');
		// As LN holds it once the first run's work is done: the event's iCalUId, and the attendee flags it asked for.
		const flags = (first.items[0].json as { flags: Array<{ sequence: number; sentToSynchronizer?: boolean; synchronized?: boolean }> }).flags;
		const attendees = source.attendees.map((a) => ({ ...a, ...(flags.find((f) => f.sequence === a.sequence) ?? {}) }));
		const asLnHoldsIt = { ...source, attendees, reference: event.iCalUId } as unknown as IDataObject;
		const unchanged = await runNode(env, changesOnly, [asLnHoldsIt]);
		expect(unchanged.error).toBeUndefined();
		expect(unchanged.items).toEqual([]);
		expect((await runNode(env, syncNode('ann@contoso.com'), [asLnHoldsIt])).items.map((item) => item.json.action)).toEqual(['unchanged']);

		env.graph.updateEvent('ann@contoso.com', event.id!, { location: { displayName: 'Room 7' } });
		env.graph.respond('bob@contoso.com', env.graph.events('bob@contoso.com')[0].id!, 'accept');
		const changed = await runNode(env, changesOnly, [asLnHoldsIt]);
		expect(changed.items).toHaveLength(1);
		expect(changed.items[0].json).toMatchObject({ activity: 'A4', update: { fields: { location: 'Room 7' } }, attendance: [{ status: 'Accepted' }] });

		// A skipped activity (here: beyond the horizon) is left out too; the run report has its reason.
		const later = activity('A5', { start: iso(NOW.plus({ days: 400 })), end: iso(NOW.plus({ days: 400, hours: 1 })) }) as unknown as IDataObject;
		const every = await runNode(env, syncNode('ann@contoso.com'), [later]);
		expect(every.items.filter((item) => item.json.activity === 'A5').map((item) => [item.json.action, item.json.reason])).toEqual([['skip', 'starts after the horizon of 365 days']]);
		expect((await runNode(env, changesOnly, [later])).items.filter((item) => item.json.activity === 'A5')).toEqual([]);
	});

	it('does every write exactly once through a 429 MailboxConcurrency storm', async () => {
		env.graph.faults.add({ kind: 'status', status: 429, times: 12, probability: 0.5, seed: 7, match: { mailbox: 'ann@contoso.com' }, headers: { 'Retry-After': '0' }, body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } } });
		const sources = Array.from({ length: 30 }, (_, i) => activity(`S${i}`));
		const result = await runNode(env, syncNode('ann@contoso.com'), sources as unknown as IDataObject[]);
		expect(result.error).toBeUndefined();
		expect(result.items.every((i) => i.json.action === 'create')).toBe(true);
		const events = ourEvents('ann@contoso.com');
		expect(events).toHaveLength(30);
		expect(new Set(events.map((e) => prop(e, LN_KEY_PROPERTY))).size).toBe(30);
		expect(env.graph.log.all().some((r) => r.status === 429)).toBe(true);
	});

	it("never touches a mailbox that is not a sync user's", async () => {
		const result = await runNode(env, syncNode('zoe@contoso.com'), [activity('A5') as unknown as IDataObject]);
		expect(String(result.error?.message)).toMatch(/zoe@contoso.com is not an active sync user/);
		expect(env.graph.log.all().some((r) => r.mailbox === 'zoe@contoso.com')).toBe(false);
	});
});

describe('Event → Get Changes and Link to LN Activity', () => {
	const changesNode = (mailbox: string, extra: Record<string, unknown> = {}) =>
		// A stable name: the delta link is kept in the static data of this node.
		exchange({ resource: 'event', operation: 'getChanges', mailbox: { __rl: true, mode: 'email', value: mailbox }, company: '100', syncUsers: SYNC_USERS, output: 'all', ...extra }, { name: 'Get Changes' });
	const start = NOW.plus({ days: 3 }).startOf('hour');
	const meeting = (subject: string, extra: Partial<Event> = {}): Event => ({
		subject,
		start: { dateTime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
		end: { dateTime: start.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
		...extra,
	});

	it('reports new events over several delta pages, and again on the next run until they are linked', async () => {
		for (let i = 0; i < 125; i++) env.graph.createEvent('cat@contoso.com', meeting(`Event ${i}`));
		const first = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-1');
		const created = first.items.filter((i) => i.json.action === 'createInLn');
		expect(created).toHaveLength(125);
		expect(new Set(created.map((i) => i.json.eventId)).size).toBe(125);
		expect(created[0].json.appointment).toMatchObject({ subject: expect.stringMatching(/^Event /), attendees: [{ email: 'cat@contoso.com', role: 'MeetingOrganizer' }] });
		expect(env.graph.log.all().filter((r) => r.path.endsWith('calendarView/delta')).length).toBeGreaterThanOrEqual(2);
		env.graph.log.clear();
		const second = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-1');
		// They were handed to LN last time but never linked: they come again, so nothing is lost.
		expect(second.items.filter((i) => i.json.action === 'createInLn')).toHaveLength(125);
		expect(env.graph.log.all().filter((r) => r.path.endsWith('calendarView/delta'))).toHaveLength(1);
	});

	it('links an event after LN created the appointment, after which it is no longer reported', async () => {
		env.graph.createEvent('cat@contoso.com', meeting('Linked later'));
		const first = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-2');
		const change = first.items.find((i) => i.json.action === 'createInLn')!.json;
		const link = await runNode(
			env,
			exchange({ resource: 'event', operation: 'linkToLnActivity', mailbox: { __rl: true, mode: 'email', value: 'cat@contoso.com' }, eventId: '={{ $json.eventId }}', company: '100', activity: 'ACT000777', hash: '={{ $json.hash }}', origin: 'exchange' }),
			[{ ...change }],
		);
		expect(link.items[0].json.action).toBe('linked');
		const second = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-2');
		expect(second.items.filter((i) => i.json.action === 'createInLn')).toHaveLength(0);
		env.graph.updateEvent('cat@contoso.com', String(change.eventId), { subject: 'Renamed in Outlook' });
		const third = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-2');
		expect(third.items.map((i) => [i.json.activity, i.json.contentChanged, i.json.echo])).toEqual([['ACT000777', true, false]]);
	});

	it('links the events of several mailboxes at a time; a failed link fails the node after the others are stored', async () => {
		const mailboxes = ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com'];
		const events = mailboxes.map((mailbox) => ({ mailbox, event: env.graph.createEvent(mailbox, meeting(`To link in ${mailbox}`)) }));
		const input = events.map(({ mailbox, event }, n) => ({ mailbox, eventId: event.id, iCalUId: event.iCalUId, activity: `ACT00090${n}` }));
		// The first mailbox's event is gone by the time it is linked.
		env.graph.deleteEvent(mailboxes[0], String(events[0].event.id));
		const node = (continueOnFail: boolean) =>
			exchange(
				{ resource: 'event', operation: 'linkToLnActivity', mailbox: { __rl: true, mode: 'email', value: '={{ $json.mailbox }}' }, eventId: '={{ $json.eventId }}', iCalUId: '={{ $json.iCalUId }}', company: '100', activity: '={{ $json.activity }}', hash: 'abcdef0123456789', origin: 'exchange', mailboxesAtATime: 2 },
				{ continueOnFail },
			);
		const failed = await runNode(env, node(false), input);
		expect(String(failed.error?.message)).toMatch(/Could not link event .* of ann@contoso.com to LN activity ACT000900/);
		const linkOf = (mailbox: string, id: string) =>
			env.graph.events(mailbox).find((e) => e.id === id)?.singleValueExtendedProperties?.find((p) => p.value?.startsWith('ln:'))?.value;
		expect(linkOf(mailboxes[1], String(events[1].event.id))).toBe('ln:100:activity:ACT000901');
		expect(linkOf(mailboxes[2], String(events[2].event.id))).toBe('ln:100:activity:ACT000902');
		const going = await runNode(env, node(true), input);
		expect(going.items.map((i) => [i.json.mailbox, i.json.action])).toEqual([
			['ann@contoso.com', 'failed'],
			['bob@contoso.com', 'linked'],
			['cat@contoso.com', 'linked'],
		]);
	});

	it('leaves the delta link in a dry run: the real run after it gets the same change', async () => {
		const created = env.graph.createEvent('cat@contoso.com', meeting('Seen twice'));
		const first = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-dry');
		const change = first.items.find((i) => i.json.eventId === created.id)!.json;
		await runNode(env, exchange({ resource: 'event', operation: 'linkToLnActivity', mailbox: { __rl: true, mode: 'email', value: 'cat@contoso.com' }, eventId: '={{ $json.eventId }}', company: '100', activity: 'ACT000778', hash: '={{ $json.hash }}', origin: 'exchange' }), [{ ...change }]);
		await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-dry');
		env.graph.updateEvent('cat@contoso.com', created.id!, { subject: 'Renamed before a dry run' });
		const changed = (run: Awaited<ReturnType<typeof runNode>>) => run.items.filter((i) => i.json.eventId === created.id).map((i) => [i.json.activity, i.json.contentChanged]);
		expect(changed(await runNode(env, changesNode('cat@contoso.com', { dryRun: true }), [{}], 'changes-dry'))).toEqual([['ACT000778', true]]);
		expect(changed(await runNode(env, changesNode('cat@contoso.com', { dryRun: true }), [{}], 'changes-dry'))).toEqual([['ACT000778', true]]);
		expect(changed(await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-dry'))).toEqual([['ACT000778', true]]);
		expect(changed(await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-dry'))).toEqual([]);
	});

	it('recovers from an expired delta token with a full read that creates nothing twice', async () => {
		env.graph.createEvent('cat@contoso.com', meeting('Before expiry'));
		const first = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-3');
		const change = first.items.find((i) => i.json.action === 'createInLn')!.json;
		await runNode(env, exchange({ resource: 'event', operation: 'linkToLnActivity', mailbox: { __rl: true, mode: 'email', value: 'cat@contoso.com' }, eventId: String(change.eventId), iCalUId: String(change.iCalUId), company: '100', activity: 'ACT000001', hash: String(change.hash), origin: 'exchange' }));
		env.graph.expireDeltaTokens('cat@contoso.com');
		const second = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-3');
		expect(second.error).toBeUndefined();
		expect(second.items.filter((i) => i.json.action === 'createInLn')).toHaveLength(0);
		expect(second.items.find((i) => i.json.eventId === change.eventId)?.json).toMatchObject({ activity: 'ACT000001', echo: true });
	});

	it('does not treat an event that left the window as deleted', async () => {
		const created = env.graph.createEvent('cat@contoso.com', meeting('Moving out'));
		await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-4');
		const far = NOW.plus({ days: 800 });
		env.graph.updateEvent('cat@contoso.com', created.id!, {
			start: { dateTime: far.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
			end: { dateTime: far.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' },
		});
		const result = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-4');
		const removed = result.items.find((i) => i.json.eventId === created.id);
		expect(removed?.json).toMatchObject({ changeType: 'removed', removedReason: 'changed', action: 'none' });
	});

	it('skips private events, events another sync user owns, and occurrences beyond the cap', async () => {
		env.graph.createEvent('cat@contoso.com', meeting('Private', { sensitivity: 'private' }));
		env.graph.createEvent('ann@contoso.com', meeting('Ann organizes', { attendees: [{ emailAddress: { address: 'cat@contoso.com' }, type: 'required' }] }));
		env.graph.createEvent('cat@contoso.com', meeting('Weekly', {
			recurrence: {
				pattern: { type: 'weekly', interval: 1, daysOfWeek: [start.toFormat('cccc').toLowerCase() as 'monday'] },
				range: { type: 'numbered', startDate: start.toISODate()!, numberOfOccurrences: 6, recurrenceTimeZone: 'UTC' },
			},
		}));
		const result = await runNode(env, changesNode('cat@contoso.com', { occurrenceCap: 4 }), [{}], 'changes-5');
		const bySubject = (subject: string) => result.items.filter((i) => i.json.subject === subject);
		expect(bySubject('Private')[0].json).toMatchObject({ action: 'skip', reason: expect.stringMatching(/private/) });
		expect(bySubject('Ann organizes')[0].json).toMatchObject({ action: 'skip', owner: 'ann@contoso.com' });
		const weekly = bySubject('Weekly');
		expect(weekly.filter((i) => i.json.action === 'createInLn')).toHaveLength(4);
		expect(weekly.filter((i) => i.json.action === 'skip')).toHaveLength(2);
		expect(new Set(weekly.map((i) => i.json.iCalUId)).size).toBe(6);
	});

	it("takes a meeting from outside the sync users into LN from the next attendee's calendar when the first by address declined or deleted hers", async () => {
		const invited = { attendees: ['cat@contoso.com', 'ann@contoso.com'].map((address) => ({ emailAddress: { address }, type: 'required' as const })) };
		const single = env.graph.createEvent('zoe@contoso.com', meeting('Zoe single', invited));
		const series = env.graph.createEvent('zoe@contoso.com', meeting('Zoe weekly', {
			...invited,
			recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: [start.setLocale('en').toFormat('cccc').toLowerCase() as 'monday'] }, range: { type: 'numbered', startDate: start.toISODate()!, numberOfOccurrences: 2, recurrenceTimeZone: 'UTC' } },
		}));
		const kept = env.graph.createEvent('zoe@contoso.com', meeting('Zoe kept', invited));
		const annCopy = (uid: string | null | undefined) => env.graph.events('ann@contoso.com').find((e) => e.iCalUId === uid && e.type !== 'occurrence')!;
		env.graph.respond('ann@contoso.com', annCopy(single.iCalUId).id!, 'decline');
		env.graph.deleteEvent('ann@contoso.com', annCopy(series.iCalUId).id!);
		const result = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-owner');
		const bySubject = (subject: string) => result.items.filter((i) => i.json.subject === subject).map((i) => i.json);
		expect(bySubject('Zoe single')).toMatchObject([{ action: 'createInLn', owner: 'cat@contoso.com', appointment: { attendees: expect.arrayContaining([expect.objectContaining({ email: 'ann@contoso.com', notInCalendar: true })]) } }]);
		expect(bySubject('Zoe weekly').map((c) => c.action)).toEqual(['createInLn', 'createInLn']);
		// Ann still has this one: hers to take, and Cat's run leaves it.
		expect(bySubject('Zoe kept')).toMatchObject([{ action: 'skip', owner: 'ann@contoso.com' }]);
		expect(annCopy(kept.iCalUId)).toBeDefined();

		// A calendar the app may not read cannot take it either; a lookup that fails otherwise fails this read (the delta link stays).
		const later = env.graph.createEvent('zoe@contoso.com', meeting('Zoe later', invited));
		env.graph.faults.add({ kind: 'status', status: 403, match: { path: '/events', mailbox: 'ann@contoso.com' }, times: 0, body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied.' } } });
		try {
			const denied = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-owner');
			expect(denied.items.filter((i) => i.json.subject === 'Zoe later').map((i) => i.json)).toMatchObject([{ action: 'createInLn', owner: 'cat@contoso.com' }]);
		} finally {
			env.graph.faults.clear();
		}
		env.graph.updateEvent('zoe@contoso.com', later.id!, { subject: 'Zoe later, moved' });
		env.graph.faults.add({ kind: 'status', status: 503, match: { path: '/events', mailbox: 'ann@contoso.com' }, times: 0, headers: { 'Retry-After': '0' } });
		try {
			const failed = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-owner');
			expect(failed.items.filter((i) => i.json.subject === 'Zoe later, moved')).toEqual([]);
			expect(JSON.stringify(failed.run.data.resultData.runData)).toMatch(/503/);
		} finally {
			env.graph.faults.clear();
		}
		// Reported again once Ann's calendar answers: she holds it, so it is hers.
		const again = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-owner');
		expect(again.items.filter((i) => i.json.subject === 'Zoe later, moved').map((i) => i.json)).toMatchObject([{ action: 'skip', owner: 'ann@contoso.com' }]);
	});

	it('follows a linked series occurrence by occurrence: a moved one updates LN, a cancelled one cancels it', async () => {
		const master = env.graph.createEvent('cat@contoso.com', meeting('Standup', {
			recurrence: {
				pattern: { type: 'daily', interval: 1 },
				range: { type: 'numbered', startDate: start.toISODate()!, numberOfOccurrences: 3, recurrenceTimeZone: 'UTC' },
			},
		}));
		const first = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-6');
		const occurrences = first.items.filter((i) => i.json.action === 'createInLn');
		expect(occurrences).toHaveLength(3);
		// The series and its occurrences are read in one $batch, not one request each.
		const seriesReads = env.graph.log.all().filter((r) => r.method === 'GET' && r.path.includes(`/events/${master.id}`));
		expect(seriesReads.map((r) => r.path.endsWith('/instances'))).toEqual([false, true]);
		expect(seriesReads.every((r) => r.batchSeq !== undefined && r.batchSeq === seriesReads[0].batchSeq)).toBe(true);
		env.graph.log.clear();
		const link = await runNode(
			env,
			exchange({ resource: 'event', operation: 'linkToLnActivity', mailbox: { __rl: true, mode: 'email', value: 'cat@contoso.com' }, eventId: '={{ $json.eventId }}', seriesMasterId: '={{ $json.seriesMasterId }}', iCalUId: '={{ $json.iCalUId }}', company: '100', activity: '={{ "OCC" + $itemIndex }}', hash: '={{ $json.hash }}', origin: 'exchange' }),
			occurrences.map((i) => i.json),
		);
		expect(link.items.map((i) => i.json.action)).toEqual(['linked', 'linked', 'linked']);
		// The link reads the master, then writes it and reads its occurrences (for their new etags) in one $batch.
		const linkRequests = env.graph.log.all().filter((r) => !r.path.endsWith('/token'));
		expect(linkRequests.map((r) => `${r.method} ${r.path.endsWith('$batch') ? '$batch' : r.path.endsWith('/instances') ? 'instances' : 'event'}${r.batchSeq !== undefined ? ' (in $batch)' : ''}`).sort()).toEqual([
			'GET event',
			'GET instances (in $batch)',
			'PATCH event (in $batch)',
			'POST $batch',
		]);
		// The occurrences themselves stay untouched (no exception is made of them).
		expect(env.graph.events('cat@contoso.com').filter((e) => e.type === 'exception')).toHaveLength(0);
		const quiet = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-6');
		expect(quiet.items.filter((i) => i.json.action !== 'none')).toEqual([]);

		const [moved, cancelled] = occurrences.map((i) => String(i.json.eventId));
		const later = start.plus({ hours: 3 });
		env.graph.updateEvent('cat@contoso.com', moved, { start: { dateTime: later.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' }, end: { dateTime: later.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' } });
		env.graph.deleteEvent('cat@contoso.com', cancelled);
		const changes = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-6');
		const byAction = Object.fromEntries(changes.items.filter((i) => i.json.action !== 'none').map((i) => [i.json.action, i.json]));
		expect(byAction.updateLn).toMatchObject({ activity: 'OCC0', update: { activity: 'OCC0', fields: { start: `${later.toFormat("yyyy-MM-dd'T'HH:mm")}:00Z` } } });
		expect(byAction.cancelInLn).toMatchObject({ activity: 'OCC1', update: { fields: { status: 'Cancelled' } } });
		// After LN took both: the moved one is linked with its new hash, the cancelled one unlinked; nothing comes again.
		const linkNode = (linkAction: string) =>
			exchange({ resource: 'event', operation: 'linkToLnActivity', linkAction, mailbox: { __rl: true, mode: 'email', value: 'cat@contoso.com' }, eventId: '={{ $json.eventId }}', seriesMasterId: master.id, iCalUId: '={{ $json.iCalUId }}', company: '100', activity: '={{ $json.activity }}', hash: '={{ $json.hash }}', origin: 'exchange' });
		await runNode(env, linkNode('link'), [byAction.updateLn]);
		await runNode(env, linkNode('unlink'), [byAction.cancelInLn]);
		const after = await runNode(env, changesNode('cat@contoso.com'), [{}], 'changes-6');
		expect(after.items.filter((i) => i.json.action !== 'none')).toEqual([]);
	});

	it('gets one event with its link (push), and reports a deleted one as removed', async () => {
		const created = env.graph.createEvent('cat@contoso.com', meeting('One'));
		const get = (eventId: string) =>
			runNode(env, exchange({ resource: 'event', operation: 'get', mailbox: { __rl: true, mode: 'email', value: 'cat@contoso.com' }, eventId, company: '100', syncUsers: SYNC_USERS }));
		expect((await get(created.id!)).items[0].json).toMatchObject({ action: 'createInLn', iCalUId: created.iCalUId });
		env.graph.deleteEvent('cat@contoso.com', created.id!);
		expect((await get(created.id!)).items[0].json).toMatchObject({ changeType: 'removed', removedReason: 'deleted' });
		// A push about a series itself: nothing for LN (its occurrences are), not a failure.
		const series = env.graph.createEvent('cat@contoso.com', meeting('Weekly push', {
			recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: [start.setLocale('en').toFormat('cccc').toLowerCase() as 'monday'] }, range: { type: 'numbered', startDate: start.toISODate()!, numberOfOccurrences: 2, recurrenceTimeZone: 'UTC' } },
		}));
		expect((await get(series.id!)).items[0].json).toMatchObject({ action: 'skip', type: 'seriesMaster', reason: expect.stringMatching(/series/) });
	});

	it('refuses an LN Company that is not a company number before reading anything', async () => {
		const sent = env.graph.log.all().length;
		const result = await runNode(
			env,
			exchange({ resource: 'event', operation: 'get', mailbox: { __rl: true, mode: 'email', value: 'cat@contoso.com' }, eventId: 'AAMk1', company: "100' or true or 'x", syncUsers: SYNC_USERS }),
		);
		expect(String(result.error?.message)).toContain(`field LN Company "100' or true or 'x" must be an LN company number`);
		expect(env.graph.log.all().slice(sent).filter((r) => !r.path.includes('token'))).toEqual([]);
	});
});

describe('Mailbox State → Load and Save (the leased rows of the mailbox Data Table)', () => {
	const start = NOW.plus({ days: 4 }).startOf('hour');
	const users = JSON.stringify(USERS.filter((u) => u.email !== 'zoe@contoso.com').map((u) => ({ ...u, email: u.email.toUpperCase() })));
	/** Load → Get Changes (and Link, when asked) → Save, in one execution as in the pull's per-shard run. */
	function stateWorkflow(leasedRows: Array<{ mailbox: string; state?: string }>, link?: { activity: string }) {
		const load = exchange({ resource: 'mailboxState', operation: 'load', users, store: 'table', leasedRows: JSON.stringify(leasedRows) }, { name: 'Load', position: [0, 0] });
		const changes = exchange({ resource: 'event', operation: 'getChanges', mailbox: { __rl: true, mode: 'email', value: '={{ $json.email }}' }, company: '100', syncUsers: SYNC_USERS, output: 'all' }, { name: 'Changes', position: [200, 0] });
		const linkNode = exchange({ resource: 'event', operation: 'linkToLnActivity', mailbox: { __rl: true, mode: 'email', value: '={{ $json.mailbox }}' }, eventId: '={{ $json.eventId }}', company: '100', activity: link?.activity ?? '', hash: '={{ $json.hash }}', origin: 'exchange' }, { name: 'Link', position: [400, 0] });
		const save = exchange({ resource: 'mailboxState', operation: 'save' }, { name: 'Save', position: [200, 200] });
		const main = (...nodes: string[]) => ({ main: [nodes.map((node) => ({ node, type: 'main' as const, index: 0 }))] });
		return {
			id: 'mailbox-state',
			name: 'mailbox state',
			nodes: link ? [load, changes, linkNode, save] : [load, changes, save],
			connections: { Load: main('Changes', 'Save'), ...(link ? { Changes: main('Link') } : {}) },
		};
	}
	const run = async (workflow: ReturnType<typeof stateWorkflow>, startNode = 'Load') => {
		const result = await env.runner.run(workflow, { startNode, inputItems: [{ json: {} }], mode: 'trigger' });
		expect(result.error).toBeUndefined();
		return result;
	};
	const deltaQueries = () => env.graph.log.all().filter((r) => r.mailbox === 'cat@contoso.com' && r.path.endsWith('calendarView/delta')).map((r) => r.query);

	it('goes on with the users whose mailbox it leased, with their cursor, and gives back the new state for their row only', async () => {
		const created = env.graph.createEvent('cat@contoso.com', { subject: 'Leased', start: { dateTime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' }, end: { dateTime: start.plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' } });
		env.graph.log.clear();
		const first = await run(stateWorkflow([{ mailbox: 'cat@contoso.com', state: '' }], { activity: 'ACT000901' }));
		expect(first.output('Load').map((item) => item.json.email)).toEqual(['CAT@CONTOSO.COM']);
		expect(deltaQueries().every((query) => !query.includes('deltatoken'))).toBe(true);
		const [saved] = first.output('Save').map((item) => item.json);
		expect(saved.mailbox).toBe('cat@contoso.com');
		const state = JSON.parse(String(saved.state));
		expect(state.cursors['100'].deltaLink).toMatch(/deltatoken/);
		// The link left a changeKey: noted in the row, not in the workflow's static data.
		expect(Object.keys(state.echoes)).toEqual([created.id]);
		expect(JSON.stringify(first.staticData)).not.toMatch(/deltaLink|lnExchangeEchoes/);

		env.graph.log.clear();
		const second = await run(stateWorkflow([{ mailbox: 'cat@contoso.com', state: String(saved.state) }]));
		expect(deltaQueries()).toEqual([expect.stringContaining('deltatoken')]);
		expect(second.output('Changes').find((item) => item.json.eventId === created.id)?.json).toMatchObject({ echo: true, reason: 'an echo of our own write' });
		expect(JSON.parse(String(second.output('Save')[0].json.state)).echoes).toEqual({});
	});

	it('leaves the users whose lease another execution holds, with a warning in their report', async () => {
		const load = exchange({ resource: 'mailboxState', operation: 'load', users: '[{"email":"bob@contoso.com"}]', store: 'table', leasedRows: '[{}]' }, { name: 'Load', position: [200, 0] });
		const report = ourNode('inforLn', { resource: 'report', operation: 'build', scope: 'user', mailbox: 'bob@contoso.com', user: '' }, { name: 'Report', position: [200, 200] });
		const start = { id: 'start', name: 'Start', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
		const result = await run({ id: 'lease-held', name: 'lease held', nodes: [start, load, report], connections: { Start: { main: [[{ node: 'Load', type: 'main', index: 0 }, { node: 'Report', type: 'main', index: 0 }]] } } } as never, 'Start');
		expect(result.output('Load')).toEqual([]);
		expect(result.output('Report')[0].json.warnings).toEqual([{ ref: 'lease', message: expect.stringMatching(/another execution is syncing this mailbox/) }]);
	});

	it('reads a row whose state is unreadable in full once, with a warning, and names a user without an e-mail', async () => {
		env.graph.log.clear();
		const result = await run(stateWorkflow([{ mailbox: 'cat@contoso.com', state: '{"cursors": [' }]));
		expect(deltaQueries().every((query) => !query.includes('deltatoken'))).toBe(true);
		expect(JSON.parse(String(result.output('Save')[0].json.state)).cursors['100'].deltaLink).toMatch(/deltatoken/);
		const bad = await runNode(env, exchange({ resource: 'mailboxState', operation: 'load', users: '[{"email":"ann@contoso.com"},{"employee":"E009"}]', store: 'workflow' }));
		expect(bad.error?.message).toMatch(/Users: entry 2 has no field "email"/);
	});
});

describe('Subscription operations', () => {
	it('creates, lists, renews and deletes subscriptions without showing the clientState', async () => {
		const { startLocalServer } = await import('../helpers/local-server');
		const receiver = await startLocalServer((req) => (req.query.get('validationToken') ? { status: 200, headers: { 'content-type': 'text/plain' }, body: req.query.get('validationToken')! } : { status: 202 }));
		try {
			const created = await runNode(env, exchange({ resource: 'subscription', operation: 'create', mailboxes: 'ann@contoso.com, bob@contoso.com', watch: 'events', changeTypes: ['created', 'updated', 'deleted'], notificationUrl: `${receiver.url}/hook`, clientState: 'secret-state-123', minutes: 60 }));
			expect(created.error).toBeUndefined();
			expect(created.items).toHaveLength(2);
			expect(JSON.stringify(created.items)).not.toContain('secret-state-123');
			const listed = await runNode(env, exchange({ resource: 'subscription', operation: 'getMany', urlContains: '/hook' }));
			expect(listed.items).toHaveLength(2);
			// They expire within the margin, so they are renewed to the longest lifetime.
			const renewed = await runNode(env, exchange({ resource: 'subscription', operation: 'renew', renewWhich: 'expiring', marginHours: 48, urlContains: '/hook', minutes: 10079 }));
			expect(renewed.items.map((i) => i.json.renewed)).toEqual([true, true]);
			expect(Date.parse(String(renewed.items[0].json.expirationDateTime))).toBeGreaterThan(Date.now() + 6.9 * 24 * 3_600_000);
			const notYet = await runNode(env, exchange({ resource: 'subscription', operation: 'renew', renewWhich: 'expiring', marginHours: 48, urlContains: '/hook', minutes: 10079 }));
			expect(notYet.items.map((i) => i.json.renewed)).toEqual([false, false]);
			const id = String(created.items[0].json.id);
			const deleted = await runNode(env, exchange({ resource: 'subscription', operation: 'delete', subscriptionId: id }));
			expect(deleted.items[0].json).toEqual({ id, deleted: true });
			const again = await runNode(env, exchange({ resource: 'subscription', operation: 'delete', subscriptionId: id }));
			expect(again.items[0].json).toEqual({ id, deleted: false });
		} finally {
			env.graph.clockOffsetMs = 0;
			await receiver.close();
		}
	});
});
