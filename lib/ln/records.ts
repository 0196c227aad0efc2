import { LN_CODE, NO, YES, type LnApiMapping } from './contract';
import type { LnActivity, LnAddress, LnAttendee, LnContact, SyncUser } from '../sync/model';

/**
 * Conversion between LN records as the API sends them (physical names from the mapping, 'Yes'/'No'
 * enums) and the records our nodes exchange (logical names, booleans, UTC ISO dates).
 */

type Raw = Record<string, unknown>;

export class LnRecordError extends Error {}

function str(raw: Raw, name: string): string | undefined {
	if (!name) return undefined;
	const value = raw[name];
	if (value === undefined || value === null) return undefined;
	return String(value);
}

export function yesNo(value: unknown): boolean {
	if (typeof value === 'boolean') return value;
	return String(value ?? '').toLowerCase() === 'yes' || value === 1 || value === '1' || String(value).toLowerCase() === 'true';
}

export function toYesNo(value: unknown): string {
	return value ? YES : NO;
}

export function toSyncUser(raw: Raw, mapping: LnApiMapping): SyncUser {
	const f = mapping.syncUser;
	return {
		user: str(raw, f.user) ?? '',
		name: str(raw, f.name),
		email: (str(raw, f.email) ?? '').trim(),
		employee: str(raw, f.employee),
		employeeEmail: str(raw, f.employeeEmail),
		active: yesNo(raw[f.active]),
	};
}

function toAddress(raw: Raw | undefined, mapping: LnApiMapping): LnAddress | undefined {
	if (!raw || typeof raw !== 'object') return undefined;
	const f = mapping.address;
	return {
		street: str(raw, f.street),
		houseNumber: str(raw, f.houseNumber),
		city: str(raw, f.city),
		postalCode: str(raw, f.postalCode),
		state: str(raw, f.state),
		country: str(raw, f.country),
	};
}

export function toContact(raw: Raw, mapping: LnApiMapping, company: string): LnContact {
	const f = mapping.contact;
	const partner = raw[mapping.services.contactBusinessPartnerNavigation] as Raw | undefined;
	const address = raw[mapping.services.contactWorkAddressNavigation] as Raw | undefined;
	const id = str(raw, f.id);
	if (!id) throw new LnRecordError(`An LN contact has no "${f.id}" (the contact code)`);
	return {
		company,
		id,
		firstName: str(raw, f.firstName),
		middleName: str(raw, f.middleName),
		lastName: str(raw, f.lastName),
		fullName: str(raw, f.fullName),
		title: str(raw, f.title),
		jobTitle: str(raw, f.jobTitle),
		department: str(raw, f.department),
		email: str(raw, f.email),
		officePhone: str(raw, f.officePhone),
		mobilePhone: str(raw, f.mobilePhone),
		homePhone: str(raw, f.homePhone),
		fax: str(raw, f.fax),
		businessPartner: str(raw, f.businessPartner),
		businessPartnerName: partner ? str(partner, mapping.businessPartner.name) : undefined,
		workAddress: toAddress(address, mapping),
		website: str(raw, f.website),
		text: str(raw, f.text),
		synchronize: yesNo(raw[f.synchronize]),
		active: f.active ? (raw[f.active] === undefined ? true : yesNo(raw[f.active])) : true,
		optedOut: f.optedOut ? yesNo(raw[f.optedOut]) : undefined,
		modifiedAt: f.modifiedAt ? str(raw, f.modifiedAt) : undefined,
	};
}

export function toAttendee(raw: Raw, mapping: LnApiMapping): LnAttendee {
	const f = mapping.attendee;
	return {
		activity: str(raw, f.activity) ?? '',
		sequence: Number(raw[f.sequence]),
		role: (str(raw, f.role) ?? 'Required') as LnAttendee['role'],
		type: (str(raw, f.type) ?? 'Other') as LnAttendee['type'],
		code: str(raw, f.code),
		name: str(raw, f.name),
		email: str(raw, f.email)?.trim(),
		status: (str(raw, f.status) ?? 'None') as LnAttendee['status'],
		invite: yesNo(raw[f.invite]),
		synchronized: yesNo(raw[f.synchronized]),
		sentToSynchronizer: yesNo(raw[f.sentToSynchronizer]),
		etag: str(raw, '@odata.etag'),
	};
}

