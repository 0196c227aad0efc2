import { DEFAULT_MAPPING } from '../../../lib/ln/contract';
import type { LnClient } from './auth';
import { Schema, type EntityDef, type EntityKind } from './schema';
import type { LnRecord, LnStore } from './store';

/** Data of one LN company, records by physical names (default names, or the emulator's mapping). */
export interface LnCompanySeed {
	contacts?: Record<string, unknown>[];
	businessPartners?: Record<string, unknown>[];
	addresses?: Record<string, unknown>[];
	/** Activities, each optionally with its attendees inline under the navigation name. */
	activities?: Array<Record<string, unknown> & { Attendees?: Record<string, unknown>[] }>;
	/** Attendees given separately (with their Activity). */
	attendees?: Record<string, unknown>[];
	syncUsers?: Record<string, unknown>[];
}

export interface LnSeed {
	/** ION tenant id `ti`; default 'ACME_TST'. */
	tenant?: string;
	/** Authorized apps; default: the one in DEFAULT_LN_CLIENT. */
	clients?: LnClient[];
	/** Company used when X-Infor-LnCompany is absent; default the first company. */
	defaultCompany?: string;
	/** Company number as text ('100') → its data. */
	companies: Record<string, LnCompanySeed>;
}

export const DEFAULT_TENANT = 'ACME_TST';

/** The backend-service app of the default `.ionapi` file: fixed values so test runs repeat. */
export const DEFAULT_LN_CLIENT: Readonly<Required<LnClient>> = {
	clientId: 'ACME_TST~ln-exchange-sync',
	clientSecret: 'q3Zr8kVw1LmT6xHc0PnY4sDf9GbJ2uEa7RtK5oWi',
	serviceAccountAccessKey: 'ACME_TST#Hk2v9QmX4pL7sN1cZ8rT3wYb6dF0gJ5eU_aVoIiMnBtRq',
	serviceAccountSecretKey: 'Pz6fW1xK8nC3vB0mL5qT9rY2hG7dS4aJ-eUiO_oNwQkEtZyXcVbMlRpA',
};

const SEED_SETS: Array<[keyof LnCompanySeed, EntityKind]> = [
	['contacts', 'contacts'],
	['businessPartners', 'businessPartners'],
	['addresses', 'addresses'],
	['syncUsers', 'syncUsers'],
	['activities', 'activities'],
	['attendees', 'attendees'],
];

const defaultSchema = new Schema(DEFAULT_MAPPING);

/** A company number (0–9999) as LN shows it: no leading zeros; undefined when invalid. */
export function normalizeCompany(value: unknown): string | undefined {
	const text = String(value ?? '').trim();
	return /^\d{1,4}$/.test(text) ? String(Number(text)) : undefined;
}

/**
 * Record by physical names → record by logical names. A name is looked up in the emulator's mapping
 * first, then in the default mapping (so one seed serves every mapping), then as a logical name.
 */
export function toLogical(def: EntityDef, record: Record<string, unknown>, skip: string[] = []): LnRecord {
	const fallback = defaultSchema.entities[def.kind];
	const result: LnRecord = {};
	for (const [name, value] of Object.entries(record)) {
		if (name.startsWith('@odata.') || skip.includes(name)) continue;
		const field = def.byPhysical.get(name) ?? fallback.byPhysical.get(name) ?? def.byLogical.get(name);
		if (!field) {
			throw new Error(
				`Seed ${def.kind}: unknown property "${name}"; expected one of ${def.fields.map((f) => f.physical).join(', ')}`,
			);
		}
		result[field.logical] = value;
	}
	return result;
}

/** Replaces the store's data with the seed's. */
export function applySeed(store: LnStore, schema: Schema, seed: LnSeed): void {
	if (!seed || typeof seed !== 'object' || typeof seed.companies !== 'object' || seed.companies === null) {
		throw new Error('A seed needs "companies": an object of company number → data');
	}
	store.clear();
	const activityDef = schema.entities.activities;
	const navNames = [...new Set([activityDef.navigations[0].name, defaultSchema.entities.activities.navigations[0].name])];
	for (const [rawCompany, data] of Object.entries(seed.companies)) {
		const company = normalizeCompany(rawCompany);
		if (company === undefined) throw new Error(`Seed company "${rawCompany}" is not a number from 0 to 9999`);
		store.addCompany(company);
		for (const [seedName, kind] of SEED_SETS) {
			const records = (data?.[seedName] ?? []) as Record<string, unknown>[];
			if (!Array.isArray(records)) throw new Error(`Seed company ${company}: "${seedName}" must be a list`);
			const def = schema.entities[kind];
			for (const record of records) {
				const children = kind === 'activities' ? navNames.flatMap((n) => (record[n] as Record<string, unknown>[] | undefined) ?? []) : [];
				const logical = toLogical(def, record, kind === 'activities' ? navNames : []);
				const attendees = children.map((c) => toLogical(schema.entities.attendees, c));
				store.insert(company, kind, logical, { allowComputed: true }, attendees);
			}
		}
	}
}
