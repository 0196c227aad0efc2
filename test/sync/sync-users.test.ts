import type { SyncUser } from '../../lib/sync/model';
import { SyncUserIndex } from '../../lib/sync/sync-users';
import { attendee, employee, USERS } from './builders';

const user = (partial: Partial<SyncUser> & Pick<SyncUser, 'user'>): SyncUser => ({
	email: `${partial.user}@contoso.com`,
	active: true,
	...partial,
});

describe('the sync-user index', () => {
	it('holds the active sync users with a valid mailbox', () => {
		const index = new SyncUserIndex([
			...USERS,
			user({ user: 'dan', active: false, employee: 'E004' }),
			user({ user: 'eve', email: 'not-an-address', employee: 'E005' }),
			user({ user: 'fay', email: '' }),
		]);
		expect(index.size).toBe(3);
		expect(index.all().map((u) => u.user)).toEqual(['ann', 'bob', 'cat']);
		expect(index.isSyncMailbox('dan@contoso.com')).toBe(false);
		expect(index.forEmployee('E004')).toBeUndefined();
		expect(index.forEmployee('E005')).toBeUndefined();
		expect(index.warnings).toEqual([
			'Sync user eve has no valid e-mail address ("not-an-address") and is skipped',
			'Sync user fay has no valid e-mail address ("") and is skipped',
		]);
	});

	it('does not warn about inactive users', () => {
		expect(new SyncUserIndex([user({ user: 'dan', active: false, email: 'bad' })]).warnings).toEqual([]);
	});

	it('finds mailboxes without regard to case and surrounding spaces', () => {
		const index = new SyncUserIndex([user({ user: 'ann', email: 'Ann.Smith@Contoso.com', employee: 'E001' })]);
		expect(index.byMailbox('ann.smith@contoso.com')?.user).toBe('ann');
		expect(index.byMailbox(' ANN.SMITH@CONTOSO.COM ')?.user).toBe('ann');
		expect(index.isSyncMailbox('ann.smith@contoso.org')).toBe(false);
		expect(index.byMailbox(undefined)).toBeUndefined();
		expect(index.byMailbox('')).toBeUndefined();
		expect(index.employeeOfMailbox('ANN.SMITH@contoso.com')).toBe('E001');
		expect(index.employeeOfMailbox('nobody@contoso.com')).toBeUndefined();
	});

	it('keeps the first of two users sharing a mailbox (in any case) and warns', () => {
		const index = new SyncUserIndex([user({ user: 'ann', email: 'ann@contoso.com' }), user({ user: 'ann2', email: 'ANN@contoso.com' })]);
		expect(index.size).toBe(1);
		expect(index.byMailbox('ann@contoso.com')?.user).toBe('ann');
		expect(index.warnings).toEqual(['Sync users ann and ann2 share the mailbox ann@contoso.com; ann2 is skipped']);
	});

	it('finds users by employee', () => {
		const index = new SyncUserIndex(USERS);
		expect(index.forEmployee('E002')?.user).toBe('bob');
		expect(index.forEmployee('E999')).toBeUndefined();
		expect(index.forEmployee(undefined)).toBeUndefined();
	});
});

describe('which attendee is a sync user (LN rule)', () => {
	const index = new SyncUserIndex(USERS);

	it("is an Employee attendee whose employee's user is a sync user with the same e-mail", () => {
		expect(index.forAttendee(employee('E002', 'bob@contoso.com'))?.user).toBe('bob');
	});

	it('never a Contact or Other attendee, even with a sync mailbox', () => {
		expect(index.forAttendee(attendee({ role: 'Required', type: 'Contact', code: 'E002', email: 'bob@contoso.com' }))).toBeUndefined();
		expect(index.forAttendee(attendee({ role: 'Required', type: 'Other', email: 'bob@contoso.com' }))).toBeUndefined();
	});

	it("not an employee without a sync user, nor one whose employee e-mail (Employees - People) differs from the sync e-mail", () => {
		expect(index.forAttendee(employee('E999', 'bob@contoso.com'))).toBeUndefined();
		const differs = new SyncUserIndex([user({ user: 'bob', email: 'bob@contoso.com', employee: 'E002', employeeEmail: 'robert.baker@contoso.com' })]);
		expect(differs.forAttendee(employee('E002', 'bob@contoso.com'))).toBeUndefined();
		expect(differs.warnings).toEqual([
			'Sync user bob: employee E002 has the e-mail "robert.baker@contoso.com" in Employees - People, not the sync address "bob@contoso.com"; the calendars of activities that employee attends are not synchronized for bob@contoso.com',
		]);
	});

	it("goes by the employee's e-mail, not the e-mail typed on the attendee line", () => {
		expect(index.forAttendee(employee('E002', 'robert@contoso.com'))?.user).toBe('bob');
	});

	it("not the employee of an inactive sync user", () => {
		const withInactive = new SyncUserIndex([...USERS, user({ user: 'dan', active: false, employee: 'E004', employeeEmail: 'dan@contoso.com' })]);
		expect(withInactive.forAttendee(employee('E004', 'dan@contoso.com'))).toBeUndefined();
	});

	it("uses the employee's e-mail when the attendee carries none", () => {
		expect(index.forAttendee(attendee({ role: 'Required', type: 'Employee', code: 'E003' }))?.user).toBe('cat');
		const differs = new SyncUserIndex([user({ user: 'dan', employee: 'E004', employeeEmail: 'daniel@contoso.com' })]);
		expect(differs.forAttendee(attendee({ role: 'Required', type: 'Employee', code: 'E004' }))).toBeUndefined();
		const none = new SyncUserIndex([user({ user: 'dan', employee: 'E004' })]);
		expect(none.forAttendee(attendee({ role: 'Required', type: 'Employee', code: 'E004' }))).toBeUndefined();
	});

	it('matches an e-mail differing only in case, with a warning for the report', () => {
		const cased = new SyncUserIndex([user({ user: 'bob', email: 'bob@contoso.com', employee: 'E002', employeeEmail: 'Bob@Contoso.com' })]);
		const warnings: string[] = [];
		const found = cased.forAttendee(employee('E002', 'bob@contoso.com', 'Required', { activity: 'A7' }), warnings);
		expect(found?.user).toBe('bob');
		expect(warnings).toEqual([
			'Employee E002 (attendee of activity A7) has the e-mail "Bob@Contoso.com" while sync user bob has "bob@contoso.com" (matched without regard to case)',
		]);
		const quiet: string[] = [];
		index.forAttendee(employee('E002', 'bob@contoso.com'), quiet);
		expect(quiet).toEqual([]);
	});
});
