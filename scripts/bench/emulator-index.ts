/**
 * An index for the LN emulator, for the benchmark only.
 *
 * The LN emulator finds the attendees of an activity (`$expand=Attendees`, `Attendees/any(…)` in a
 * filter) by scanning the whole attendee table for every activity, so one `GET Activities` costs
 * activities × attendees steps. At size m (3,000 activities, 15,000 attendees) that is most of the
 * benchmark's CPU, and on a 2-core machine the emulator's CPU time ends up in the workflow's wall
 * time. This wraps `LnStore.related` (in this process, without touching test/emulators/) with a
 * per-table index by the navigation's back field, rebuilt whenever the table changed (every write
 * gives a record a new ETag from the store's change counter; deletes change the table's size). The
 * answers are the same records in the same order (sorted by key, as the store sorts them).
 * `--raw-emulators` turns it off.
 */
import { LnStore, type LnRecord, type StoredRecord } from '../../test/emulators/ln/store';
import type { EntityDef, NavDef } from '../../test/emulators/ln/schema';

interface Index {
	table: Map<string, StoredRecord>;
	size: number;
	changes: number;
	groups: Map<unknown, StoredRecord[]>;
}

interface StoreInternals {
	changes: number;
	schema: { entities: Record<string, EntityDef> };
	data(company: string): { tables: Record<string, Map<string, StoredRecord>> };
}

/** The store's own order: by the key fields, in order. */
function compareByKeys(a: LnRecord, b: LnRecord, def: EntityDef): number {
	for (const key of def.keys) {
		if (a[key] === b[key]) continue;
		return (a[key] as string | number) < (b[key] as string | number) ? -1 : 1;
	}
	return 0;
}

let installed = false;

export function indexLnEmulator(): void {
	if (installed) return;
	installed = true;
	const proto = LnStore.prototype as unknown as { related(company: string, record: LnRecord, nav: NavDef): StoredRecord[] };
	const original = proto.related;
	const indexes = new WeakMap<object, Map<string, Index>>();
	proto.related = function related(this: StoreInternals, company: string, record: LnRecord, nav: NavDef): StoredRecord[] {
		if (!nav.collection || !nav.backField) return original.call(this, company, record, nav);
		const table = this.data(company).tables[nav.target];
		let byKey = indexes.get(this);
		if (!byKey) indexes.set(this, (byKey = new Map()));
		const key = `${company}|${nav.target}|${nav.backField}`;
		let index = byKey.get(key);
		if (!index || index.table !== table || index.size !== table.size || index.changes !== this.changes) {
			const groups = new Map<unknown, StoredRecord[]>();
			for (const stored of table.values()) {
				const owner = stored.data[nav.backField];
				const group = groups.get(owner);
				if (group) group.push(stored);
				else groups.set(owner, [stored]);
			}
			const def = this.schema.entities[nav.target];
			for (const group of groups.values()) group.sort((a, b) => compareByKeys(a.data, b.data, def));
			index = { table, size: table.size, changes: this.changes, groups };
			byKey.set(key, index);
		}
		return [...(index.groups.get(record.id) ?? [])];
	};
}
