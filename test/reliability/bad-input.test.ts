import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import { LN_WEBHOOK_HEADER, LN_WEBHOOK_SECRET, startEnvironment, type Environment } from '../harness/environment';
import type { RunResult } from '../harness/workflow-runner';
import { WebhookHost } from '../harness/webhook-host';
import { scenario } from '../workflows/scenario';
import { failedUsersOnly, runPullExpectingFailures, shipped, withSettings } from '../workflows/workflow-helpers';

const pull = shipped('pull-sync.json');
const push = shipped('push-sync.json');

type Entry = { ref: string; message: string; class?: string };
type Report = { mailbox: string; kind: string; errors: Entry[]; warnings: Entry[]; skipped: Entry[] };

const now = DateTime.utc();
const at = (days: number, hour = 10) => now.plus({ days }).set({ hour, minute: 0, second: 0, millisecond: 0 });
const lnDate = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;
const graphDate = (d: DateTime) => ({ dateTime: d.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: 'UTC' });

function attendee(sequence: number, role: string, type: string, code: string, email: string | undefined, invite = 'Yes') {
	return { Sequence: sequence, Attendance: role, AttendeeType: type, Attendee: code, Email: email, FullName: email ?? code, Invite: invite, AttendanceStatus: 'None', Synchronized: 'No', SentToSynchronizer: 'No' };
}

