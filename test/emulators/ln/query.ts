import { badRequest } from './errors';
import { evaluateFilter, parseFilter, type FilterNode, type Navigator } from './filter';
import { parseDateTimeOffset, type EntityDef, type FieldDef, type NavDef, type Schema } from './schema';

/** OData system query options of one request (or of one `$expand` item). */
export interface QueryOptions {
	filter?: FilterNode;
	/** Undefined = every property. */
	select?: FieldDef[];
	orderby: OrderItem[];
	top?: number;
	skip?: number;
	count: boolean;
	expand: ExpandItem[];
	skiptoken?: SkipToken;
}

export interface OrderItem {
	field: FieldDef;
	desc: boolean;
}

export interface ExpandItem {
	nav: NavDef;
	options: QueryOptions;
}

/**
 * Where the next page starts: after the record whose sort values (orderby fields, then key) were
 * `after`, with `n` records already returned (for `$top` across pages). Key-based rather than an
 * offset, so records inserted or deleted between two pages cause no duplicates or gaps.
 */
export interface SkipToken {
	n: number;
	after: unknown[];
}

const TOP_LEVEL_OPTIONS = new Set(['$filter', '$select', '$orderby', '$top', '$skip', '$count', '$expand', '$skiptoken', '$format']);
const NESTED_OPTIONS = new Set(['$filter', '$select', '$orderby', '$top', '$skip', '$count']);

/**
 * The query string as ordered name/value pairs. Decoded with decodeURIComponent, with `+` read as a
 * space (form encoding, as Python clients send) except inside a DateTimeOffset's zone offset, where
 * an unencoded `+` can only mean plus.
 */
