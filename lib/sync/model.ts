import type {
	ActivityStatus,
	ActivityType,
	AttendanceRole,
	AttendanceStatus,
	AttendeeType,
	Sensitivity,
	ShowTimeAs,
} from '../ln/contract';

/**
 * Records as the Infor LN node outputs them: logical (camelCase) names, booleans instead of
 * 'Yes'/'No', dates as UTC ISO text. The Microsoft Exchange node takes the same shapes as input.
 */
export interface SyncUser {
	user: string;
	name?: string;
	email: string;
	employee?: string;
	/** The employee's own e-mail (bpmdm0101m000); must equal `email` for the employee to count. */
	employeeEmail?: string;
	active: boolean;
}

export interface LnAttendee {
	activity: string;
	sequence: number;
	role: AttendanceRole;
	type: AttendeeType;
	code?: string;
	name?: string;
	email?: string;
	status: AttendanceStatus;
	invite: boolean;
	synchronized: boolean;
	sentToSynchronizer: boolean;
	etag?: string;
}

export interface LnActivity {
	company: string;
	id: string;
	type: ActivityType | string;
	subject: string;
	start: string;
	end: string;
	allDay: boolean;
	location?: string;
	showTimeAs?: ShowTimeAs | string;
	reminder: boolean;
	reminderMinutes?: number;
	text?: string;
	status: ActivityStatus | string;
	synchronize: boolean;
	sensitivity?: Sensitivity | string;
	/** Exchange iCalUId of the linked event, if any. */
	reference?: string;
	modifiedAt?: string;
	etag?: string;
	attendees: LnAttendee[];
	/** When this record was read from LN (ISO). */
	readAt?: string;
}

/** An activity that no longer exists in LN (404), as the Get operation reports it. */
export interface LnDeletedActivity {
	company: string;
	id: string;
	deleted: true;
}

export interface LnAddress {
	street?: string;
	houseNumber?: string;
	city?: string;
	postalCode?: string;
	state?: string;
	country?: string;
}

export interface LnContact {
	company: string;
	id: string;
	firstName?: string;
	middleName?: string;
	lastName?: string;
	fullName?: string;
	title?: string;
	jobTitle?: string;
	department?: string;
	email?: string;
	officePhone?: string;
	mobilePhone?: string;
	homePhone?: string;
	fax?: string;
	businessPartner?: string;
	businessPartnerName?: string;
	workAddress?: LnAddress;
	website?: string;
	text?: string;
	synchronize: boolean;
	active: boolean;
	optedOut?: boolean;
	modifiedAt?: string;
}

export type ConflictPolicy = 'originWins' | 'lnWins' | 'exchangeWins';
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['originWins', 'lnWins', 'exchangeWins'];

export type Origin = 'ln' | 'exchange';