export function toActivity(raw: Raw, mapping: LnApiMapping, company: string, readAt?: string): LnActivity {
	const f = mapping.activity;
	const id = str(raw, f.id);
	if (!id) throw new LnRecordError(`An LN activity has no "${f.id}" (the activity code)`);
	const attendees = raw[mapping.services.activityAttendeesNavigation];
	const reminderMinutes = raw[f.reminderMinutes];
	return {
		company,
		id,
		type: str(raw, f.type) ?? '',
		subject: str(raw, f.subject) ?? '',
		start: str(raw, f.start) ?? '',
		end: str(raw, f.end) ?? '',
		allDay: yesNo(raw[f.allDay]),
		location: str(raw, f.location),
		showTimeAs: str(raw, f.showTimeAs),
		reminder: yesNo(raw[f.reminder]),
		reminderMinutes: reminderMinutes === undefined || reminderMinutes === null ? undefined : Number(reminderMinutes),
		text: str(raw, f.text),
		status: str(raw, f.status) ?? '',
		synchronize: yesNo(raw[f.synchronize]),
		sensitivity: str(raw, f.sensitivity),
		reference: str(raw, f.reference) || undefined,
		modifiedAt: f.modifiedAt ? str(raw, f.modifiedAt) : undefined,
		etag: str(raw, '@odata.etag'),
		attendees: Array.isArray(attendees)
			? (attendees as Raw[]).map((a) => toAttendee(a, mapping)).sort((a, b) => a.sequence - b.sequence)
			: [],
		readAt,
	};
}

const ACTIVITY_BOOLEAN_FIELDS = new Set(['allDay', 'reminder', 'synchronize']);
const ATTENDEE_BOOLEAN_FIELDS = new Set(['invite', 'synchronized', 'sentToSynchronizer']);

/** Logical activity changes → the PATCH/POST body with LN's names and enum values. */
export function activityBody(fields: Record<string, unknown>, mapping: LnApiMapping): Raw {
	const body: Raw = {};
	for (const [logical, value] of Object.entries(fields)) {
		const physical = (mapping.activity as Record<string, string>)[logical];
		if (!physical) throw new LnRecordError(`Unknown activity field "${logical}"`);
		if (value === undefined) continue;
		body[physical] = ACTIVITY_BOOLEAN_FIELDS.has(logical) ? toYesNo(value) : value;
	}
	return body;
}

export function attendeeBody(fields: Record<string, unknown>, mapping: LnApiMapping): Raw {
	const body: Raw = {};
	for (const [logical, value] of Object.entries(fields)) {
		const physical = (mapping.attendee as Record<string, string>)[logical];
		if (!physical) throw new LnRecordError(`Unknown attendee field "${logical}"`);
		if (value === undefined) continue;
		body[physical] = ATTENDEE_BOOLEAN_FIELDS.has(logical) ? toYesNo(value) : value;
	}
	return body;
}

/** OData string literal. */
export function odataString(value: string): string {
	return `'${String(value).replace(/'/g, "''")}'`;
}

/** An LN code as a value for a key path: checked (LN_CODE), so that it cannot step to another record. */
export function lnCode(value: string, field: string): string {
	const code = String(value ?? '');
	if (!LN_CODE.test(code)) throw new LnRecordError(`field ${field} "${code.slice(0, 60)}" is not an LN code (letters, digits, . _ -; at most 30)`);
	return code;
}

/** `Activities('ACT1')`, the key checked and percent-encoded. */
export function activityKeyPath(mapping: LnApiMapping, activity: string): string {
	return `${mapping.services.activityEntitySet}(${encodeURIComponent(odataString(lnCode(activity, 'Activity')))})`;
}

/** `Attendees(Activity='ACT1',Sequence=2)`, the keys checked and percent-encoded. */
export function attendeeKeyPath(mapping: LnApiMapping, activity: string, sequence: number): string {
	const f = mapping.attendee;
	if (!Number.isInteger(Number(sequence)) || Number(sequence) < 0) throw new LnRecordError(`field Sequence "${String(sequence).slice(0, 20)}" is not a whole number`);
	return `${mapping.services.attendeeEntitySet}(${f.activity}=${encodeURIComponent(odataString(lnCode(activity, 'Activity')))},${f.sequence}=${Number(sequence)})`;
}