export function parseRawQuery(search: string): Map<string, string> {
	const params = new Map<string, string>();
	const text = search.startsWith('?') ? search.slice(1) : search;
	if (!text) return params;
	for (const part of text.split('&')) {
		if (!part) continue;
		const eq = part.indexOf('=');
		const rawName = eq < 0 ? part : part.slice(0, eq);
		const rawValue = eq < 0 ? '' : part.slice(eq + 1);
		const name = decode(rawName);
		const value = decode(rawValue.replace(/(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\+(\d{2}:\d{2})/g, '$1%2B$2'));
		if (params.has(name)) throw badRequest(`The query option ${name} is given more than once`, 'ERROR:InvalidQuery');
		params.set(name, value);
	}
	return params;
}

function decode(text: string): string {
	try {
		return decodeURIComponent(text.replace(/\+/g, ' '));
	} catch {
		throw badRequest(`The query string contains an invalid percent-encoding: ${text}`, 'ERROR:InvalidQuery');
	}
}

export function parseQueryOptions(
	params: Map<string, string>,
	def: EntityDef,
	schema: Schema,
	nested = false,
): QueryOptions {
	const allowed = nested ? NESTED_OPTIONS : TOP_LEVEL_OPTIONS;
	for (const name of params.keys()) {
		if (name.startsWith('$') && !allowed.has(name)) {
			throw badRequest(
				`The query option ${name} is not supported${nested ? ' inside $expand' : ''}; supported are ${[...allowed].join(', ')}`,
				'ERROR:InvalidQuery',
			);
		}
	}
	const format = params.get('$format');
	if (format !== undefined && !/^(json|application\/json)/.test(format)) {
		throw badRequest(`The $format ${format} is not supported; use json`, 'ERROR:InvalidQuery');
	}
	const options: QueryOptions = {
		orderby: parseOrderBy(params.get('$orderby'), def),
		count: parseCount(params.get('$count')),
		expand: [],
	};
	const filter = params.get('$filter');
	if (filter !== undefined) {
		options.filter = parseFilter(filter, { entity: def, target: (nav) => schema.entities[nav.target] });
	}
	options.select = parseSelect(params.get('$select'), def);
	options.top = parseNonNegative('$top', params.get('$top'));
	options.skip = parseNonNegative('$skip', params.get('$skip'));
	const expand = params.get('$expand');
	if (expand !== undefined) options.expand = parseExpand(expand, def, schema);
	const skiptoken = params.get('$skiptoken');
	if (skiptoken !== undefined) options.skiptoken = decodeSkipToken(skiptoken, def, options.orderby);
	return options;
}

function parseNonNegative(name: string, value: string | undefined): number | undefined {
	if (value === undefined) return undefined;
	if (!/^\d+$/.test(value.trim())) throw badRequest(`The value '${value}' of ${name} is not a non-negative integer`, 'ERROR:InvalidQuery');
	return Number(value.trim());
}

function parseCount(value: string | undefined): boolean {
	if (value === undefined) return false;
	if (value === 'true' || value === 'false') return value === 'true';
	throw badRequest(`The value '${value}' of $count must be true or false`, 'ERROR:InvalidQuery');
}

function parseSelect(value: string | undefined, def: EntityDef): FieldDef[] | undefined {
	if (value === undefined) return undefined;
	const names = value.split(',').map((n) => n.trim());
	if (names.includes('*')) return undefined;
	const selected: FieldDef[] = [];
	for (const name of names) {
		if (name === '') throw badRequest('$select contains an empty property name', 'ERROR:InvalidQuery');
		const field = def.byPhysical.get(name);
		if (field) {
			selected.push(field);
			continue;
		}
		// Navigation properties may be named in $select; they only appear when expanded.
		if (def.navigations.some((n) => n.name === name)) continue;
		throw badRequest(`Invalid $select: the property '${name}' does not exist in type '${def.typeName}'`, 'ERROR:InvalidQuery');
	}
	return selected;
}

function parseOrderBy(value: string | undefined, def: EntityDef): OrderItem[] {
	if (value === undefined) return [];
	return value.split(',').map((item) => {
		const parts = item.trim().split(/\s+/);
		const [name, direction = 'asc'] = parts;
		if (!name || parts.length > 2 || (direction !== 'asc' && direction !== 'desc')) {
			throw badRequest(`Invalid $orderby item '${item.trim()}'; expected 'Property [asc|desc]'`, 'ERROR:InvalidQuery');
		}
		const field = def.byPhysical.get(name);
		if (!field) throw badRequest(`Invalid $orderby: the property '${name}' does not exist in type '${def.typeName}'`, 'ERROR:InvalidQuery');
		return { field, desc: direction === 'desc' };
	});
}

/** Splits on a separator outside parentheses and string literals. */
function splitTopLevel(text: string, separator: string): string[] {
	const parts: string[] = [];
	let depth = 0;
	let quoted = false;
	let current = '';
	for (const c of text) {
		if (c === "'") quoted = !quoted;
		if (!quoted) {
			if (c === '(') depth++;
			if (c === ')') depth--;
			if (c === separator && depth === 0) {
				parts.push(current);
				current = '';
				continue;
			}
		}
		current += c;
	}
	if (depth !== 0 || quoted) throw badRequest(`Unbalanced parentheses or quotes in '${text}'`, 'ERROR:InvalidQuery');
	parts.push(current);
	return parts;
}

function parseExpand(value: string, def: EntityDef, schema: Schema): ExpandItem[] {
	return splitTopLevel(value, ',').map((raw) => {
		const item = raw.trim();
		const open = item.indexOf('(');
		const name = (open < 0 ? item : item.slice(0, open)).trim();
		const nav = def.navigations.find((n) => n.name === name);
		if (!nav) {
			throw badRequest(`Invalid $expand: the navigation property '${name}' does not exist in type '${def.typeName}'`, 'ERROR:InvalidQuery');
		}
		const params = new Map<string, string>();
		if (open >= 0) {
			if (!item.endsWith(')')) throw badRequest(`Invalid $expand item '${item}'`, 'ERROR:InvalidQuery');
			for (const option of splitTopLevel(item.slice(open + 1, -1), ';')) {
				const eq = option.indexOf('=');
				if (eq < 0) throw badRequest(`Invalid option '${option}' in $expand=${name}(…)`, 'ERROR:InvalidQuery');
				const optionName = option.slice(0, eq).trim();
				if (optionName === '$expand') throw badRequest('Nested $expand is not supported', 'ERROR:InvalidQuery');
				params.set(optionName, option.slice(eq + 1));
			}
		}
		const target = schema.entities[nav.target];
		const options = parseQueryOptions(params, target, schema, true);
		if (!nav.collection && (options.filter || options.orderby.length || options.top !== undefined || options.skip !== undefined)) {
			throw badRequest(`Only $select is allowed when expanding the single-valued navigation '${name}'`, 'ERROR:InvalidQuery');
		}
		return { nav, options };
	});
}

// ---- applying options -------------------------------------------------------------------------

function sortValue(field: FieldDef, record: Record<string, unknown>): string | number | null {
	const value = record[field.logical];
	if (value === undefined || value === null) return null;
	if (field.type === 'Edm.DateTimeOffset') return parseDateTimeOffset(String(value)) ?? null;
	if (field.enumDef) return field.enumDef.members.indexOf(String(value));
	return value as string | number;
}

/** OData sorts null before any value. */
function compareValues(a: unknown, b: unknown): number {
	if (a === b) return 0;
	if (a === null || a === undefined) return -1;
	if (b === null || b === undefined) return 1;
	return (a as string | number) < (b as string | number) ? -1 : 1;
}

/** Sort fields of a request: the $orderby items, then the key (so the order is total and stable). */
function sortFields(def: EntityDef, orderby: OrderItem[]): OrderItem[] {
	return [...orderby, ...def.keys.map((k) => ({ field: def.byLogical.get(k)!, desc: false }))];
}

function tupleOf(fields: OrderItem[], record: Record<string, unknown>): unknown[] {
	return fields.map((f) => sortValue(f.field, record));
}

function compareTuples(fields: OrderItem[], a: unknown[], b: unknown[]): number {
	for (let i = 0; i < fields.length; i++) {
		const c = compareValues(a[i], b[i]);
		if (c !== 0) return fields[i].desc ? -c : c;
	}
	return 0;
}

export function filterAndSort(
	def: EntityDef,
	records: Record<string, unknown>[],
	options: Pick<QueryOptions, 'filter' | 'orderby'>,
	navigate: Navigator,
): Record<string, unknown>[] {
	const filtered = options.filter ? records.filter((r) => evaluateFilter(options.filter!, r, navigate)) : [...records];
	const fields = sortFields(def, options.orderby);
	return filtered
		.map((record) => ({ record, tuple: tupleOf(fields, record) }))
		.sort((a, b) => compareTuples(fields, a.tuple, b.tuple))
		.map((x) => x.record);
}

/** One page of an already filtered and sorted list, and where the next one starts. */
export function takePage(
	def: EntityDef,
	sorted: Record<string, unknown>[],
	options: QueryOptions,
	pageLimit: number,
): { value: Record<string, unknown>[]; next?: SkipToken } {
	const fields = sortFields(def, options.orderby);
	let start: number;
	let returned: number;
	if (options.skiptoken) {
		const after = options.skiptoken.after;
		start = sorted.findIndex((r) => compareTuples(fields, tupleOf(fields, r), after) > 0);
		if (start < 0) start = sorted.length;
		returned = options.skiptoken.n;
	} else {
		start = options.skip ?? 0;
		returned = 0;
	}
	const remaining = options.top !== undefined ? Math.max(0, options.top - returned) : Infinity;
	const take = Math.min(pageLimit, remaining);
	const value = sorted.slice(start, start + take);
	const more = start + value.length < sorted.length && returned + value.length < (options.top ?? Infinity);
	if (!more || value.length === 0) return { value };
	return { value, next: { n: returned + value.length, after: tupleOf(fields, value[value.length - 1]) } };
}

/** Applies the options of an `$expand` item (no paging inside expansions). */
export function applyNested(
	def: EntityDef,
	records: Record<string, unknown>[],
	options: QueryOptions,
	navigate: Navigator,
): Record<string, unknown>[] {
	const sorted = filterAndSort(def, records, options, navigate);
	const skipped = sorted.slice(options.skip ?? 0);
	return options.top !== undefined ? skipped.slice(0, options.top) : skipped;
}

export function encodeSkipToken(token: SkipToken): string {
	return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeSkipToken(text: string, def: EntityDef, orderby: OrderItem[]): SkipToken {
	const invalid = () => badRequest(`The $skiptoken '${text}' is not valid for this request; follow @odata.nextLink as given`, 'ERROR:InvalidQuery');
	let token: unknown;
	try {
		token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
	} catch {
		throw invalid();
	}
	const t = token as Partial<SkipToken>;
	if (
		typeof token !== 'object' ||
		token === null ||
		typeof t.n !== 'number' ||
		!Array.isArray(t.after) ||
		t.after.length !== sortFields(def, orderby).length
	) {
		throw invalid();
	}
	return { n: t.n, after: t.after };
}
