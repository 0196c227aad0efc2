import type { Event } from '@microsoft/microsoft-graph-types';
import { DateTime } from 'luxon';

import { generateTenant, mutateTenant, OTHER_TIME_ZONES, SIZES, type GeneratedTenant, type GeneratorOptions, type LnRow } from './generator';
import { GraphEmulator } from './graph/emulator';
import { RawGraph } from './graph/test-helpers';
import { LnEmulator } from './ln/emulator';
import { client, passwordToken, values } from './ln/test-helpers';

const { ensureTestCertificate } = require('../../scripts/tls.js') as { ensureTestCertificate(): { keyPath: string; certPath: string } };

const NOW = '2026-03-01T10:17:00Z';
const NOW_MS = Date.parse(NOW);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SMALL: GeneratorOptions = { now: NOW, ...SIZES.s };
const MEDIUM: GeneratorOptions = { now: NOW, users: 200, contacts: 2000, activities: 2000, events: 4000 };

type Activity = LnRow & { Attendees: LnRow[] };

function company(tenant: GeneratedTenant, name = '100') {
	const data = tenant.ln.companies[name];
	return {
		syncUsers: data.syncUsers as LnRow[],
		contacts: data.contacts as LnRow[],
		businessPartners: data.businessPartners as LnRow[],
		addresses: data.addresses as LnRow[],
		activities: data.activities as Activity[],
	};
}

function allEvents(tenant: GeneratedTenant): Array<{ mailbox: string; event: Event }> {
	return Object.entries(tenant.graph.events ?? {}).flatMap(([mailbox, list]) => list.map((event) => ({ mailbox, event })));
}

/** The UTC instant of a Graph dateTimeTimeZone as the generator writes it. */
function instant(value: { dateTime?: string | null; timeZone?: string | null }): number {
	const zone = OTHER_TIME_ZONES.find((z) => z.windows === value.timeZone)?.iana ?? 'UTC';
	return DateTime.fromISO(value.dateTime!, { zone }).toMillis();
}

const share = (part: number, total: number) => part / total;
const nonAscii = (text: unknown) => /[^\x20-\x7e\n]/.test(String(text));
const rtl = (text: unknown) => /[\u0590-\u08ff]/.test(String(text));

describe('determinism', () => {
	it('gives deep-equal, byte-identical output for the same options', () => {
		const a = generateTenant({ ...MEDIUM, seed: 7 });
		const b = generateTenant({ ...MEDIUM, seed: 7 });
		expect(b).toEqual(a);
		expect(JSON.stringify(b)).toBe(JSON.stringify(a));
	});

	it('uses seed 1 by default and gives other data for another seed', () => {
		expect(generateTenant(SMALL)).toEqual(generateTenant({ ...SMALL, seed: 1 }));
		const other = generateTenant({ ...SMALL, seed: 2 });
		const base = generateTenant(SMALL);
		expect(JSON.stringify(other.ln)).not.toBe(JSON.stringify(base.ln));
		expect(JSON.stringify(other.graph)).not.toBe(JSON.stringify(base.graph));
	});

	it('keeps sections independent: more contacts do not change the events', () => {
		const a = generateTenant(SMALL);
		const b = generateTenant({ ...SMALL, contacts: 80 });
		expect(company(b).syncUsers).toEqual(company(a).syncUsers);
		expect(b.graph.users).toEqual(a.graph.users);
	});

	it('has every date relative to `now`', () => {
		const later = generateTenant({ ...SMALL, now: '2026-03-08T10:17:00Z' });
		const base = generateTenant(SMALL);
		const shift = (text: unknown) => Date.parse(String(text)) + 7 * DAY;
		expect(company(later).activities.map((a) => Date.parse(String(a.StartDate)))).toEqual(company(base).activities.map((a) => shift(a.StartDate)));
	});

	it('refuses a missing or invalid `now` and negative counts', () => {
		expect(() => generateTenant({ ...SMALL, now: 'yesterday' })).toThrow(/now/);
		expect(() => generateTenant({ ...SMALL, users: -1 })).toThrow(/users/);
	});
});

