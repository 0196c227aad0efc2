import { DEFAULT_SERVICES } from '../../../lib/ln/contract';
import type { LnEmulator } from './emulator';
import { expectLnError, startEmulator, values, type ODataClient } from './test-helpers';

let emu: LnEmulator;
let odata: ODataClient;

beforeAll(async () => {
	({ emu, odata } = await startEmulator());
});
afterAll(() => emu.stop());

const CONTACTS = { service: DEFAULT_SERVICES.contactService };

async function activities(filter: string): Promise<string[]> {
	const reply = await odata(`Activities?$filter=${encodeURIComponent(filter)}`);
	expect(reply.status).toBe(200);
	return values(reply).map((e) => e.Activity as string);
}

async function contacts(filter: string): Promise<string[]> {
	const reply = await odata(`Contacts?$filter=${encodeURIComponent(filter)}`, CONTACTS);
	expect(reply.status).toBe(200);
	return values(reply).map((e) => e.Contact as string);
}

describe('$filter comparison operators', () => {
	it('eq / ne on strings, with the quote escape', async () => {
		expect(await activities("Subject eq 'Quarterly review'")).toEqual(['ACT000001']);
		expect(await activities("Subject eq 'O''Neil''s visit'")).toEqual(['ACT000004']);
		expect(await contacts("LastName eq 'O''Brien'")).toEqual(['C002']);
		expect(await activities("Type ne 'Appointment'")).toEqual(['ACT000002', 'ACT000003']);
	});

	it('gt / ge / lt / le on DateTimeOffset compare instants', async () => {
		expect(await activities('StartDate gt 2026-03-01T09:00:00Z')).toEqual(['ACT000002', 'ACT000004']);
		expect(await activities('StartDate ge 2026-03-01T09:00:00Z')).toEqual(['ACT000001', 'ACT000002', 'ACT000004']);
		expect(await activities('StartDate lt 2026-03-02T14:00:00Z')).toEqual(['ACT000001']);
		expect(await activities('StartDate le 2026-03-02T14:00:00Z')).toEqual(['ACT000001', 'ACT000002']);
		// ACT000004 was seeded as 08:00+02:00, i.e. 06:00Z.
		expect(await activities('StartDate eq 2026-04-10T06:00:00Z')).toEqual(['ACT000004']);
	});

	it('DateTimeOffset literals with offsets, fractions, and dates', async () => {
		expect(await activities('StartDate eq 2026-03-01T10:00:00+01:00')).toEqual(['ACT000001']);
		expect(await activities('StartDate eq 2026-03-01T04:00:00-05:00')).toEqual(['ACT000001']);
		expect(await activities('StartDate eq 2026-03-01T09:00:00.0000000Z')).toEqual(['ACT000001']);
		expect(await activities('StartDate eq 2026-03-01T09:00Z')).toEqual(['ACT000001']);
		expect(await activities('StartDate ge 2026-04-01')).toEqual(['ACT000004']);
		// An unencoded '+' in the offset still means plus (clients that form-encode spaces as '+').
		const raw = await odata('Activities?$filter=StartDate+eq+2026-03-01T10:00:00+01:00');
		expect(values(raw).map((e) => e.Activity)).toEqual(['ACT000001']);
	});

	it('null and numbers', async () => {
		expect(await activities('StartDate eq null')).toEqual(['ACT000003']);
		expect(await activities('StartDate ne null')).toEqual(['ACT000001', 'ACT000002', 'ACT000004']);
		const attendees = async (f: string) =>
			values(await odata(`Attendees?$filter=${encodeURIComponent(f)}`)).map((e) => `${e.Activity}/${e.Sequence}`);
		expect(await attendees('Sequence gt 1')).toEqual(['ACT000001/2', 'ACT000004/2']);
		expect(await attendees('Sequence lt 1.5 and Activity eq \'ACT000004\'')).toEqual(['ACT000004/1']);
		expect(await activities('ReminderMinutes eq 0 and Activity eq \'ACT000002\'')).toEqual(['ACT000002']);
	});

	it('in (…)', async () => {
		expect(await activities("Activity in ('ACT000003','ACT000001')")).toEqual(['ACT000001', 'ACT000003']);
	});
});

describe('$filter logic', () => {
	it('and, or, not and parentheses with OData precedence', async () => {
		expect(await activities("(Type eq 'Call' or Type eq 'Task') and not (Status eq 'Completed')")).toEqual(['ACT000002']);
		expect(await activities("Type eq 'Call' or Type eq 'Task' and Status eq 'Planned'")).toEqual(['ACT000002']);
		expect(await activities("(Type eq 'Call' or Type eq 'Task') and Status eq 'Completed'")).toEqual(['ACT000003']);
		expect(await activities("not contains(Subject,'view')")).toEqual(['ACT000002', 'ACT000003', 'ACT000004']);
	});

	it('enums as strings, qualified enum literals, and enum order', async () => {
		expect(await activities("Synchronize eq 'Yes'")).toEqual(['ACT000001', 'ACT000004']);
		expect(await activities("Status eq 'Cancelled'")).toEqual(['ACT000004']);
		expect(await activities("Status eq txcom.exchangeSync.ActivityStatus'Cancelled'")).toEqual(['ACT000004']);
		expect(await activities("Type eq 'Appointment' and Status ne 'Cancelled'")).toEqual(['ACT000001']);
		// Planned < Completed < Cancelled in LN's numbering.
		expect(await activities("Status gt 'Planned'")).toEqual(['ACT000003', 'ACT000004']);
		expect(await contacts("Synchronize eq 'Yes' and Active eq 'Yes'")).toEqual(['C001']);
	});
});

