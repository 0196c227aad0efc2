import {
	ACTIVITY_STATUSES,
	ACTIVITY_TYPES,
	ATTENDANCE_ROLES,
	ATTENDANCE_STATUSES,
	ATTENDEE_TYPES,
	NO,
	SENSITIVITIES,
	SHOW_TIME_AS,
	YES,
	type LnApiMapping,
} from '../../../lib/ln/contract';
import { badRequest } from './errors';

/** The emulator's internal names of the entity sets (logical, independent of the mapping). */
export const ENTITY_KINDS = ['contacts', 'businessPartners', 'addresses', 'activities', 'attendees', 'syncUsers'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export type EdmType = 'Edm.String' | 'Edm.Int32' | 'Edm.DateTimeOffset';

/** An LN enum domain, exposed like LN does: an EnumType over Edm.Byte with numbered members. */
export interface EnumDef {
	name: string;
	members: readonly string[];
}

export const ENUMS = {
	// LN's own name of its yes/no domain (seen in tcapi.comBusinessPartner's $metadata).
	yesNo: { name: 'AnswerOnQuestionYn', members: [YES, NO] },
	activityType: { name: 'ActivityKind', members: ACTIVITY_TYPES },
	activityStatus: { name: 'ActivityStatus', members: ACTIVITY_STATUSES },
	showTimeAs: { name: 'ShowTimeAs', members: SHOW_TIME_AS },
	sensitivity: { name: 'Sensitivity', members: SENSITIVITIES },
	attendance: { name: 'Attendance', members: ATTENDANCE_ROLES },
	attendeeType: { name: 'AttendeeType', members: ATTENDEE_TYPES },
	attendanceStatus: { name: 'AttendanceStatus', members: ATTENDANCE_STATUSES },
} satisfies Record<string, EnumDef>;

export interface FieldDef {
	/** Internal name: a key of the contract's DEFAULT_*_FIELDS (or an emulator-only extra). */
	logical: string;
	/** Name on the wire, from the mapping. */
	physical: string;
	type: EdmType;
	enumDef?: EnumDef;
	/** Maintained by the server (LastModifiedDate); ignored in request bodies. */
	computed?: boolean;
	/** Value of a new record when the client sends none. */
	defaultValue: string | number | null;
}

export interface NavDef {
	name: string;
	target: EntityKind;
	collection: boolean;
	/** Single-valued: the logical field of the source holding the target's key. */
	viaField?: string;
	/** Collection-valued: the logical field of the target holding the source's key. */
	backField?: string;
}

export interface EntityDef {
	kind: EntityKind;
	service: string;
	entitySet: string;
	/** CSDL type name; LN's standard services end type names with an underscore (`Contact_`). */
	typeName: string;
	/** Logical key fields, in key order. */
	keys: string[];
	fields: FieldDef[];
	byLogical: Map<string, FieldDef>;
	byPhysical: Map<string, FieldDef>;
	navigations: NavDef[];
}

/** Physical name used for a modification date when the mapping leaves it empty. */
export const DEFAULT_MODIFIED_AT = 'LastModifiedDate';
/**
 * The contact's work address code. Not in the contract (the node reads the address only through
 * the `WorkAddressRef` navigation), so the emulator names it like tcapi.comContact does.
 */
export const CONTACT_WORK_ADDRESS_FIELD = 'workAddress';
export const CONTACT_WORK_ADDRESS_NAME = 'WorkAddress';

type FieldSpec = Partial<Omit<FieldDef, 'logical' | 'physical'>>;

function fields(names: Record<string, string>, specs: Record<string, FieldSpec> = {}): FieldDef[] {
	return Object.entries(names).map(([logical, physical]) => {
		const spec = specs[logical] ?? {};
		const type = spec.type ?? 'Edm.String';
		return {
			logical,
			physical,
			type,
			enumDef: spec.enumDef,
			computed: spec.computed,
			defaultValue:
				spec.defaultValue !== undefined ? spec.defaultValue : type === 'Edm.String' && !spec.enumDef ? '' : null,
		};
	});
}

const yesNo = (defaultValue: string): FieldSpec => ({ enumDef: ENUMS.yesNo, defaultValue });
const modified: FieldSpec = { type: 'Edm.DateTimeOffset', computed: true };

function entity(
	kind: EntityKind,
	service: string,
	entitySet: string,
	typeName: string,
	keys: string[],
	fieldDefs: FieldDef[],
	navigations: NavDef[] = [],
): EntityDef {
	const byLogical = new Map(fieldDefs.map((f) => [f.logical, f]));
	const byPhysical = new Map(fieldDefs.map((f) => [f.physical, f]));
	return { kind, service, entitySet, typeName, keys, fields: fieldDefs, byLogical, byPhysical, navigations };
}

/** The emulator's model of both services, with the names a mapping gives them. */
export class Schema {
	readonly entities: Record<EntityKind, EntityDef>;

	constructor(readonly mapping: LnApiMapping) {
		const s = mapping.services;
		const contactNames: Record<string, string> = {
			...mapping.contact,
			modifiedAt: mapping.contact.modifiedAt || DEFAULT_MODIFIED_AT,
			[CONTACT_WORK_ADDRESS_FIELD]: CONTACT_WORK_ADDRESS_NAME,
		};
		const activityNames: Record<string, string> = {
			...mapping.activity,
			modifiedAt: mapping.activity.modifiedAt || DEFAULT_MODIFIED_AT,
		};
		this.entities = {
			contacts: entity(
				'contacts',
				s.contactService,
				s.contactEntitySet,
				'Contact_',
				['id'],
				fields(contactNames, {
					synchronize: yesNo(NO),
					active: yesNo(YES),
					optedOut: yesNo(NO),
					modifiedAt: modified,
				}),
				[
					{ name: s.contactBusinessPartnerNavigation, target: 'businessPartners', collection: false, viaField: 'businessPartner' },
					{ name: s.contactWorkAddressNavigation, target: 'addresses', collection: false, viaField: CONTACT_WORK_ADDRESS_FIELD },
				],
			),
			businessPartners: entity('businessPartners', s.contactService, 'BusinessPartners', 'BusinessPartner_', ['id'], fields(mapping.businessPartner)),
			addresses: entity('addresses', s.contactService, 'Addresses', 'Address_', ['id'], fields(mapping.address)),
			activities: entity(
				'activities',
				s.syncService,
				s.activityEntitySet,
				'Activity_',
				['id'],
				fields(activityNames, {
					type: { enumDef: ENUMS.activityType },
					start: { type: 'Edm.DateTimeOffset' },
					end: { type: 'Edm.DateTimeOffset' },
					allDay: yesNo(NO),
					showTimeAs: { enumDef: ENUMS.showTimeAs, defaultValue: 'Busy' },
					reminder: yesNo(NO),
					reminderMinutes: { type: 'Edm.Int32', defaultValue: 0 },
					status: { enumDef: ENUMS.activityStatus, defaultValue: 'Planned' },
					synchronize: yesNo(NO),
					sensitivity: { enumDef: ENUMS.sensitivity, defaultValue: 'Normal' },
					modifiedAt: modified,
				}),
				[{ name: s.activityAttendeesNavigation, target: 'attendees', collection: true, backField: 'activity' }],
			),
			attendees: entity(
				'attendees',
				s.syncService,
				s.attendeeEntitySet,
				'Attendee_',
				['activity', 'sequence'],
				fields(mapping.attendee, {
					sequence: { type: 'Edm.Int32' },
					role: { enumDef: ENUMS.attendance, defaultValue: 'Required' },
					type: { enumDef: ENUMS.attendeeType, defaultValue: 'Other' },
					status: { enumDef: ENUMS.attendanceStatus, defaultValue: 'None' },
					invite: yesNo(NO),
					synchronized: yesNo(NO),
					sentToSynchronizer: yesNo(NO),
				}),
			),
			syncUsers: entity('syncUsers', s.syncService, s.syncUserEntitySet, 'SyncUser_', ['user'], fields(mapping.syncUser, { active: yesNo(YES) })),
		};
	}

	/** Entity sets of a service, by entity-set name. */
	entitySetsOf(service: string): EntityDef[] {
		return ENTITY_KINDS.map((k) => this.entities[k]).filter((d) => d.service === service);
	}

	hasService(service: string): boolean {
		return this.entitySetsOf(service).length > 0;
	}

	find(service: string, entitySet: string): EntityDef | undefined {
		return this.entitySetsOf(service).find((d) => d.entitySet === entitySet);
	}

	/** `activities`, or the physical entity-set name (`Activities`), to a definition. */
	byName(name: string): EntityDef {
		if ((ENTITY_KINDS as readonly string[]).includes(name)) return this.entities[name as EntityKind];
		const def = ENTITY_KINDS.map((k) => this.entities[k]).find((d) => d.entitySet === name);
		if (!def) throw new Error(`Unknown LN entity set "${name}"; expected one of ${ENTITY_KINDS.join(', ')}`);
		return def;
	}
}

// ---- values -------------------------------------------------------------------------------

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an OData DateTimeOffset text, or undefined when it is not one. */
/** Parsed dates by their text: a filter compares the same few dates with every record. */
const parsedDates = new Map<string, number | undefined>();

export function parseDateTimeOffset(text: string): number | undefined {
	if (parsedDates.has(text)) return parsedDates.get(text);
	if (parsedDates.size >= 100_000) parsedDates.clear();
	const value = parseDateTimeOffsetOnce(text);
	parsedDates.set(text, value);
	return value;
}

function parseDateTimeOffsetOnce(text: string): number | undefined {
	const m = ISO_DATE_TIME.exec(text);
	if (!m) return undefined;
	const [, y, mo, d, h, mi, s = '00', fraction = '', zone] = m;
	if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +s > 59) return undefined;
	// Date.parse needs at most millisecond precision; LN sends none, clients may send 7 digits.
	const ms = fraction ? `.${fraction.slice(1, 4).padEnd(3, '0')}` : '';
	const value = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${zone}`);
	return Number.isNaN(value) ? undefined : value;
}

/** LN's date format in payloads: UTC, `Z`, no milliseconds. */
export function formatDate(epochMs: number): string {
	return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Checks and normalizes one incoming value for a field; `fail` builds the error (400 over HTTP,
 * a plain Error for seeds and direct calls).
 */
export function normalizeValue(def: EntityDef, field: FieldDef, value: unknown): string | number | null {
	const where = `property '${field.physical}' of type '${def.typeName}'`;
	if (field.enumDef) {
		if (typeof value !== 'string' || !field.enumDef.members.includes(value)) {
			throw badRequest(
				`The value ${JSON.stringify(value)} is not valid for ${where}; expected one of ${field.enumDef.members.join(', ')}`,
				'ERROR:InvalidEnumValue',
			);
		}
		return value;
	}
	switch (field.type) {
		case 'Edm.String':
			if (value === null) return '';
			if (typeof value !== 'string') {
				throw badRequest(`The value ${JSON.stringify(value)} is not valid for ${where}; expected Edm.String`, 'ERROR:InvalidValue');
			}
			return value;
		case 'Edm.Int32':
			if (typeof value !== 'number' || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
				throw badRequest(`The value ${JSON.stringify(value)} is not valid for ${where}; expected Edm.Int32`, 'ERROR:InvalidValue');
			}
			return value;
		case 'Edm.DateTimeOffset': {
			if (value === null) return null;
			const parsed = typeof value === 'string' ? parseDateTimeOffset(value) : undefined;
			if (parsed === undefined) {
				throw badRequest(
					`The value ${JSON.stringify(value)} is not valid for ${where}; expected Edm.DateTimeOffset like 2026-03-01T09:00:00Z`,
					'ERROR:InvalidValue',
				);
			}
			return formatDate(parsed);
		}
	}
}

/** OData key predicate text for a record: `('X')` or `(Activity='X',Sequence=2)`. */
export function keyPredicate(def: EntityDef, record: Record<string, unknown>): string {
	const literal = (field: FieldDef) => {
		const value = record[field.logical];
		return field.type === 'Edm.Int32' ? String(value) : `'${encodeURIComponent(String(value).replace(/'/g, "''"))}'`;
	};
	const keyFields = def.keys.map((k) => def.byLogical.get(k)!);
	if (keyFields.length === 1) return `(${literal(keyFields[0])})`;
	return `(${keyFields.map((f) => `${f.physical}=${literal(f)}`).join(',')})`;
}

/** The internal map key of a record. */
export function keyString(def: EntityDef, record: Record<string, unknown>): string {
	return JSON.stringify(def.keys.map((k) => record[k]));
}
