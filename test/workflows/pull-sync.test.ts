import type { Event } from '@microsoft/microsoft-graph-types';

import type { Environment } from '../harness/environment';
import type { RunResult } from '../harness/workflow-runner';
import { endState, runPullExpectingFailures, scenarioEnvironment, shipped, withSettings, writes } from './workflow-helpers';

const pull = shipped('pull-sync.json');

type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };
const lnKey = (event: WithProps) => event.singleValueExtendedProperties?.find((p) => p.id?.endsWith('Name LnKey'))?.value;

async function runPull(env: Environment, workflow = pull): Promise<RunResult> {
	const result = await env.runner.run(workflow, { startNode: 'Run now' });
	if (result.error) throw result.error;
	return result;
}

function report(result: RunResult) {
	return result.output('Run report').map((item) => item.json as Record<string, any>);
}

describe('pull sync, first run on a seeded tenant', () => {
	let env: Awaited<ReturnType<typeof scenarioEnvironment>>;
	let first: RunResult;
	beforeAll(async () => {
		env = await scenarioEnvironment([pull]);
		first = await runPull(env);
	});
	afterAll(() => env.stop());

	it('writes the LN contacts marked Synchronize into each sync user\'s folder, and nothing else', () => {
		for (const mailbox of ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com']) {
			const names = env.graph.contacts(mailbox, 'LN Contacts').map((c) => c.displayName).sort();
			expect(names).toEqual(['Uma Fabrikam', 'Vera Fabrikam', 'Walt Fabrikam', 'Xena Fabrikam', 'Yuri Fabrikam']);
		}
		expect(env.graph.contacts('bob@contoso.com').map((c) => c.displayName)).toContain("Bob's own contact");
		expect(env.graph.contacts('zoe@contoso.com')).toEqual([]);
	});

	it("creates a meeting Ann organizes in Ann's mailbox with the invitations, and Exchange delivers Bob's copy", () => {
		const [meeting] = (env.graph.events('ann@contoso.com') as WithProps[]).filter((e) => e.subject === 'Quarterly review');
		expect(meeting.isOrganizer).toBe(true);
		expect(meeting.attendees?.map((a) => a.emailAddress?.address).sort()).toEqual(['bob@contoso.com', 'xena@fabrikam.com']);
		expect(lnKey(meeting)).toBe('ln:100:activity:ACT000001');
		const bobCopy = env.graph.events('bob@contoso.com').find((e) => e.subject === 'Quarterly review');
		expect(bobCopy?.iCalUId).toBe(meeting.iCalUId);
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.reference).toBe(meeting.iCalUId);
	});

	it('sets the attendee flags: sent and synchronized, a sync user only once the event is in their calendar', () => {
		const flags = env.ln.list('100', 'attendees').filter((a) => a.activity === 'ACT000001').map((a) => [a.sequence, a.sentToSynchronizer, a.synchronized]);
		expect(flags).toEqual([
			[1, 'Yes', 'Yes'],
			[2, 'Yes', 'Yes'],
			[3, 'Yes', 'Yes'],
		]);
		// Each flag write carries the ETag read with the activity: no attendee is read on its own first.
		expect(env.ln.log.all().filter((r) => r.method === 'GET' && r.path.includes('Attendees(')).map((r) => r.path)).toEqual([]);
		expect(env.ln.log.all().filter((r) => r.method === 'PATCH' && r.path.includes('Attendees(')).length).toBeGreaterThan(0);
	});

	it('writes direct copies without attendees when the organizer is not a sync user, and never touches her mailbox', () => {
		for (const mailbox of ['bob@contoso.com', 'cat@contoso.com']) {
			const copy = (env.graph.events(mailbox) as WithProps[]).find((e) => e.subject === 'Zoe briefs the team')!;
			expect(copy.attendees ?? []).toEqual([]);
			expect(lnKey(copy)).toBe('ln:100:activity:ACT000002');
		}
		expect(env.graph.events('zoe@contoso.com')).toEqual([]);
		expect(env.graph.log.all().some((r) => r.mailbox === 'zoe@contoso.com')).toBe(false);
		const reasons = report(first).find((r) => r.mailbox === 'ann@contoso.com')!.skipped.map((s: { message: string }) => s.message).join('\n');
		expect(reasons).toMatch(/not marked|Synchronize is not set|takes no part|not invited/);
	});

	it('leaves past events, tasks and activities not marked Synchronize alone', () => {
		const subjects = ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com'].flatMap((m) => env.graph.events(m).map((e) => e.subject));
		for (const subject of ['Last week', 'Prepare slides', 'Not marked Synchronize']) expect(subjects).not.toContain(subject);
		const past = env.ln.list('100', 'attendees').filter((a) => a.activity === 'ACT000003');
		expect(past.every((a) => a.sentToSynchronizer === 'No' && a.synchronized === 'No')).toBe(true);
		expect(env.ln.list('100', 'activities').some((a) => a.subject === 'Yesterday')).toBe(false);
	});

	it('creates one LN appointment per Exchange meeting, with its attendees, linked back', () => {
		const created = env.ln.list('100', 'activities').filter((a) => a.subject === 'Customer workshop');
		expect(created).toHaveLength(1);
		const attendees = env.ln.list('100', 'attendees').filter((a) => a.activity === created[0].id).map((a) => `${a.role}:${a.type}:${a.code ?? ''}:${a.email}:${a.invite}`);
		expect(attendees).toEqual(['MeetingOrganizer:Employee:E001:ann@contoso.com:No', 'Required:Employee:E002:bob@contoso.com:Yes', 'Optional:Other::walter@elsewhere.org:Yes']);
		const source = (env.graph.events('ann@contoso.com') as WithProps[]).find((e) => e.subject === 'Customer workshop')!;
		expect(lnKey(source)).toBe(`ln:100:activity:${created[0].id}`);
	});

	it('skips private events, and makes each occurrence of a series its own appointment', () => {
		expect(env.ln.list('100', 'activities').some((a) => a.subject === 'Dentist')).toBe(false);
		expect(report(first).find((r) => r.mailbox === 'cat@contoso.com')!.skipped.map((s: { message: string }) => s.message).join('\n')).toMatch(/private/);
		expect(env.ln.list('100', 'activities').filter((a) => a.subject === 'Weekly sync')).toHaveLength(3);
	});

	it('reports one item per sync user and a total', () => {
		const items = report(first);
		expect(items.map((r) => `${r.kind}:${r.mailbox}`)).toEqual(['user:ann@contoso.com', 'user:bob@contoso.com', 'user:cat@contoso.com', 'total:*']);
		const total = items[3];
		expect(total.users).toBe(3);
		expect(total.counts).toMatchObject({ contactsCreated: 15, lnAppointmentsCreated: 4 });
		expect(total.counts.eventsCreated).toBe(4);
		expect(total.requests.ln).toBeGreaterThan(0);
		expect(total.requests.graph).toBeGreaterThan(0);
		expect(total.errors).toEqual([]);
	});

	it('writes nothing anywhere on a second run with no changes', async () => {
		env.graph.log.clear();
		env.ln.log.clear();
		const second = await runPull(env);
		expect(writes(env)).toEqual({ graph: [], ln: [] });
		const total = report(second).find((r) => r.kind === 'total')!;
		expect(total.counts).toMatchObject({ eventsCreated: 0, eventsUpdated: 0, contactsCreated: 0, lnAppointmentsCreated: 0, flagsSet: 0 });
		// At most 4 Graph requests per mailbox: contact folder, delta, linked events, and whether the
		// invitations of meetings other users organize are still in the calendar (one $batch).
		for (const mailbox of ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com']) {
			expect(env.graph.log.all().filter((r) => r.mailbox === mailbox && r.batchSeq === undefined).length).toBeLessThanOrEqual(4);
		}
	});
});

