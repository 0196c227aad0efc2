/**
 * The LN API contract used by the Infor LN node, the LN emulator and the README.
 *
 * Contacts come from the standard OData service `tcapi.comContact`. Activities, attendees and sync
 * users have no standard LN API, so an LN administrator builds one custom API with the REST API
 * Modeler (ttadv2570m700, package `tx`). Every name below is a default: a tenant whose API uses other
 * names overrides them in the node's "API Mapping" collection, without code changes.
 */

export const YES = 'Yes';
export const NO = 'No';
export type YesNo = typeof YES | typeof NO;

export const ACTIVITY_TYPES = ['Appointment', 'Call', 'Task', 'Mailing', 'EMail'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];
/** Only these activity types become calendar events (LN CRM guide). */
export const CALENDAR_ACTIVITY_TYPES: readonly ActivityType[] = ['Appointment', 'Call'];

export const ACTIVITY_STATUSES = ['Planned', 'Completed', 'Cancelled'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

export const SHOW_TIME_AS = ['Free', 'Tentative', 'Busy', 'OutOfOffice', 'WorkingElsewhere'] as const;
export type ShowTimeAs = (typeof SHOW_TIME_AS)[number];

export const SENSITIVITIES = ['Normal', 'Personal', 'Private', 'Confidential'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** Attendance role of an attendee (tccom6105m000 "Attendance"). */
export const ATTENDANCE_ROLES = ['Required', 'Optional', 'Resource', 'MeetingOrganizer'] as const;
export type AttendanceRole = (typeof ATTENDANCE_ROLES)[number];

export const ATTENDEE_TYPES = ['Employee', 'Contact', 'Other'] as const;
export type AttendeeType = (typeof ATTENDEE_TYPES)[number];

/** Attendance status, written back from the Exchange response. */
export const ATTENDANCE_STATUSES = ['Accepted', 'Tentative', 'Declined', 'None'] as const;
export type AttendanceStatus = (typeof ATTENDANCE_STATUSES)[number];

/** Services and entity sets. */
export const DEFAULT_SERVICES = {
	/** Standard LN service for contacts. */
	contactService: 'tcapi.comContact',
	contactEntitySet: 'Contacts',
	/** Custom API built with the REST API Modeler (package tx, module com). */
	syncService: 'txcom.exchangeSync',
	activityEntitySet: 'Activities',
	attendeeEntitySet: 'Attendees',
	syncUserEntitySet: 'SyncUsers',
	/** Navigation property from an activity to its attendees. */
	activityAttendeesNavigation: 'Attendees',
	/** Navigation properties of the standard contact service. */
	contactBusinessPartnerNavigation: 'BusinessPartnerRef',
	contactWorkAddressNavigation: 'WorkAddressRef',
} as const;

/** Logical field → LN property name, per entity. */
export const DEFAULT_CONTACT_FIELDS = {
	id: 'Contact',
	firstName: 'FirstName',
	middleName: 'MiddleName',
	lastName: 'LastName',
	fullName: 'FullName',
	title: 'Title',
	jobTitle: 'JobTitle',
	department: 'Department',
	email: 'Email',
	officePhone: 'OfficePhone',
	mobilePhone: 'MobilePhone',
	homePhone: 'HomePhone',
	fax: 'Fax',
	businessPartner: 'BusinessPartner',
	website: 'Website',
	text: 'Text',
	synchronize: 'Synchronize',
	active: 'Active',
	optedOut: 'OptedOut',
	/** Empty: the standard service exposes no modification date; changes are found by content hash. */
	modifiedAt: '',
} as const;

export const DEFAULT_BUSINESS_PARTNER_FIELDS = {
	id: 'BusinessPartner',
	name: 'Name',
} as const;

export const DEFAULT_ADDRESS_FIELDS = {
	id: 'Address',
	street: 'Street',
	houseNumber: 'HouseNumber',
	city: 'City',
	postalCode: 'PostalCode',
	state: 'State',
	country: 'Country',
} as const;

export const DEFAULT_ACTIVITY_FIELDS = {
	id: 'Activity',
	type: 'Type',
	subject: 'Subject',
	start: 'StartDate',
	end: 'EndDate',
	allDay: 'AllDay',
	location: 'Location',
	showTimeAs: 'ShowTimeAs',
	reminder: 'Reminder',
	reminderMinutes: 'ReminderMinutes',
	text: 'Text',
	status: 'Status',
	synchronize: 'Synchronize',
	sensitivity: 'Sensitivity',
	/** Holds the Exchange iCalUId of the linked event (LN's reference/GUID field). */
	reference: 'Reference',
	modifiedAt: 'LastModifiedDate',
} as const;

export const DEFAULT_ATTENDEE_FIELDS = {
	activity: 'Activity',
	sequence: 'Sequence',
	role: 'Attendance',
	type: 'AttendeeType',
	code: 'Attendee',
	name: 'FullName',
	email: 'Email',
	status: 'AttendanceStatus',
	invite: 'Invite',
	synchronized: 'Synchronized',
	sentToSynchronizer: 'SentToSynchronizer',
} as const;

export const DEFAULT_SYNC_USER_FIELDS = {
	user: 'User',
	name: 'Name',
	email: 'Email',
	active: 'Active',
	employee: 'Employee',
	employeeEmail: 'EmployeeEmail',
} as const;

export type ContactField = keyof typeof DEFAULT_CONTACT_FIELDS;
export type BusinessPartnerField = keyof typeof DEFAULT_BUSINESS_PARTNER_FIELDS;
export type AddressField = keyof typeof DEFAULT_ADDRESS_FIELDS;
export type ActivityField = keyof typeof DEFAULT_ACTIVITY_FIELDS;
export type AttendeeField = keyof typeof DEFAULT_ATTENDEE_FIELDS;
export type SyncUserField = keyof typeof DEFAULT_SYNC_USER_FIELDS;
export type ServiceName = keyof typeof DEFAULT_SERVICES;

export interface LnApiMapping {
	services: Record<ServiceName, string>;
	contact: Record<ContactField, string>;
	businessPartner: Record<BusinessPartnerField, string>;
	address: Record<AddressField, string>;
	activity: Record<ActivityField, string>;
	attendee: Record<AttendeeField, string>;
	syncUser: Record<SyncUserField, string>;
}

export const DEFAULT_MAPPING: LnApiMapping = {
	services: { ...DEFAULT_SERVICES },
	contact: { ...DEFAULT_CONTACT_FIELDS },
	businessPartner: { ...DEFAULT_BUSINESS_PARTNER_FIELDS },
	address: { ...DEFAULT_ADDRESS_FIELDS },
	activity: { ...DEFAULT_ACTIVITY_FIELDS },
	attendee: { ...DEFAULT_ATTENDEE_FIELDS },
	syncUser: { ...DEFAULT_SYNC_USER_FIELDS },
};

/** Names that may be empty: the feature is then off (e.g. no modification date on contacts). */
const OPTIONAL_NAMES = new Set(['contact.modifiedAt', 'activity.modifiedAt']);

const ODATA_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SERVICE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export type LnMappingOverrides = {
	[G in keyof LnApiMapping]?: Partial<LnApiMapping[G]>;
};

/**
 * Applies overrides to the defaults. Unknown groups or names and names that are not OData
 * identifiers are refused with an error naming the entry, so a typo never reaches LN.
 */
export function resolveMapping(overrides: LnMappingOverrides = {}): LnApiMapping {
	const result: LnApiMapping = JSON.parse(JSON.stringify(DEFAULT_MAPPING));
	for (const [group, entries] of Object.entries(overrides)) {
		if (!Object.prototype.hasOwnProperty.call(result, group)) {
			throw new Error(
				`Unknown API mapping group "${group}"; expected one of ${Object.keys(result).join(', ')}`,
			);
		}
		const target = result[group as keyof LnApiMapping] as Record<string, string>;
		for (const [name, value] of Object.entries(entries ?? {})) {
			if (!Object.prototype.hasOwnProperty.call(target, name)) {
				throw new Error(
					`Unknown API mapping name "${group}.${name}"; expected one of ${Object.keys(target).join(', ')}`,
				);
			}
			if (value === undefined) continue;
			if (typeof value !== 'string') {
				throw new Error(`API mapping "${group}.${name}" has an invalid name ${JSON.stringify(value)}: names are text`);
			}
			const trimmed = value.trim();
			const pattern = group === 'services' && name.endsWith('Service') ? SERVICE_NAME : ODATA_IDENTIFIER;
			if (trimmed === '' && OPTIONAL_NAMES.has(`${group}.${name}`)) {
				target[name] = '';
				continue;
			}
			if (!pattern.test(trimmed)) {
				throw new Error(`API mapping "${group}.${name}" has an invalid name "${String(value)}"`);
			}
			target[name] = trimmed;
		}
	}
	return result;
}

/** The path of a service below the ION API base: `{iu}/{ti}/LN/lnapi/odata/{service}`. */
export const LN_ODATA_ROOT = 'LN/lnapi/odata';

/** An LN code (activity, contact, employee): letters, digits, `.`, `_` and `-`, at most 30. */
export const LN_CODE = /^[A-Za-z0-9._-]{1,30}$/;

/** An LN company number (1 to 4 digits). */
export const LN_COMPANY = /^\d{1,4}$/;

/** The LN company of a node parameter, checked: it goes into key prefixes and `$filter`s. */
export function checkedLnCompany(value: unknown): string {
	const company = String(value ?? '').trim();
	if (!LN_COMPANY.test(company)) throw new Error(`field LN Company "${company.slice(0, 20)}" must be an LN company number`);
	return company;
}
