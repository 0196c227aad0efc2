import { createHash } from 'node:crypto';

import { YES } from '../../../lib/ln/contract';
import { badRequest, conflict, notFound, unprocessable } from './errors';
import { ENTITY_KINDS, formatDate, keyString, normalizeValue, parseDateTimeOffset, type EntityDef, type EntityKind, type NavDef, type Schema } from './schema';

export type LnRecord = Record<string, unknown>;

/** A record (logical names) with the ETag of its current version. */
export interface StoredRecord {
	data: LnRecord;
	etag: string;
}

export const SUBJECT_MAX_LENGTH = 255;
const ACTIVITY_ID = /^ACT(\d+)$/;

class CompanyData {
	readonly tables = Object.fromEntries(ENTITY_KINDS.map((k) => [k, new Map<string, StoredRecord>()])) as Record<
		EntityKind,
		Map<string, StoredRecord>
	>;
	/** LN numbers activities from a series that never reuses a number. */
	nextActivityNumber = 1;
	/**
	 * The records of each collection navigation's target by owner (attendees by activity), kept with
	 * the tables, so `$expand`, `any()` and the next attendee sequence do not scan a whole table.
	 */
	readonly byOwner = new Map<EntityKind, Map<unknown, Map<string, StoredRecord>>>();
}

export interface WriteOptions {
	/** Apply LN's functional rules (422). Off for seeds and for direct edits by tests. */
	functional?: boolean;
	/** Accept values for server-maintained fields (LastModifiedDate), as seeds may give them. */
	allowComputed?: boolean;
}

/**
 * The LN database of the emulator: records per company and entity set, stored by logical field
 * names, each with a weak ETag that changes on every write. Validation that LN does on writes
 * (types, enums, keys, functional rules) lives here so HTTP, seeds and direct calls share it.
 */
export class LnStore {
	private companies = new Map<string, CompanyData>();
	/** Counts every change (writes, deletes, companies added or cleared): ETags and cached reads go by it. */
	private changes = 0;
	private readonly results = new Map<string, { at: number; value: unknown }>();

	/** The field of each entity kind that names its owner in a collection navigation (attendee → activity). */
	private readonly backFields = new Map<EntityKind, string>();

	constructor(
		private readonly schema: Schema,
		private readonly now: () => number,
	) {
		for (const def of Object.values(schema.entities)) {
			for (const nav of def.navigations) if (nav.collection && nav.backField) this.backFields.set(nav.target, nav.backField);
		}
	}

	clear(): void {
		this.companies.clear();
		this.changes++;
	}

	addCompany(company: string): void {
		if (!this.companies.has(company)) this.companies.set(company, new CompanyData());
		this.changes++;
	}

	/**
	 * A result computed from the store's content, kept until the store next changes: the pages of one
	 * read (the same filter and order, a skip token apart) filter and sort the records once, not once
	 * per page. The emulator's speed only; answers are the same.
	 */
	cached<T>(key: string, compute: () => T): T {
		const kept = this.results.get(key);
		if (kept && kept.at === this.changes) return kept.value as T;
		const value = compute();
		if (this.results.size >= 256) this.results.clear();
		this.results.set(key, { at: this.changes, value });
		return value;
	}

	hasCompany(company: string): boolean {
		return this.companies.has(company);
	}

	companyNames(): string[] {
		return [...this.companies.keys()];
	}

	private data(company: string): CompanyData {
		const data = this.companies.get(company);
		if (!data) throw notFound(`Company ${company} is not active for this service`, 'ERROR:CompanyNotActive');
		return data;
	}

	list(company: string, kind: EntityKind): StoredRecord[] {
		return [...this.data(company).tables[kind].values()];
	}

	get(company: string, kind: EntityKind, key: LnRecord): StoredRecord | undefined {
		return this.data(company).tables[kind].get(keyString(this.schema.entities[kind], key));
	}

	/** The attendees of an activity, by sequence. */
	attendeesOf(company: string, activityId: unknown): StoredRecord[] {
		return this.owned(this.data(company), 'attendees', activityId).sort((a, b) => (a.data.sequence as number) - (b.data.sequence as number));
	}

	/** Related records of a navigation, with their ETags (for $expand and navigation paths). */
	related(company: string, record: LnRecord, nav: NavDef): StoredRecord[] {
		if (nav.collection) {
			const def = this.schema.entities[nav.target];
			const owned = this.keepsOwners(nav)
				? this.owned(this.data(company), nav.target, record.id)
				: this.list(company, nav.target).filter((r) => r.data[nav.backField!] === record.id);
			return owned.length < 2 ? owned : owned.sort((a, b) => compareKeys(a.data, b.data, def));
		}
		const target = this.get(company, nav.target, { id: record[nav.viaField!] });
		return target ? [target] : [];
	}