describe('pull sync, changes on both sides', () => {
	let env: Awaited<ReturnType<typeof scenarioEnvironment>>;
	beforeEach(async () => {
		env = await scenarioEnvironment([pull]);
		await runPull(env);
	});
	afterEach(() => env.stop());

	const annEvent = (subject: string) => (env.graph.events('ann@contoso.com') as WithProps[]).find((e) => e.subject === subject)!;

	it('takes an LN change to Exchange and an Exchange change to LN', async () => {
		env.ln.update('100', 'activities', { id: 'ACT000001' }, { location: 'Board room' });
		env.graph.updateEvent('ann@contoso.com', annEvent('Customer workshop').id!, { location: { displayName: 'Room 42' } });
		await runPull(env);
		expect(annEvent('Quarterly review').location?.displayName).toBe('Board room');
		expect(env.graph.events('bob@contoso.com').find((e) => e.subject === 'Quarterly review')?.location?.displayName).toBe('Board room');
		expect(env.ln.list('100', 'activities').find((a) => a.subject === 'Customer workshop')?.location).toBe('Room 42');
		env.graph.log.clear();
		env.ln.log.clear();
		await runPull(env);
		expect(writes(env)).toEqual({ graph: [], ln: [] });
	});

	it.each([
		['originWins', 'LN subject', 'LN subject', 'Exchange subject', 'Exchange subject'],
		['lnWins', 'LN subject', 'LN subject', 'LN subject', 'LN subject'],
		['exchangeWins', 'Exchange subject', 'Exchange subject', 'Exchange subject', 'Exchange subject'],
	])('resolves a conflict under %s', async (policy, lnOriginLn, lnOriginExchange, exOriginLn, exOriginExchange) => {
		// Both sides change an LN-originated and an Exchange-originated event since the last sync.
		const exchangeOrigin = env.ln.list('100', 'activities').find((a) => a.subject === 'Customer workshop')!;
		env.ln.update('100', 'activities', { id: 'ACT000001' }, { subject: 'LN subject' });
		env.ln.update('100', 'activities', { id: String(exchangeOrigin.id) }, { subject: 'LN subject' });
		env.graph.updateEvent('ann@contoso.com', annEvent('Quarterly review').id!, { subject: 'Exchange subject' });
		env.graph.updateEvent('ann@contoso.com', annEvent('Customer workshop').id!, { subject: 'Exchange subject' });
		const result = await runPull(env, withSettings(pull, { conflictPolicy: policy }));
		const ann = report(result).find((r) => r.mailbox === 'ann@contoso.com')!;
		expect(ann.counts.conflicts).toBe(2);
		expect(ann.conflicts.map((c: { ref: string }) => c.ref).sort()).toEqual([`activity ${exchangeOrigin.id}`, 'activity ACT000001'].sort());
		const events = (env.graph.events('ann@contoso.com') as WithProps[]).filter((e) => e.type === 'singleInstance');
		const byKey = (key: string) => events.find((e) => lnKey(e) === key)!;
		expect([env.ln.get('100', 'activities', { id: 'ACT000001' })?.subject, byKey('ln:100:activity:ACT000001').subject]).toEqual([lnOriginLn, lnOriginExchange]);
		expect([env.ln.get('100', 'activities', { id: String(exchangeOrigin.id) })?.subject, byKey(`ln:100:activity:${exchangeOrigin.id}`).subject]).toEqual([exOriginLn, exOriginExchange]);
	});

	it('cancels in each direction: LN cancels the call, Ann cancels a meeting in Outlook', async () => {
		env.ln.update('100', 'activities', { id: 'ACT000004' }, { status: 'Cancelled' });
		const meeting = annEvent('Quarterly review');
		await fetch(`${env.graph.url}/_control/events/ann@contoso.com/${meeting.id}`, { method: 'DELETE' });
		await runPull(env);
		expect(env.graph.events('cat@contoso.com').some((e) => e.subject === 'Call with Ann')).toBe(false);
		expect(env.graph.events('ann@contoso.com').some((e) => e.subject === 'Call with Ann')).toBe(false);
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.status).toBe('Cancelled');
		expect(env.ln.list('100', 'activities')).toHaveLength(10);
	});

	it('writes an attendee declining back to LN', async () => {
		const bobCopy = env.graph.events('bob@contoso.com').find((e) => e.subject === 'Quarterly review')!;
		env.graph.respond('bob@contoso.com', bobCopy.id!, 'decline');
		await runPull(env);
		expect(env.ln.get('100', 'attendees', { activity: 'ACT000001', sequence: 2 })?.status).toBe('Declined');
	});

	it('follows an occurrence of a series that moved', async () => {
		const occurrences = (await (await fetch(`${env.graph.url}/_control/state`)).json()) as unknown;
		void occurrences;
		const master = (env.graph.events('ann@contoso.com') as WithProps[]).find((e) => e.subject === 'Weekly sync' && e.type === 'seriesMaster')!;
		const token = await graphToken(env);
		const instances = (await (
			await fetch(`${env.graph.url}/v1.0/users/ann@contoso.com/events/${master.id}/instances?startDateTime=${new Date().toISOString()}&endDateTime=${new Date(Date.now() + 60 * 86_400_000).toISOString()}`, { headers: { authorization: `Bearer ${token}`, prefer: 'IdType="ImmutableId"' } })
		).json()) as { value: Event[] };
		const second = instances.value[1];
		const moved = new Date(Date.parse(`${second.start!.dateTime!.slice(0, 19)}Z`) + 2 * 3_600_000);
		const iso = (d: Date) => d.toISOString().slice(0, 19);
		env.graph.updateEvent('ann@contoso.com', second.id!, { start: { dateTime: iso(moved), timeZone: 'UTC' }, end: { dateTime: iso(new Date(moved.getTime() + 3_600_000)), timeZone: 'UTC' } });
		await runPull(env);
		const appointment = env.ln.list('100', 'activities').find((a) => a.reference === second.iCalUId)!;
		expect(String(appointment.start)).toBe(`${iso(moved)}Z`);
		expect(env.ln.list('100', 'activities').filter((a) => a.subject === 'Weekly sync')).toHaveLength(3);
	});
});