/** An activity Ann organizes with Bob invited, with some fields replaced. */
function activity(id: string, fields: Record<string, unknown>, attendees?: Array<ReturnType<typeof attendee>>) {
	return {
		Activity: id, Type: 'Appointment', Subject: `Bad input ${id}`, StartDate: lnDate(at(9)), EndDate: lnDate(at(9).plus({ hours: 1 })), AllDay: 'No', Location: 'HQ',
		ShowTimeAs: 'Busy', Reminder: 'No', ReminderMinutes: 0, Text: '', Status: 'Planned', Synchronize: 'Yes', Sensitivity: 'Normal',
		Attendees: attendees ?? [attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'), attendee(2, 'Required', 'Employee', 'E002', 'bob@contoso.com')],
		...fields,
	};
}

const badActivities = [
	activity('BAD01', { EndDate: lnDate(at(8)) }),
	activity('BAD02', { StartDate: null }),
	activity('BAD03', { AllDay: 'Yes', StartDate: lnDate(at(9, 10)), EndDate: lnDate(at(9, 15)) }),
	activity('BAD05', { Subject: 'S'.repeat(300) }),
	activity('BAD06', { Text: '<b>Bold</b> <script>alert("x")</script> plain' }),
	activity('BAD07', { Subject: 'اجتماع المراجعة – Zoë Ångström' }),
	activity('BAD08', { Subject: 'Budget\u0000 review' }),
	activity('BAD09', {}, [
		attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'),
		...Array.from({ length: 501 }, (_, i) => attendee(i + 2, 'Optional', 'Other', '', `guest${i}@example.org`)),
	]),
	activity('BAD10', {}, [attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'), attendee(2, 'Required', 'Other', '', 'twice@example.org'), attendee(3, 'Optional', 'Other', '', 'Twice@Example.org')]),
	activity('BAD11', {}, [attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'), attendee(2, 'Required', 'Other', 'X1', undefined), attendee(3, 'Required', 'Employee', 'E002', 'bob@contoso.com')]),
	activity('BAD12', {}, [attendee(1, 'MeetingOrganizer', 'Employee', 'E001', 'ann@contoso.com', 'No'), attendee(2, 'Required', 'Other', '', 'not-an-address'), attendee(3, 'Required', 'Employee', 'E002', 'bob@contoso.com')]),
	activity('BAD13', {}, [attendee(1, 'Required', 'Employee', 'E002', 'bob@contoso.com')]),
];

const badContacts = [
	{ Contact: 'K001', FirstName: '', LastName: '', FullName: '', Email: '', Synchronize: 'Yes', Active: 'Yes' },
	{ Contact: 'K002', FirstName: 'Long', LastName: 'Note', FullName: 'Long Note', Email: 'long@fabrikam.com', Text: 'n'.repeat(10_000), Synchronize: 'Yes', Active: 'Yes' },
	{ Contact: 'K003', FirstName: 'Bad', LastName: 'Mail', FullName: 'Bad Mail', Email: 'bad mail@@fabrikam', Synchronize: 'Yes', Active: 'Yes' },
	{ Contact: 'K004', FirstName: 'Odd', LastName: 'Phones', FullName: 'Odd Phones', Email: 'odd@fabrikam.com', OfficePhone: '+44 (0)113-496 0000 ext. 12', MobilePhone: 'tel:+441134960001', HomePhone: 'call me', Synchronize: 'Yes', Active: 'Yes' },
	{ Contact: 'K005', FirstName: 'Opted', LastName: 'Out', FullName: 'Opted Out', Email: 'opted@fabrikam.com', OptedOut: 'Yes', Synchronize: 'No', Active: 'Yes' },
];

const badEvents: Array<[string, Event]> = [
	['X1', { subject: 'E'.repeat(300), start: graphDate(at(10)), end: graphDate(at(10).plus({ hours: 1 })) }],
	['X2', { subject: 'Script body', body: { contentType: 'html', content: '<p>Hi</p><script>alert("x")</script>' }, start: graphDate(at(10, 12)), end: graphDate(at(10, 13)) }],
	['X3', { subject: 'Opted-out guest', start: graphDate(at(10, 14)), end: graphDate(at(10, 15)), attendees: [{ emailAddress: { address: 'opted@fabrikam.com' }, type: 'required' }] }],
	['X4', {
		subject: 'Daily for months',
		start: graphDate(at(1, 7)),
		end: graphDate(at(1, 8)),
		recurrence: { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', startDate: at(1).toISODate()!, numberOfOccurrences: 120, recurrenceTimeZone: 'UTC' } },
	}],
	['X5', { subject: 'Ünïcödé 会议 – מפגש', start: graphDate(at(11)), end: graphDate(at(11).plus({ hours: 1 })) }],
];

function tenant() {
	const data = scenario(now);
	const company = data.lnSeed.companies['100'];
	company.activities = [...(company.activities ?? []), ...badActivities];
	company.contacts = [...(company.contacts ?? []), ...badContacts];
	return data;
}

function reports(result: RunResult): Report[] {
	return result.output('Run report').map((item) => item.json as unknown as Report);
}

function entries(result: RunResult, list: 'errors' | 'warnings' | 'skipped'): Entry[] {
	return reports(result).filter((r) => r.kind === 'user').flatMap((r) => r[list]);
}

describe('bad input: every bad record is named in the run report, and the others are synchronized', () => {
	let env: Environment;
	let result: RunResult;
	beforeAll(async () => {
		const data = tenant();
		env = await startEnvironment({ lnSeed: data.lnSeed, graphSeed: data.graphSeed, nodes: 'dist', workflows: { [pull.id]: pull } });
		for (const [, event] of badEvents) env.graph.createEvent('cat@contoso.com', event);
		result = await runPullExpectingFailures(env, pull);
		// Bad records fail their users: the execution ends in error, after the report, naming them.
		expect(String(result.error?.message)).toMatch(/^3 of 3 sync users failed: ann@contoso.com \(data ×\d+\); bob@contoso.com \(data ×\d+\); cat@contoso.com \(data ×\d+\)/);
	});
	afterAll(() => env.stop());

	const annEvents = () => env.graph.events('ann@contoso.com');
	const lnActivities = () => env.ln.list('100', 'activities');

	it.each([
		['an activity whose end is before its start', 'errors', /Activity BAD01: field end .* is before start/],
		['an activity without a start', 'errors', /Activity BAD02: field start: missing start/],
		['an all-day activity with times', 'warnings', /Activity BAD03: an all-day activity with times/],
		['a subject over 255 characters (LN)', 'errors', /Activity BAD05: field subject has 300 characters/],
		['more than 500 attendees', 'errors', /Activity BAD09: 501 invited attendees \(Exchange allows at most 500\)/],
		['the same attendee twice', 'warnings', /Activity BAD10: attendees 2 and 3 have the same e-mail twice@example.org/],
		['an attendee without e-mail', 'warnings', /Activity BAD11, attendee 2 .*: field email is empty/],
		['an invalid attendee e-mail', 'warnings', /Activity BAD12, attendee 2: field email "not-an-address" is not a valid address/],
		['an activity without organizer', 'warnings', /Activity BAD13 has no meeting organizer/],
		['a subject over 255 characters (Exchange)', 'errors', /Exchange event "E{20,}.*field subject has 300 characters \(LN allows 255\)/],
		['an opted-out LN contact invited in Exchange', 'warnings', /opted@fabrikam.com is LN contact K005, which is opted out/],
		['a series beyond the cap', 'skipped', /already has 100 occurrences in LN \(the cap\)/],
		['a contact without any name', 'errors', /Contact K001: fields firstName, lastName, fullName and email are all empty/],
		['a contact with an invalid e-mail', 'warnings', /Contact K003: field email "bad mail@@fabrikam" is not a valid address/],
		['a phone number without digits', 'warnings', /Contact K004: field homePhone "call me" has no digits/],
	])('%s', (_label, list, pattern) => {
		expect(entries(result, list as 'errors' | 'warnings' | 'skipped').map((e) => e.message).join('\n')).toMatch(pattern);
	});

	it('still synchronizes the good records of the same users', () => {
		for (const subject of ['Quarterly review', 'Customer workshop']) expect(annEvents().some((e) => e.subject === subject)).toBe(true);
		expect(env.graph.contacts('ann@contoso.com', 'LN Contacts').length).toBeGreaterThanOrEqual(5);
		expect(env.ln.list('100', 'activities').some((a) => a.subject === 'Customer workshop')).toBe(true);
	});

	it('writes bad-but-usable records in a safe form', () => {
		// All-day with times: whole days. NUL bytes: dropped. Non-ASCII and right-to-left text: unchanged.
		expect(annEvents().find((e) => e.subject === 'Bad input BAD03')?.isAllDay).toBe(true);
		expect(annEvents().some((e) => e.subject === 'Budget review')).toBe(true);
		expect(annEvents().some((e) => e.subject === 'اجتماع المراجعة – Zoë Ångström')).toBe(true);
		// HTML and script from LN stay inert text in Exchange; from Exchange, LN gets the text without the script.
		const body = annEvents().find((e) => e.subject === 'Bad input BAD06')?.body?.content ?? '';
		expect(body).not.toMatch(/<script>alert/);
		expect(lnActivities().find((a) => a.subject === 'Script body')?.text).toBe('Hi');
		expect(lnActivities().some((a) => a.subject === 'Ünïcödé 会议 – מפגש')).toBe(true);
		// The same attendee twice is invited once; attendees without a usable e-mail are left out.
		expect(annEvents().find((e) => e.subject === 'Bad input BAD10')?.attendees?.map((a) => a.emailAddress?.address)).toEqual(['twice@example.org']);
		expect(annEvents().find((e) => e.subject === 'Bad input BAD11')?.attendees?.map((a) => a.emailAddress?.address)).toEqual(['bob@contoso.com']);
		// No organizer: Bob gets a copy in his own calendar, without invitations.
		expect(env.graph.events('bob@contoso.com').find((e) => e.subject === 'Bad input BAD13')?.attendees ?? []).toEqual([]);
		// The records that failed are not in Exchange at all.
		for (const subject of ['Bad input BAD01', 'Bad input BAD02', 'Bad input BAD09']) expect(annEvents().some((e) => e.subject === subject)).toBe(false);
	});

	it('writes contacts with odd data as far as they are valid', () => {
		const contacts = env.graph.contacts('bob@contoso.com', 'LN Contacts');
		expect(contacts.find((c) => c.displayName === 'Long Note')?.personalNotes).toHaveLength(10_000);
		expect(contacts.find((c) => c.displayName === 'Bad Mail')?.emailAddresses).toEqual([]);
		expect(contacts.find((c) => c.displayName === 'Odd Phones')).toMatchObject({ businessPhones: ['+44 (0)113-496 0000 ext. 12'], mobilePhone: 'tel:+441134960001', homePhones: ['call me'] });
		expect(contacts.some((c) => c.displayName === '' || c.displayName === undefined)).toBe(false);
	});

	it('opted-out guest becomes an attendee of type Other', () => {
		const appointment = lnActivities().find((a) => a.subject === 'Opted-out guest')!;
		const guest = env.ln.list('100', 'attendees').find((a) => a.activity === appointment.id && a.email === 'opted@fabrikam.com');
		expect(guest).toMatchObject({ type: 'Other' });
		expect(lnActivities().filter((a) => a.subject === 'Daily for months')).toHaveLength(100);
	});
});

describe('bad configuration: a clear error, nothing half-done', () => {
	let env: Environment;
	beforeEach(async () => {
		const data = scenario(now);
		env = await startEnvironment({ lnSeed: data.lnSeed, graphSeed: data.graphSeed, nodes: 'dist', workflows: { [pull.id]: pull } });
	});
	afterEach(() => env.stop());

	const run = async (workflow = pull) => env.runner.run(workflow, { startNode: 'Run now' });

	it('a malformed .ionapi text names the missing key', async () => {
		const ionapi = JSON.parse(String(env.lnCredentialData.ionapiSecretFile));
		delete ionapi.cs;
		env.lnCredentialData.ionapiSecretFile = JSON.stringify(ionapi);
		Object.assign((env.credentials as unknown as { byId: Record<string, { data: object }> }).byId['ln-1'].data, { ionapiSecretFile: JSON.stringify(ionapi) });
		const result = await run();
		expect(String(result.error?.message)).toMatch(/missing the key "cs" \(client secret\)/);
		expect(env.graph.log.all().filter((r) => r.method !== 'GET' && !r.path.endsWith('/token'))).toEqual([]);
	});

	it("a wrong client secret shows Microsoft's error, without the secret", async () => {
		Object.assign((env.credentials as unknown as { byId: Record<string, { data: object }> }).byId['graph-1'].data, { clientSecret: 'wrong-secret-0000' });
		const result = await run();
		const all = JSON.stringify(result.output('Run report'));
		expect(all).toMatch(/AADSTS7000215/);
		expect(all).not.toContain('wrong-secret-0000');
		expect(env.ln.log.all().filter((r) => r.method !== 'GET' && !r.path.includes('token'))).toEqual([]);
	});

	it('a mailbox the app may not access: that user is skipped and reported, the others synchronized', async () => {
		const data = scenario(now);
		data.graphSeed.users = data.graphSeed.users.map((u) => (u.mail === 'bob@contoso.com' ? { ...u, accessDenied: true } : u));
		env.graph.seed(data.graphSeed);
		const result = await run();
		// The execution fails, after the report, naming the user and the kind of error.
		expect(failedUsersOnly(result)).toBe(true);
		expect(result.error?.message).toMatch(/sync users failed: .*bob@contoso.com \(permission/);
		const bob = reports(result).find((r) => r.mailbox === 'bob@contoso.com')!;
		expect(bob.errors.some((e) => e.class === 'permission' && /ErrorAccessDenied/.test(e.message))).toBe(true);
		expect(env.graph.events('ann@contoso.com').some((e) => e.subject === 'Quarterly review')).toBe(true);
		expect(env.graph.contacts('cat@contoso.com', 'LN Contacts')).toHaveLength(5);
		// With "failWhenUsersFail" off the same run ends green; the report says the same.
		env.graph.seed(data.graphSeed);
		const quiet = await run(withSettings(pull, { failWhenUsersFail: false }));
		expect(quiet.error).toBeUndefined();
		expect(reports(quiet).find((r) => r.mailbox === 'bob@contoso.com')!.errors.length).toBeGreaterThan(0);
	});

	it.each([
		[0, /horizon must be at least 1 day/],
		[3650, /horizon can be at most 1825 days/],
	])('a horizon of %s days is refused', async (horizonDays, pattern) => {
		const result = await run(withSettings(pull, { horizonDays }));
		expect(JSON.stringify(result.output('Run report'))).toMatch(pattern);
		expect(env.graph.log.all().filter((r) => r.method !== 'GET' && r.path.includes('/events'))).toEqual([]);
	});

	it('an unknown time zone is refused', async () => {
		const result = await run(withSettings(pull, { timeZone: 'Mars/Olympus_Mons' }));
		expect(JSON.stringify(result.output('Run report'))).toMatch(/Time Zone \\"Mars\/Olympus_Mons\\" is not a known IANA or Windows zone/);
	});

	it('a pull interval below 1 minute stops the workflow with a clear message', async () => {
		const fast = JSON.parse(JSON.stringify(pull));
		fast.nodes.find((n: { name: string }) => n.name === 'Every hour').parameters.rule = { interval: [{ field: 'seconds', secondsInterval: 30 }] };
		const result = await run(fast);
		expect(String(result.error?.message)).toMatch(/The pull interval is below 1 minute/);
		expect(env.ln.log.all()).toEqual([]);
	});
});

describe('bad webhook calls: refused, nothing changes', () => {
	let env: Environment;
	let host: WebhookHost;
	beforeAll(async () => {
		const data = scenario(now);
		env = await startEnvironment({ lnSeed: data.lnSeed, graphSeed: data.graphSeed, nodes: 'dist', workflows: { [pull.id]: pull, [push.id]: push } });
		host = new WebhookHost(env.runner, push);
		await host.start();
		await host.activate();
	});
	afterAll(async () => {
		await host.stop();
		await env.stop();
	});
	beforeEach(() => {
		env.ln.log.clear();
		env.graph.log.clear();
	});
	afterEach(async () => {
		await host.settle();
		expect(env.ln.log.all().filter((r) => r.method !== 'GET')).toEqual([]);
		expect(env.graph.log.all().filter((r) => r.method !== 'GET' && !r.path.endsWith('/token'))).toEqual([]);
	});

	const graphUrl = () => `${host.url}webhook/ln-exchange-sync/graph`;
	const lnUrl = () => `${host.url}webhook/ln-exchange-sync/ln`;
	const secret = { [LN_WEBHOOK_HEADER]: LN_WEBHOOK_SECRET };

	it('a notification with a wrong clientState', async () => {
		const response = await fetch(graphUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: [{ subscriptionId: 'x', clientState: 'forged.state', changeType: 'created', resource: 'Users/1/Events/2' }] }) });
		expect(response.status).toBe(202);
		await host.settle();
		expect(host.calls.at(-1)?.emitted).toEqual([]);
	});

	it('a validation token with HTML is echoed only as plain text', async () => {
		const token = '<script>alert(1)</script>';
		const response = await fetch(`${graphUrl()}?validationToken=${encodeURIComponent(token)}`, { method: 'POST' });
		expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
		expect(await response.text()).toBe(token);
	});

	it.each([
		['a non-JSON body to the Graph webhook', () => fetch(graphUrl(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }), [400]],
		['a 10 MB body to the Graph webhook', () => fetch(graphUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 'x'.repeat(10 * 1024 * 1024) }) }), [400, 413]],
		['a non-JSON body to the LN webhook', () => fetch(lnUrl(), { method: 'POST', headers: { 'content-type': 'text/plain', ...secret }, body: 'activity 1 please' }), [400]],
		['a 10 MB body to the LN webhook', () => fetch(lnUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...secret }, body: JSON.stringify({ company: '100', activityId: 'ACT000001', changeType: 'updated', padding: 'x'.repeat(10 * 1024 * 1024) }) }), [413]],
		['an LN post without the secret', () => fetch(lnUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ company: '100', activityId: 'ACT000001', changeType: 'updated' }) }), [401]],
		['an LN post with a wrong secret', () => fetch(lnUrl(), { method: 'POST', headers: { 'content-type': 'application/json', [LN_WEBHOOK_HEADER]: 'nope' }, body: JSON.stringify({ company: '100', activityId: 'ACT000001', changeType: 'updated' }) }), [403]],
	])('%s', async (_label, call, statuses) => {
		const response = await (call as () => Promise<Response>)();
		expect(statuses).toContain(response.status);
	});
});