	/** Related records of a navigation by logical names, in no order (for $filter lambdas: any() and all() need none). */
	navigate(company: string, record: LnRecord, nav: NavDef): LnRecord[] {
		return (this.keepsOwners(nav) ? this.owned(this.data(company), nav.target, record.id) : this.related(company, record, nav)).map((r) => r.data);
	}

	/**
	 * The records of `kind` that own a record (through the collection navigation `nav`) whose
	 * `field` is `value`; undefined when the navigation is not one the store keeps owners for.
	 * From an index of the related table by that field, built again after the store changed.
	 */
	ownersWith(company: string, kind: EntityKind, nav: NavDef, field: string, value: unknown): StoredRecord[] | undefined {
		const def = this.schema.entities[kind];
		if (!this.keepsOwners(nav) || def.keys.length !== 1 || def.keys[0] !== 'id') return undefined;
		const data = this.data(company);
		const index = this.cached(JSON.stringify(['owners by', company, nav.target, field]), () => {
			const owners = new Map<unknown, Set<unknown>>();
			for (const related of data.tables[nav.target].values()) {
				const key = related.data[field];
				let set = owners.get(key);
				if (!set) owners.set(key, (set = new Set()));
				set.add(related.data[nav.backField!]);
			}
			return owners;
		});
		const found: StoredRecord[] = [];
		for (const id of index.get(value) ?? []) {
			const owner = data.tables[kind].get(keyString(def, { id }));
			if (owner) found.push(owner);
		}
		return found;
	}

	/**
	 * Inserts a record (and, for an activity, its deep-inserted attendees) after validating all of
	 * them, so a bad attendee leaves nothing behind.
	 */
	insert(company: string, kind: EntityKind, input: LnRecord, options: WriteOptions = {}, children: LnRecord[] = []): StoredRecord[] {
		const data = this.data(company);
		const def = this.schema.entities[kind];
		const record = this.build(def, input, options);
		this.assignKey(company, data, def, record);
		if (options.functional) this.checkRules(company, def, record);
		const attendeeDef = this.schema.entities.attendees;
		let nextSequence = 1;
		const built = children.map((child) => {
			if (child.activity !== undefined && child.activity !== record.id) {
				throw badRequest(`A deep-inserted attendee belongs to the new activity, not to '${String(child.activity)}'`, 'ERROR:InvalidValue');
			}
			const attendee = this.build(attendeeDef, { ...child, activity: record.id }, options);
			if (attendee.sequence === undefined) attendee.sequence = nextSequence;
			nextSequence = Math.max(nextSequence, attendee.sequence as number) + 1;
			if (options.functional) this.checkRules(company, attendeeDef, attendee);
			return attendee;
		});
		const keys = new Set(built.map((a) => keyString(attendeeDef, a)));
		if (keys.size !== built.length) throw conflict('Two deep-inserted attendees have the same Sequence');
		const stored = [this.commit(data, def, record, options)];
		for (const attendee of built) stored.push(this.commit(data, attendeeDef, attendee, options));
		return stored;
	}

	update(company: string, kind: EntityKind, key: LnRecord, changes: LnRecord, options: WriteOptions = {}): StoredRecord {
		const data = this.data(company);
		const def = this.schema.entities[kind];
		const current = data.tables[kind].get(keyString(def, key));
		if (!current) throw notFound(`${def.entitySet}${describeKey(def, key)} does not exist in company ${company}`);
		const merged: LnRecord = { ...current.data };
		for (const [name, value] of Object.entries(changes)) {
			const field = def.byLogical.get(name);
			if (!field) throw new Error(`Unknown field "${name}" of ${kind}; expected one of ${[...def.byLogical.keys()].join(', ')}`);
			if (field.computed && !options.allowComputed) continue;
			const normalized = normalizeValue(def, field, value);
			if (def.keys.includes(name)) {
				if (normalized !== current.data[name]) {
					throw badRequest(`The key property '${field.physical}' of '${def.typeName}' cannot be changed`, 'ERROR:KeyChange');
				}
				continue;
			}
			merged[name] = normalized;
		}
		if (options.functional) this.checkRules(company, def, merged);
		if (!(options.allowComputed && 'modifiedAt' in changes)) this.touch(def, merged);
		const stored = { data: merged, etag: this.etag(def, merged) };
		this.put(data, def, stored, current);
		return stored;
	}