describe('$filter functions', () => {
	it('tolower, toupper, contains, startswith, endswith', async () => {
		expect(await contacts("tolower(Email) eq 'cara@acme.example'")).toEqual(['C003']);
		expect(await contacts("toupper(FirstName) eq 'ANN'")).toEqual(['C001']);
		expect(await activities("contains(Subject,'review')")).toEqual(['ACT000001']);
		expect(await activities("startswith(Subject,'Call')")).toEqual(['ACT000002']);
		expect(await activities("endswith(Subject,'visit')")).toEqual(['ACT000004']);
		expect(await activities("contains(tolower(Subject),'QUARTERLY') eq false and Type eq 'Appointment'")).toEqual(['ACT000001', 'ACT000004']);
		expect(await contacts("contains(tolower(Email),'acme')")).toEqual(['C001', 'C003']);
	});

	it('contact LastModifiedDate supports a "changed since" filter', async () => {
		expect(await contacts('LastModifiedDate gt 2026-02-01T00:00:00Z')).toEqual(['C002', 'C003']);
		expect(await contacts("LastModifiedDate ge 2026-02-01T12:30:00Z and Synchronize eq 'Yes'")).toEqual(['C003']);
	});
});

describe('$filter lambdas on the attendee navigation', () => {
	it('any with a condition', async () => {
		expect(await activities("Attendees/any(a: a/Attendee eq 'E001' and a/AttendeeType eq 'Employee')")).toEqual(['ACT000001', 'ACT000004']);
		expect(await activities("Attendees/any(a: a/Attendee eq 'E002' and a/Attendance eq 'MeetingOrganizer')")).toEqual(['ACT000002']);
		expect(await activities("Synchronize eq 'Yes' and Attendees/any(x: x/Email eq 'guest@example.org' and x/Invite eq 'Yes')")).toEqual([
			'ACT000004',
		]);
	});

	it('any() without a condition and all()', async () => {
		expect(await activities('Attendees/any()')).toEqual(['ACT000001', 'ACT000002', 'ACT000004']);
		expect(await activities('not Attendees/any()')).toEqual(['ACT000003']);
		// all() is true for an activity without attendees (ACT000003).
		expect(await activities("Attendees/all(a: a/AttendeeType eq 'Employee')")).toEqual(['ACT000002', 'ACT000003']);
		expect(await activities("Attendees/all(a: a/Invite eq 'Yes' or a/Attendance eq 'MeetingOrganizer') and Attendees/any()")).toEqual([
			'ACT000001',
			'ACT000002',
			'ACT000004',
		]);
	});

	it('the outer entity can be referenced inside the lambda', async () => {
		expect(await activities("Attendees/any(a: a/Sequence eq 2 and Status eq 'Cancelled')")).toEqual(['ACT000004']);
		expect(await activities("Attendees/any(a: a/Sequence eq 2 and $it/Status eq 'Planned')")).toEqual(['ACT000001']);
	});

	it('an attendee filter sees the attendees as they are after every write', async () => {
		const attending = "Attendees/any(a: a/Attendee eq 'E009' and a/AttendeeType eq 'Employee')";
		expect(await activities(attending)).toEqual([]);
		emu.update('100', 'attendees', { activity: 'ACT000002', sequence: 1 }, { code: 'E009' });
		expect(await activities(attending)).toEqual(['ACT000002']);
		expect(await activities(`${attending} or Subject eq 'Quarterly review'`)).toEqual(['ACT000001', 'ACT000002']);
		emu.update('100', 'attendees', { activity: 'ACT000002', sequence: 1 }, { code: 'E002' });
		expect(await activities(attending)).toEqual([]);
		expect(await activities("Attendees/any(a: a/Attendee eq 'E002' and a/Attendance eq 'MeetingOrganizer')")).toEqual(['ACT000002']);
	});
});

describe('$filter errors → 400 with LN’s body naming the problem', () => {
	const cases: Array<[string, RegExp]> = [
		['Foo eq 1', /property 'Foo' does not exist in type 'Activity_'/],
		["Subject eq 'unterminated", /unterminated string/],
		['Subject eq', /ends unexpectedly/],
		["Subject eq 'x' Type", /unexpected 'Type'/],
		["(Subject eq 'x'", /expected '\)'/],
		["frobnicate(Subject) eq 'x'", /unknown function 'frobnicate'/],
		["StartDate eq '2026-01-01T00:00:00Z'", /cannot compare Edm.DateTimeOffset with Edm.String/],
		['Subject eq 5', /cannot compare Edm.String with/],
		['Subject', /must be a Boolean expression/],
		["Type eq 'Meeting'", /'Meeting' is not a member/],
		["Attendees/any(a: a/Foo eq 'x')", /property 'Foo' does not exist in type 'Attendee_'/],
		["Attendees/some(a: a/Invite eq 'Yes')", /expected any\(…\) or all\(…\)/],
		['StartDate gt 2026-13-01T00:00:00Z', /not a valid DateTimeOffset/],
		["Subject eq 'a' & Type eq 'Call'", /unexpected character '&'/],
		["contains(Subject)", /takes 2 argument/],
	];
	it.each(cases)('%s', async (filter, message) => {
		const reply = await odata(`Activities?$filter=${encodeURIComponent(filter)}`);
		expectLnError(reply, 400, message);
		expect(reply.body.Code).toBe('ERROR:InvalidFilter');
	});
});