describe('users', () => {
	const tenant = generateTenant(MEDIUM);
	const { syncUsers } = company(tenant);
	const active = syncUsers.filter((u) => u.Active === 'Yes');
	const mailboxes = new Set(tenant.graph.users.map((u) => u.mail));

	it('has the sync users u001… with employees E001… and a lower-case mailbox each', () => {
		const sync = active.filter((u) => mailboxes.has(String(u.Email).toLowerCase()));
		expect(sync).toHaveLength(200);
		expect(sync[0]).toMatchObject({ User: 'u001', Employee: 'E001', Active: 'Yes' });
		for (const u of sync) {
			expect(u.EmployeeEmail).toBe(u.Email);
			expect(String(u.Email).toLowerCase()).toBe(`${u.User}@contoso.com`);
		}
		for (const u of tenant.graph.users) expect(u.mail).toBe(u.mail.toLowerCase());
	});

	it('gives ~5% of the sync users a mixed-case e-mail in LN', () => {
		const mixed = syncUsers.filter((u) => u.Email !== String(u.Email).toLowerCase());
		expect(mixed.length).toBe(10);
		expect(mixed[0].Email).toMatch(/^U\d{3}@Contoso\.com$/);
		expect(tenant.summary.users.mixedCaseEmails).toEqual(mixed.map((u) => u.Email));
	});

	it('has users that are not sync users: one inactive (with a mailbox), one without a mailbox', () => {
		const [inactive, noMailbox] = tenant.summary.users.notSync;
		expect(syncUsers.find((u) => u.User === inactive.user)).toMatchObject({ Active: 'No' });
		expect(mailboxes.has(inactive.email)).toBe(true);
		expect(syncUsers.find((u) => u.User === noMailbox.user)).toMatchObject({ Active: 'Yes' });
		expect(mailboxes.has(noMailbox.email)).toBe(false);
		expect(tenant.summary.users).toMatchObject({ sync: 200, graphUsers: 201 });
	});
});