	/** Deletes a record; an activity takes its attendees with it. */
	remove(company: string, kind: EntityKind, key: LnRecord): void {
		const data = this.data(company);
		const def = this.schema.entities[kind];
		const k = keyString(def, key);
		const current = data.tables[kind].get(k);
		if (!current) throw notFound(`${def.entitySet}${describeKey(def, key)} does not exist in company ${company}`);
		this.drop(data, def, current);
		this.changes++;
		if (kind === 'activities') {
			const attendeeDef = this.schema.entities.attendees;
			for (const attendee of this.owned(data, 'attendees', current.data.id)) this.drop(data, attendeeDef, attendee);
		}
	}

	/** Every record of every company, by logical names, with its ETag. */
	snapshot(): Record<string, Record<EntityKind, LnRecord[]>> {
		const result: Record<string, Record<EntityKind, LnRecord[]>> = {};
		for (const [company, data] of this.companies) {
			result[company] = Object.fromEntries(
				ENTITY_KINDS.map((k) => [k, [...data.tables[k].values()].map((r): LnRecord => ({ ...r.data, '@odata.etag': r.etag }))]),
			) as Record<EntityKind, LnRecord[]>;
		}
		return result;
	}

	// ---- internals ----------------------------------------------------------------------------

	/** Normalized values plus defaults; keys may still be missing (assigned by the server). */
	private build(def: EntityDef, input: LnRecord, options: WriteOptions): LnRecord {
		const record: LnRecord = {};
		for (const [name, value] of Object.entries(input)) {
			const field = def.byLogical.get(name);
			if (!field) throw new Error(`Unknown field "${name}" of ${def.kind}; expected one of ${[...def.byLogical.keys()].join(', ')}`);
			if (field.computed && !options.allowComputed) continue;
			if (value === undefined) continue;
			record[name] = normalizeValue(def, field, value);
		}
		for (const field of def.fields) {
			if (record[field.logical] === undefined && !def.keys.includes(field.logical) && !field.computed) {
				record[field.logical] = field.defaultValue;
			}
		}
		if (def.kind === 'activities' && record.type == null && options.functional) {
			throw unprocessable(`The activity type (${def.byLogical.get('type')!.physical}) is mandatory`, 'tccom.ActivityTypeMandatory');
		}
		if (def.kind === 'activities' && record.type == null) record.type = 'Appointment';
		if (def.kind === 'attendees' && typeof record.sequence === 'number' && record.sequence < 1) {
			throw badRequest(`The ${def.byLogical.get('sequence')!.physical} of an attendee must be 1 or more`, 'ERROR:InvalidValue');
		}
		return record;
	}

	private assignKey(company: string, data: CompanyData, def: EntityDef, record: LnRecord): void {
		const table = data.tables[def.kind];
		if (def.kind === 'activities' && (record.id === undefined || record.id === '')) {
			do {
				record.id = `ACT${String(data.nextActivityNumber++).padStart(6, '0')}`;
			} while (table.has(keyString(def, record)));
		}
		if (def.kind === 'attendees') {
			if (typeof record.activity !== 'string' || record.activity === '') {
				throw badRequest(`The key property '${def.byLogical.get('activity')!.physical}' of an attendee is mandatory`, 'ERROR:KeyMissing');
			}
			if (!data.tables.activities.has(keyString(this.schema.entities.activities, { id: record.activity }))) {
				throw unprocessable(`Activity ${record.activity} does not exist in company ${company}`, 'tccom.ActivityNotFound');
			}
			if (record.sequence === undefined) {
				// The next after the highest; one pass without a copy (an activity's attendees are inserted one by one).
				let highest = 0;
				for (const attendee of this.owned(data, 'attendees', record.activity)) highest = Math.max(highest, attendee.data.sequence as number);
				record.sequence = highest + 1;
			}
		}
		for (const key of def.keys) {
			if (record[key] === undefined || record[key] === '') {
				throw badRequest(`The key property '${def.byLogical.get(key)!.physical}' of '${def.typeName}' is mandatory`, 'ERROR:KeyMissing');
			}
		}
		if (table.has(keyString(def, record))) {
			throw conflict(`${def.entitySet}${describeKey(def, record)} already exists in company ${company}`);
		}
	}