describe('pull sync, settled calendars', () => {
	const MAILBOXES = ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com'];
	let env: Awaited<ReturnType<typeof scenarioEnvironment>>;
	beforeEach(async () => {
		env = await scenarioEnvironment([pull]);
		await runPull(env);
	});
	afterEach(() => env.stop());

	/** The mailboxes whose linked events were read (their LN activities planned against the calendar). */
	const planned = () => MAILBOXES.filter((mailbox) => env.graph.log.all().some((r) => r.method === 'GET' && r.mailbox === mailbox && r.path.endsWith('/events')));
	const linesOf = (result: RunResult) =>
		report(result)
			.filter((r) => r.kind === 'user')
			.map((r) => ({ mailbox: r.mailbox, unchanged: r.counts.eventsUnchanged, skipped: r.skipped, warnings: r.warnings.filter((w: { ref: string }) => w.ref !== 'calendar') }));

	it('a calendar with no change on either side is not read or planned again, and reports what it did the last time', async () => {
		// The first pull settled every calendar (its second pass found nothing to do).
		env.graph.log.clear();
		await runPull(env);
		expect(planned()).toEqual([]);
		// Other settings: every calendar is planned in full once more, and writes nothing.
		const settings = withSettings(pull, { brakeShare: 0.25 });
		env.graph.log.clear();
		const full = await runPull(env, settings);
		expect(planned()).toEqual(MAILBOXES);
		env.graph.log.clear();
		env.ln.log.clear();
		const settled = await runPull(env, settings);
		expect(planned()).toEqual([]);
		expect(writes(env)).toEqual({ graph: [], ln: [] });
		expect(linesOf(settled)).toEqual(linesOf(full));
		expect(linesOf(settled).reduce((sum, user) => sum + user.unchanged, 0)).toBeGreaterThan(0);
		expect(linesOf(settled).some((user) => user.skipped.length > 0)).toBe(true);
	});

	it('a change in the calendar, or in LN, has the mailboxes it concerns planned in full again', async () => {
		await runPull(env);
		const meeting = (env.graph.events('ann@contoso.com') as WithProps[]).find((e) => e.subject === 'Quarterly review')!;
		env.graph.updateEvent('ann@contoso.com', meeting.id!, { location: { displayName: 'Room 42' } });
		env.graph.log.clear();
		await runPull(env);
		expect(planned()).toContain('ann@contoso.com');
		expect(env.ln.get('100', 'activities', { id: 'ACT000001' })?.location).toBe('Room 42');
		await runPull(env);
		env.graph.log.clear();
		await runPull(env);
		expect(planned()).toEqual([]);
		// Bob deletes his invitation: nothing changed in LN, his calendar says so (his line is Synchronized No).
		const invitation = env.graph.events('bob@contoso.com').find((e) => e.subject === 'Quarterly review')!;
		env.graph.deleteEvent('bob@contoso.com', invitation.id!);
		env.graph.log.clear();
		await runPull(env);
		expect(planned()).toEqual(['bob@contoso.com']);
		expect(env.ln.get('100', 'attendees', { activity: 'ACT000001', sequence: 2 })).toMatchObject({ synchronized: 'No' });
		await runPull(env); // Ann's activities changed in LN (Bob's line): her calendar is planned once and settles
		// An activity Zoe (not a sync user) organizes, with Bob and Cat invited: their copies, not Ann's calendar.
		env.ln.update('100', 'activities', { id: 'ACT000002' }, { location: 'Moved in LN' });
		env.graph.log.clear();
		await runPull(env);
		expect(planned()).toEqual(['bob@contoso.com', 'cat@contoso.com']);
		for (const mailbox of ['bob@contoso.com', 'cat@contoso.com']) {
			expect(env.graph.events(mailbox).find((e) => e.subject === 'Zoe briefs the team')?.location?.displayName).toBe('Moved in LN');
		}
	});
});