describe('contacts', () => {
	const tenant = generateTenant(MEDIUM);
	const { contacts, businessPartners, addresses } = company(tenant);

	it('fills the tcapi.comContact fields, with a business partner and work address that exist', () => {
		expect(contacts).toHaveLength(2000);
		const partners = new Set(businessPartners.map((p) => p.BusinessPartner));
		const addressIds = new Set(addresses.map((a) => a.Address));
		for (const c of contacts) {
			expect(c.Contact).toMatch(/^C\d{5}$/);
			expect(c.FullName).toContain(String(c.LastName));
			expect(partners.has(c.BusinessPartner)).toBe(true);
			expect(addressIds.has(c.WorkAddress)).toBe(true);
			expect(c.Website).toMatch(/^https:\/\//);
			expect(c.OfficePhone).toMatch(/^\+1 555/);
		}
		expect(new Set(contacts.map((c) => c.Email).filter(Boolean)).size).toBe(contacts.filter((c) => c.Email).length);
	});

	it('has the flags in the specified shares', () => {
		const n = contacts.length;
		expect(share(contacts.filter((c) => c.Synchronize === 'Yes').length, n)).toBeCloseTo(0.9, 2);
		expect(share(contacts.filter((c) => c.Active === 'Yes').length, n)).toBeCloseTo(0.95, 2);
		expect(share(contacts.filter((c) => c.OptedOut === 'Yes').length, n)).toBeCloseTo(0.05, 2);
		expect(share(contacts.filter((c) => c.Email === '').length, n)).toBeCloseTo(0.05, 2);
		expect(tenant.summary.contacts).toMatchObject({ total: n, synchronize: 1800, inactive: 100, optedOut: 100, withoutEmail: 100 });
	});

	it('has non-ASCII and right-to-left names', () => {
		expect(contacts.some((c) => c.FullName === 'Zoë Ångström')).toBe(true);
		expect(contacts.filter((c) => rtl(c.FullName)).length).toBe(tenant.summary.contacts.rightToLeft);
		expect(tenant.summary.contacts.rightToLeft).toBeGreaterThan(0);
		expect(contacts.filter((c) => nonAscii(c.FullName)).length).toBe(tenant.summary.contacts.nonAscii);
		// Names in other scripts still get a valid ASCII address.
		for (const c of contacts.filter((x) => rtl(x.FullName) && x.Email)) expect(c.Email).toMatch(/^[a-z0-9.]+@[a-z0-9.]+$/);
	});
});

describe('activities', () => {
	const tenant = generateTenant(MEDIUM);
	const { activities, contacts, syncUsers } = company(tenant);
	const n = activities.length;
	const syncEmployees = new Set(syncUsers.filter((u) => u.Active === 'Yes' && u.User !== tenant.summary.users.notSync[1].user).map((u) => u.Employee));
	const contactById = new Map(contacts.map((c) => [c.Contact, c]));

	it('has the types, flags and statuses in the specified shares', () => {
		const byType = (t: string) => activities.filter((a) => a.Type === t).length;
		expect(share(byType('Appointment'), n)).toBeCloseTo(0.8, 2);
		expect(share(byType('Call'), n)).toBeCloseTo(0.15, 2);
		expect(share(byType('Task'), n)).toBeCloseTo(0.05, 2);
		expect(share(activities.filter((a) => a.Synchronize === 'Yes').length, n)).toBeCloseTo(0.9, 2);
		const cancelled = activities.filter((a) => a.Status === 'Cancelled').length;
		expect(cancelled).toBeGreaterThan(0);
		expect(activities.filter((a) => a.Status === 'Planned').length).toBe(n - cancelled);
		expect(tenant.summary.activities.byType).toEqual({ Appointment: byType('Appointment'), Call: byType('Call'), Task: byType('Task') });
	});

	it('lies in the window (now+1h … now+horizon), 30–120 min long, except a few in the past', () => {
		let past = 0;
		for (const a of activities) {
			const start = Date.parse(String(a.StartDate));
			const end = Date.parse(String(a.EndDate));
			expect(String(a.StartDate)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
			if (end < NOW_MS) {
				past++;
				continue;
			}
			expect(start).toBeGreaterThanOrEqual(NOW_MS + HOUR);
			expect(end).toBeLessThanOrEqual(NOW_MS + 90 * DAY);
			if (a.AllDay === 'No') {
				expect((end - start) / 60_000).toBeGreaterThanOrEqual(30);
				expect((end - start) / 60_000).toBeLessThanOrEqual(120);
			}
		}
		expect(past).toBe(tenant.summary.activities.past);
		expect(share(past, n)).toBeCloseTo(0.03, 2);
	});

	it('has all-day appointments from midnight UTC to the next midnight', () => {
		const allDay = activities.filter((a) => a.AllDay === 'Yes');
		expect(allDay.length).toBe(tenant.summary.activities.allDay);
		expect(allDay.length).toBeGreaterThan(0);
		for (const a of allDay) {
			expect(a.Type).toBe('Appointment');
			expect(a.StartDate).toMatch(/T00:00:00Z$/);
			expect(Date.parse(String(a.EndDate)) - Date.parse(String(a.StartDate))).toBe(DAY);
		}
	});

	it('has subjects with non-ASCII text', () => {
		expect(activities.filter((a) => nonAscii(a.Subject)).length).toBe(tenant.summary.activities.nonAsciiSubject);
		expect(tenant.summary.activities.nonAsciiSubject).toBeGreaterThan(n * 0.1);
	});

	it('has the organizer first (an employee, ~85% a sync user) and then invited employees, contacts and externals', () => {
		let syncOrganizers = 0;
		let others = 0;
		let invited = 0;
		const types = new Set<unknown>();
		for (const a of activities) {
			const [organizer, ...rest] = a.Attendees;
			expect(a.Attendees).toHaveLength(3);
			expect(organizer).toMatchObject({ Sequence: 1, Attendance: 'MeetingOrganizer', AttendeeType: 'Employee', Invite: 'No' });
			if (syncEmployees.has(organizer.Employee ?? organizer.Attendee)) syncOrganizers++;
			expect(a.Attendees.map((x) => x.Sequence)).toEqual([1, 2, 3]);
			for (const x of a.Attendees) expect(x).toMatchObject({ Synchronized: 'No', SentToSynchronizer: 'No', AttendanceStatus: 'None' });
			for (const x of rest) {
				others++;
				types.add(x.AttendeeType);
				expect(['Required', 'Optional']).toContain(x.Attendance);
				if (x.Invite === 'Yes') invited++;
				if (x.AttendeeType === 'Contact') {
					const contact = contactById.get(x.Attendee)!;
					expect(x.Email).toBe(contact.Email);
					if (contact.OptedOut === 'Yes') expect(x.Invite).toBe('No');
				}
				if (x.AttendeeType === 'Other') expect(x.Email).toMatch(/^ext\d+@fabrikam\.com$/);
			}
		}
		expect(share(syncOrganizers, n)).toBeCloseTo(0.85, 2);
		expect(n - syncOrganizers).toBe(tenant.summary.activities.organizerNotSyncUser);
		expect(share(invited, others)).toBeGreaterThan(0.8);
		expect(share(invited, others)).toBeLessThan(0.95);
		expect([...types].sort()).toEqual(['Contact', 'Employee', 'Other']);
	});

	it('honours attendeesPerActivity', () => {
		const one = company(generateTenant({ ...SMALL, attendeesPerActivity: 1 })).activities;
		expect(one.every((a) => a.Attendees.length === 1)).toBe(true);
		const five = company(generateTenant({ ...SMALL, attendeesPerActivity: 5 })).activities;
		expect(five.every((a) => a.Attendees.length === 5)).toBe(true);
	});
});

describe('events', () => {
	const tenant = generateTenant(MEDIUM);
	const events = allEvents(tenant);
	const n = events.length;
	const mailboxes = new Set(tenant.graph.users.map((u) => u.mail));
	const inactiveMailbox = tenant.summary.users.notSync[0].email;

	it('puts them in sync users’ calendars only', () => {
		expect(n).toBe(4000);
		for (const { mailbox } of events) {
			expect(mailboxes.has(mailbox)).toBe(true);
			expect(mailbox).not.toBe(inactiveMailbox);
		}
	});

	it('has meetings, appointments, all-day, private, other-zone, recurring and past events in the specified shares', () => {
		const s = tenant.summary.events;
		const withAttendees = events.filter(({ event }) => event.attendees?.length && !event.recurrence);
		expect(withAttendees.length).toBe(s.meetings);
		expect(share(s.meetings, n)).toBeCloseTo(0.5, 2);
		const priv = events.filter(({ event }) => event.sensitivity === 'private').length;
		expect(priv).toBe(s.private);
		expect(share(priv, n)).toBeCloseTo(0.05, 2);
		const zones = events.filter(({ event }) => event.start?.timeZone !== 'UTC');
		expect(zones.length).toBe(s.otherTimeZone);
		expect(share(zones.length, n)).toBeCloseTo(0.05, 2);
		expect(new Set(zones.map(({ event }) => event.start?.timeZone))).toEqual(new Set(OTHER_TIME_ZONES.map((z) => z.windows)));
		const series = events.filter(({ event }) => event.recurrence);
		expect(series.length).toBe(s.recurringSeries);
		expect(share(series.length, n)).toBeCloseTo(0.03, 2);
		const allDay = events.filter(({ event }) => event.isAllDay);
		expect(allDay.length).toBe(s.allDay);
		expect(s.meetings + s.appointments + s.allDay + s.recurringSeries).toBe(n);
		expect(events.filter(({ event }) => nonAscii(event.subject)).length).toBe(s.nonAsciiSubject);
	});

	it('lies in the window, except a few in the past', () => {
		let past = 0;
		for (const { event } of events) {
			const start = instant(event.start!);
			const end = instant(event.end!);
			expect(end).toBeGreaterThan(start);
			expect(event.start!.dateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00$/);
			if (end < NOW_MS) {
				past++;
				expect(event.recurrence).toBeUndefined();
				continue;
			}
			expect(start).toBeGreaterThanOrEqual(NOW_MS + HOUR);
			expect(end).toBeLessThanOrEqual(NOW_MS + 90 * DAY);
			if (event.isAllDay) {
				expect(event.start!.dateTime).toMatch(/T00:00:00$/);
				expect(event.end!.dateTime).toMatch(/T00:00:00$/);
			}
		}
		expect(past).toBe(tenant.summary.events.past);
		expect(share(past, n)).toBeCloseTo(0.03, 2);
	});

	it('has weekly series with a numbered range of 4–8 occurrences on the weekday of the first one', () => {
		for (const { event } of events.filter((e) => e.event.recurrence)) {
			const { pattern, range } = event.recurrence!;
			expect(pattern).toMatchObject({ type: 'weekly', interval: 1 });
			expect(range).toMatchObject({ type: 'numbered', recurrenceTimeZone: event.start!.timeZone });
			expect(range!.numberOfOccurrences).toBeGreaterThanOrEqual(4);
			expect(range!.numberOfOccurrences).toBeLessThanOrEqual(8);
			expect(range!.startDate).toBe(event.start!.dateTime!.slice(0, 10));
			const weekday = DateTime.fromISO(range!.startDate!, { zone: 'UTC' }).toFormat('cccc').toLowerCase();
			expect(pattern!.daysOfWeek).toEqual([weekday]);
		}
	});

	it('invites other sync users and externals, never the organizer', () => {
		let internal = 0;
		for (const { mailbox, event } of events) {
			for (const a of event.attendees ?? []) {
				expect(a.emailAddress!.address).not.toBe(mailbox);
				if (mailboxes.has(a.emailAddress!.address!)) internal++;
			}
		}
		expect(internal).toBe(tenant.summary.events.internalAttendees);
		expect(internal).toBeGreaterThan(0);
		expect(tenant.summary.events.externalAttendees).toBeGreaterThan(0);
	});
});

describe('the demo tenant (size s) has every special case', () => {
	const tenant = generateTenant(SMALL);
	it.each([
		['past activities', tenant.summary.activities.past],
		['cancelled activities', tenant.summary.activities.cancelled],
		['all-day activities', tenant.summary.activities.allDay],
		['calls', tenant.summary.activities.byType.Call],
		['tasks', tenant.summary.activities.byType.Task],
		['activities not synchronized', tenant.summary.activities.total - tenant.summary.activities.synchronize],
		['activities with a non-ASCII subject', tenant.summary.activities.nonAsciiSubject],
		['organizers that are not sync users', tenant.summary.activities.organizerNotSyncUser],
		['past events', tenant.summary.events.past],
		['private events', tenant.summary.events.private],
		['recurring series', tenant.summary.events.recurringSeries],
		['events in another time zone', tenant.summary.events.otherTimeZone],
		['all-day events', tenant.summary.events.allDay],
		['events with a non-ASCII subject', tenant.summary.events.nonAsciiSubject],
		['contacts with a right-to-left name', tenant.summary.contacts.rightToLeft],
		['contacts with another non-ASCII name', tenant.summary.contacts.nonAscii - tenant.summary.contacts.rightToLeft],
		['contacts without e-mail', tenant.summary.contacts.withoutEmail],
		['opted-out contacts', tenant.summary.contacts.optedOut],
		['users with a mixed-case e-mail', tenant.summary.users.mixedCaseEmails.length],
	])('%s', (_name, count) => {
		expect(count).toBeGreaterThan(0);
	});
});

describe('size l', () => {
	it('generates 500 users / 5,000 contacts / 5,000 activities / 10,000 events in under 10 s', () => {
		const started = Date.now();
		const tenant = generateTenant({ now: NOW, ...SIZES.l });
		const elapsed = Date.now() - started;
		expect(elapsed).toBeLessThan(10_000);
		expect(tenant.summary.users.sync).toBe(500);
		expect(tenant.summary.contacts.total).toBe(5000);
		expect(tenant.summary.activities.total).toBe(5000);
		expect(tenant.summary.events.total).toBe(10000);
	});
});

describe('valid for the emulators', () => {
	const tenant = generateTenant({ ...SMALL, users: 8, contacts: 60, activities: 40, events: 60 });
	let ln: LnEmulator;
	let graph: GraphEmulator;

	beforeAll(async () => {
		ln = new LnEmulator({ pageSize: 25 });
		graph = new GraphEmulator({ tls: ensureTestCertificate() });
		await Promise.all([ln.start(), graph.start()]);
		ln.seed(tenant.ln);
		graph.seed(tenant.graph);
	});

	afterAll(async () => {
		await Promise.all([ln.stop(), graph.stop()]);
	});

	it('LN: a token, then a page of contacts with business partner and address, and activities with attendees', async () => {
		const odata = client(ln, await passwordToken(ln));
		const page = await odata('Contacts?$expand=BusinessPartnerRef,WorkAddressRef&$orderby=Contact', { service: 'tcapi.comContact' });
		expect(page.status).toBe(200);
		const rows = values(page);
		expect(rows).toHaveLength(25);
		expect(page.body['@odata.nextLink']).toEqual(expect.any(String));
		const first = company(tenant).contacts[0];
		expect(rows[0]).toMatchObject({ Contact: first.Contact, FullName: first.FullName, Email: first.Email, Synchronize: first.Synchronize });
		expect((rows[0].BusinessPartnerRef as LnRow).BusinessPartner).toBe(first.BusinessPartner);
		expect((rows[0].WorkAddressRef as LnRow).Address).toBe(first.WorkAddress);

		const acts = await odata("Activities?$filter=Synchronize eq 'Yes'&$expand=Attendees&$count=true");
		expect(acts.status).toBe(200);
		expect(acts.body['@odata.count']).toBe(tenant.summary.activities.synchronize);
		expect((values(acts)[0].Attendees as LnRow[]).length).toBe(3);

		const users = await odata('SyncUsers');
		expect(values(users)).toHaveLength(tenant.summary.users.sync + 2);
	});

	it('Graph: a token, the users, and the calendarView of one user with its own events in the window', async () => {
		const raw = new RawGraph(graph);
		await raw.getToken();
		const users = await raw.get<{ value: Array<{ mail: string }> }>('/users');
		expect(users.status).toBe(200);
		expect(users.body.value.map((u) => u.mail).sort()).toEqual(tenant.graph.users.map((u) => u.mail).sort());

		const [mailbox, own] = Object.entries(tenant.graph.events!).sort((a, b) => b[1].length - a[1].length)[0];
		const from = new Date(NOW_MS).toISOString();
		const to = new Date(NOW_MS + 90 * DAY).toISOString();
		const seen: Event[] = [];
		let url: string | undefined = `/users/${mailbox}/calendarView?startDateTime=${from}&endDateTime=${to}`;
		while (url) {
			const res: { status: number; body: { value: Event[]; '@odata.nextLink'?: string } } = await raw.get(url, { Prefer: 'odata.maxpagesize=50' });
			expect(res.status).toBe(200);
			seen.push(...res.body.value);
			url = res.body['@odata.nextLink'];
		}
		const key = (subject: string | null | undefined, ms: number) => `${subject}|${ms}`;
		const shown = new Set(seen.filter((e) => e.subject).map((e) => key(e.subject, Date.parse(`${e.start!.dateTime!.slice(0, 19)}Z`))));
		for (const event of own.filter((e) => !e.recurrence)) {
			const start = instant(event.start!);
			const inWindow = instant(event.end!) > NOW_MS;
			expect({ subject: event.subject, shown: shown.has(key(event.subject, start)) }).toEqual({ subject: event.subject, shown: inWindow });
		}
		const series = own.filter((e) => e.recurrence);
		const occurrences = seen.filter((e) => e.type === 'occurrence').length;
		if (series.length > 0) expect(occurrences).toBeGreaterThan(0);
	});

	it('mutateTenant changes about `share` of the records on each side and reports them', async () => {
		const before = ln.list('100', 'activities');
		const report = mutateTenant(ln, graph, { share: 0.1, seed: 3, company: '100', now: NOW });
		expect(report.counts.lnActivities).toBe(Math.round(before.filter((a) => Date.parse(String(a.end)) >= NOW_MS).length * 0.1));
		expect(report.counts.lnContacts).toBe(6);
		expect(report.counts.graphUpdated).toBeGreaterThan(0);
		expect(report.counts.graphCreated).toBeGreaterThan(0);
		for (const change of report.ln.activities) {
			const old = before.find((a) => a.id === change.id)!;
			const now = ln.get('100', 'activities', change.id)!;
			for (const field of change.fields) expect(now[field]).not.toEqual(old[field]);
			if (change.fields.includes('subject')) expect(now.subject).toMatch(/ \[rev 1\]$/);
		}
		for (const change of report.graph.updated) {
			const event = graph.events(change.mailbox).find((e) => e.id === change.id)!;
			expect(event.subject).toMatch(/ \[rev 1\]$/);
		}
		for (const created of report.graph.created) {
			expect(graph.events(created.mailbox).some((e) => e.subject === created.subject)).toBe(true);
		}
		// A second round bumps the revision instead of growing the subject.
		const again = mutateTenant(ln, graph, { share: 1, seed: 4, company: '100', now: NOW });
		const twice = again.ln.activities.find((c) => report.ln.activities.some((r) => r.id === c.id && r.fields.includes('subject')) && c.fields.includes('subject'));
		if (twice) expect(ln.get('100', 'activities', twice.id)!.subject).toMatch(/[^\]] \[rev 2\]$/);
	});

	it('mutateTenant is deterministic for the same state and options', () => {
		const run = () => {
			ln.seed(tenant.ln);
			graph.seed(tenant.graph);
			const r = mutateTenant(ln, graph, { share: 0.2, seed: 9, company: '100', now: NOW });
			return {
				ln: r.ln,
				// Graph ids are random per seeding; compare what changed instead.
				graph: r.graph.updated.map((u) => [u.mailbox, graph.events(u.mailbox).find((e) => e.id === u.id)!.subject]),
				created: r.graph.created.map((c) => [c.mailbox, c.subject]),
			};
		};
		expect(run()).toEqual(run());
	});
});