	/** LN's functional checks (422). */
	private checkRules(company: string, def: EntityDef, record: LnRecord): void {
		const name = (logical: string) => def.byLogical.get(logical)!.physical;
		if (def.kind === 'activities') {
			const subject = String(record.subject ?? '');
			if (subject.length > SUBJECT_MAX_LENGTH) {
				throw unprocessable(
					`${name('subject')} is ${subject.length} characters long; at most ${SUBJECT_MAX_LENGTH} are allowed`,
					'tccom.SubjectTooLong',
				);
			}
			const start = typeof record.start === 'string' ? parseDateTimeOffset(record.start) : undefined;
			const end = typeof record.end === 'string' ? parseDateTimeOffset(record.end) : undefined;
			if (start !== undefined && end !== undefined && end < start) {
				throw unprocessable(
					`${name('end')} ${String(record.end)} is before ${name('start')} ${String(record.start)}`,
					'tccom.EndBeforeStart',
				);
			}
		}
		if (def.kind === 'attendees') {
			if (record.role === 'MeetingOrganizer' && record.type !== 'Employee') {
				throw unprocessable(`The meeting organizer must be an attendee of type Employee, not ${String(record.type)}`, 'tccom.OrganizerNotEmployee');
			}
			if (record.invite === YES && record.type === 'Contact') {
				const contact = this.get(company, 'contacts', { id: record.code });
				if (contact?.data.optedOut === YES) {
					throw unprocessable(
						`Contact ${String(record.code)} has opted out and cannot be invited (${name('invite')} = ${YES})`,
						'tccom.ContactOptedOut',
					);
				}
			}
		}
	}

	private commit(data: CompanyData, def: EntityDef, record: LnRecord, options: WriteOptions): StoredRecord {
		if (!(options.allowComputed && record.modifiedAt !== undefined)) this.touch(def, record);
		if (def.kind === 'activities') {
			const match = ACTIVITY_ID.exec(String(record.id));
			if (match) data.nextActivityNumber = Math.max(data.nextActivityNumber, Number(match[1]) + 1);
		}
		const stored = { data: record, etag: this.etag(def, record) };
		this.put(data, def, stored, data.tables[def.kind].get(keyString(def, record)));
		return stored;
	}

	/** The navigation is a collection whose records the store keeps by owner (`byOwner`). */
	private keepsOwners(nav: NavDef): boolean {
		return nav.collection && this.backFields.get(nav.target) === nav.backField;
	}

	/** The records of a kind whose owner field names `owner` (attendees of an activity), unsorted. */
	private owned(data: CompanyData, kind: EntityKind, owner: unknown): StoredRecord[] {
		const group = data.byOwner.get(kind)?.get(owner);
		return group ? [...group.values()] : [];
	}

	/**
	 * Writes a record into its table and its owner's group; `previous` is the version it replaces,
	 * whose place in the table the new one keeps (tables list records in the order they were made).
	 */
	private put(data: CompanyData, def: EntityDef, stored: StoredRecord, previous: StoredRecord | undefined): void {
		const key = keyString(def, stored.data);
		data.tables[def.kind].set(key, stored);
		const backField = this.backFields.get(def.kind);
		if (backField === undefined) return;
		let groups = data.byOwner.get(def.kind);
		if (!groups) data.byOwner.set(def.kind, (groups = new Map()));
		const owner = stored.data[backField];
		if (previous && previous.data[backField] !== owner) ungroup(groups, previous.data[backField], key);
		let group = groups.get(owner);
		if (!group) groups.set(owner, (group = new Map()));
		group.set(key, stored);
	}

	private drop(data: CompanyData, def: EntityDef, stored: StoredRecord): void {
		const key = keyString(def, stored.data);
		data.tables[def.kind].delete(key);
		const backField = this.backFields.get(def.kind);
		if (backField === undefined) return;
		const groups = data.byOwner.get(def.kind);
		if (groups) ungroup(groups, stored.data[backField], key);
	}

	/** Activities and contacts carry the time of their last change. */
	private touch(def: EntityDef, record: LnRecord): void {
		if (def.byLogical.get('modifiedAt')?.computed) record.modifiedAt = formatDate(this.now());
	}

	/** A weak ETag over the content and a change counter, so every write yields a new one. */
	private etag(def: EntityDef, record: LnRecord): string {
		const hash = createHash('sha1')
			.update(`${def.kind}|${keyString(def, record)}|${++this.changes}|${JSON.stringify(record)}`)
			.digest('hex');
		return `W/"${hash}"`;
	}
}

/** Takes a record out of its owner's group, and the group away once empty. */
function ungroup(groups: Map<unknown, Map<string, StoredRecord>>, owner: unknown, key: string): void {
	const group = groups.get(owner);
	group?.delete(key);
	if (group?.size === 0) groups.delete(owner);
}

function compareKeys(a: LnRecord, b: LnRecord, def: EntityDef): number {
	for (const key of def.keys) {
		if (a[key] === b[key]) continue;
		return (a[key] as string | number) < (b[key] as string | number) ? -1 : 1;
	}
	return 0;
}

export function describeKey(def: EntityDef, key: LnRecord): string {
	const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
	return `(${def.keys.map((k) => `${def.byLogical.get(k)!.physical}=${literal(key[k])}`).join(',')})`;
}