describe('pull sync, interrupted and repeated', () => {
	it('ends in the same state as an uninterrupted run, without duplicates', async () => {
		const clean = await scenarioEnvironment([pull]);
		await runPull(clean);
		const expected = endState(clean);
		await clean.stop();

		const env = await scenarioEnvironment([pull]);
		try {
			// Bob's activities cannot be read, and every second LN attendee update fails: the run ends with errors.
			env.ln.faults.add({ kind: 'status', status: 500, times: 0, match: { method: 'GET', path: 'E002' } });
			env.graph.faults.add({ kind: 'reset', nth: 5, times: 3, match: { method: 'POST', path: '$batch' } });
			const interrupted = await runPullExpectingFailures(env, pull);
			const total = report(interrupted).find((r) => r.kind === 'total')!;
			expect(total.errors.length).toBeGreaterThan(0);
			expect(interrupted.error?.message).toBe(`${total.failures} (the run report is the output of "Run report")`);
			expect(total.failures).toMatch(/^1 of 3 sync users failed: bob@contoso.com \(/);
			env.ln.faults.clear();
			env.graph.faults.clear();
			await runPull(env);
			expect(endState(env)).toEqual(expected);
		} finally {
			await env.stop();
		}
	});
});

describe('pull sync, dry run', () => {
	it('lists the planned changes and changes nothing in either system', async () => {
		const env = await scenarioEnvironment([pull]);
		try {
			const before = endState(env);
			const result = await runPull(env, withSettings(pull, { dryRun: true }));
			expect(endState(env)).toEqual(before);
			expect(writes(env)).toEqual({ graph: [], ln: [] });
			const total = report(result).find((r) => r.kind === 'total')!;
			expect(total.dryRun).toBe(true);
			const planned = total.planned.map((p: { message: string }) => p.message).join('\n');
			expect(planned).toMatch(/create contact/);
			expect(planned).toMatch(/create Exchange event/);
			expect(planned).toMatch(/create LN appointment "Customer workshop"/);
			expect(total.errors).toEqual([]);
		} finally {
			await env.stop();
		}
	});
});

async function graphToken(env: Environment): Promise<string> {
	const response = await fetch(`${env.graph.loginUrl}/${env.graph.tenantId}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ client_id: env.graph.app.clientId, client_secret: env.graph.app.clientSecret, scope: `${env.graph.url}/.default`, grant_type: 'client_credentials' }).toString(),
	});
	return ((await response.json()) as { access_token: string }).access_token;
}
