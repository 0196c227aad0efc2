import type { IncomingHttpHeaders } from 'node:http';

import { GraphError, badRequest } from './errors';
import { resolveZone } from './timezones';

export type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Prefer header
// ---------------------------------------------------------------------------------------------

export interface Prefer {
	immutableId: boolean;
	/** `outlook.timezone`: the name as sent (echoed in responses) and its IANA zone. */
	timeZone?: { name: string; iana: string };
	maxPageSize?: number;
	bodyText: boolean;
	/** Preferences honoured, in `Preference-Applied` syntax. */
	applied: string[];
}

/** Parses every `Prefer` header; preferences may be comma-separated and values quoted. */
export function parsePrefer(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Prefer {
	const raw = headers['prefer'];
	const text = Array.isArray(raw) ? raw.join(',') : String(raw ?? '');
	const prefer: Prefer = { immutableId: false, bodyText: false, applied: [] };
	const pattern = /([A-Za-z][\w.-]*)\s*(?:=\s*("([^"]*)"|[^,;\s]+))?/g;
	for (const match of text.matchAll(pattern)) {
		const name = match[1].toLowerCase();
		const value = match[3] ?? match[2] ?? '';
		if (name === 'idtype') {
			if (value.toLowerCase() === 'immutableid') {
				prefer.immutableId = true;
				prefer.applied.push('IdType="ImmutableId"');
			} else if (value.toLowerCase() === 'restid') {
				prefer.applied.push('IdType="RestId"');
			}
		} else if (name === 'outlook.timezone') {
			const iana = resolveZone(value);
			if (iana) {
				prefer.timeZone = { name: value, iana };
				prefer.applied.push(`outlook.timezone="${value}"`);
			}
		} else if (name === 'odata.maxpagesize') {
			const size = Number(value);
			if (Number.isInteger(size) && size > 0) {
				prefer.maxPageSize = size;
				prefer.applied.push(`odata.maxpagesize=${size}`);
			}
		} else if (name === 'outlook.body-content-type') {
			if (value.toLowerCase() === 'text') prefer.bodyText = true;
			if (['text', 'html'].includes(value.toLowerCase())) {
				prefer.applied.push(`outlook.body-content-type="${value.toLowerCase()}"`);
			}
		}
	}
	return prefer;
}

// ---------------------------------------------------------------------------------------------
// Query options
// ---------------------------------------------------------------------------------------------

export interface OrderBy {
	path: string[];
	desc: boolean;
}

export interface Query {
	select?: string[];
	top?: number;
	skip?: number;
	filter?: Expr;
	orderby?: OrderBy[];
	/** `$expand=singleValueExtendedProperties($filter=…)`: the filter, or `true` for all. */
	expandExtended?: Expr | true;
	skiptoken?: string;
	deltatoken?: string;
	search?: string;
	/** The names of the system query options present (lower-cased, with `$`). */
	present: Set<string>;
}

export function parseQuery(params: URLSearchParams, maxTop = 1000): Query {
	const query: Query = { present: new Set() };
	for (const key of params.keys()) if (key.startsWith('$')) query.present.add(key.toLowerCase());
	const get = (name: string): string | null => {
		for (const [key, value] of params) if (key.toLowerCase() === name) return value;
		return null;
	};
	const select = get('$select');
	if (select !== null) query.select = select.split(',').map((s) => s.trim()).filter(Boolean);
	const top = get('$top');
	if (top !== null) {
		const n = Number(top);
		if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid value '${top}' for $top query option found.`);
		if (n > maxTop) throw new GraphError(400, 'ErrorInvalidParameter', `The value '${top}' of parameter '$top' exceeds the maximum of ${maxTop}.`);
		query.top = n;
	}
	const skip = get('$skip');
	if (skip !== null) {
		const n = Number(skip);
		if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid value '${skip}' for $skip query option found.`);
		query.skip = n;
	}
	const filter = get('$filter');
	if (filter !== null) query.filter = parseFilter(filter);
	const orderby = get('$orderby');
	if (orderby !== null) {
		query.orderby = orderby
			.split(',')
			.map((part) => part.trim())
			.filter(Boolean)
			.map((part) => {
				const [path, dir] = part.split(/\s+/);
				if (dir && !['asc', 'desc'].includes(dir.toLowerCase())) throw badRequest(`Invalid $orderby clause '${part}'.`);
				return { path: path.split('/'), desc: dir?.toLowerCase() === 'desc' };
			});
	}
	const expand = get('$expand');
	if (expand !== null) query.expandExtended = parseExpand(expand);
	query.skiptoken = get('$skiptoken') ?? undefined;
	query.deltatoken = get('$deltatoken') ?? undefined;
	query.search = get('$search') ?? undefined;
	return query;
}

/** Only the extended-property expansion is supported (the one the sync needs). */
function parseExpand(text: string): Expr | true {
	const match = /^\s*singleValueExtendedProperties\s*(?:\((.*)\))?\s*$/i.exec(text);
	if (!match) throw badRequest(`Parsing OData Select and Expand failed: Could not find a property named '${text.split('(')[0].trim()}'.`);
	if (match[1] === undefined) return true;
	const inner = /^\s*\$filter\s*=\s*([\s\S]*)$/i.exec(match[1]);
	if (!inner) throw badRequest(`Invalid $expand options '${match[1]}'.`);
	return parseFilter(inner[1]);
}

// ---------------------------------------------------------------------------------------------
// $filter
// ---------------------------------------------------------------------------------------------

export type Operand =
	| { type: 'path'; path: string[] }
	| { type: 'literal'; value: string | number | boolean | null }
	| { type: 'call'; name: string; args: Operand[] };

export type Expr =
	| { type: 'and' | 'or'; left: Expr; right: Expr }
	| { type: 'not'; expr: Expr }
	| { type: 'cmp'; op: CmpOp; left: Operand; right: Operand }
	| { type: 'value'; operand: Operand }
	| { type: 'any'; collection: string[]; variable: string; predicate?: Expr };

type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
const CMP_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

interface Token {
	kind: 'string' | 'number' | 'word' | 'punct';
	text: string;
}

function tokenize(input: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < input.length) {
		const c = input[i];
		if (/\s/.test(c)) {
			i++;
		} else if (c === "'") {
			let value = '';
			i++;
			for (;;) {
				if (i >= input.length) throw badRequest(`Invalid filter clause: unterminated string literal in '${input}'.`);
				if (input[i] === "'") {
					if (input[i + 1] === "'") {
						value += "'";
						i += 2;
						continue;
					}
					i++;
					break;
				}
				value += input[i++];
			}
			tokens.push({ kind: 'string', text: value });
		} else if ('(),:'.includes(c)) {
			tokens.push({ kind: 'punct', text: c });
			i++;
		} else {
			const match = /^[^\s(),':]+/.exec(input.slice(i));
			const word = match![0];
			i += word.length;
			// Unquoted DateTimeOffset literals (2026-01-01T00:00:00Z) contain ':' — glue them back together.
			if (/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(word)) {
				const rest = /^(:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)/i.exec(input.slice(i));
				if (rest) {
					i += rest[1].length;
					tokens.push({ kind: 'string', text: word + rest[1] });
					continue;
				}
			}
			if (/^-?\d+(\.\d+)?$/.test(word)) tokens.push({ kind: 'number', text: word });
			else tokens.push({ kind: 'word', text: word });
		}
	}
	return tokens;
}

export function parseFilter(input: string): Expr {
	const tokens = tokenize(input);
	let pos = 0;
	const peek = (): Token | undefined => tokens[pos];
	const fail = (why: string): never => {
		throw badRequest(`Invalid filter clause: ${why}`);
	};
	const expectPunct = (text: string): void => {
		const t = tokens[pos++];
		if (!t || t.kind !== 'punct' || t.text !== text) fail(`expected '${text}' in '${input}'.`);
	};
	const isWord = (t: Token | undefined, word: string): boolean => !!t && t.kind === 'word' && t.text.toLowerCase() === word;

	const parseOr = (): Expr => {
		let left = parseAnd();
		while (isWord(peek(), 'or')) {
			pos++;
			left = { type: 'or', left, right: parseAnd() };
		}
		return left;
	};
	const parseAnd = (): Expr => {
		let left = parseUnary();
		while (isWord(peek(), 'and')) {
			pos++;
			left = { type: 'and', left, right: parseUnary() };
		}
		return left;
	};
	const parseUnary = (): Expr => {
		if (isWord(peek(), 'not')) {
			pos++;
			return { type: 'not', expr: parseUnary() };
		}
		const t = peek();
		if (t?.kind === 'punct' && t.text === '(') {
			pos++;
			const inner = parseOr();
			expectPunct(')');
			return inner;
		}
		return parseComparison();
	};
	const parseComparison = (): Expr | never => {
		const left = parseOperand();
		if ('any' in (left as object)) return (left as unknown as { any: Expr }).any;
		const next = peek();
		if (next && next.kind === 'word' && CMP_OPS.has(next.text.toLowerCase())) {
			pos++;
			const right = parseOperand();
			if ('any' in (right as object)) fail('a lambda cannot be compared.');
			return { type: 'cmp', op: next.text.toLowerCase() as CmpOp, left: left as Operand, right: right as Operand };
		}
		return { type: 'value', operand: left as Operand };
	};
	const parseOperand = (): Operand | { any: Expr } => {
		const t = tokens[pos++];
		if (!t) return fail(`unexpected end of '${input}'.`);
		if (t.kind === 'string') return { type: 'literal', value: t.text };
		if (t.kind === 'number') return { type: 'literal', value: Number(t.text) };
		if (t.kind === 'punct') return fail(`unexpected '${t.text}' in '${input}'.`);
		const lower = t.text.toLowerCase();
		if (lower === 'true' || lower === 'false') return { type: 'literal', value: lower === 'true' };
		if (lower === 'null') return { type: 'literal', value: null };
		const after = peek();
		if (after?.kind === 'punct' && after.text === '(') {
			pos++;
			const lambda = /^(.*)\/(any|all)$/i.exec(t.text);
			if (lambda) {
				if (lambda[2].toLowerCase() === 'all') fail('the all operator is not supported.');
				const collection = lambda[1].split('/');
				const close = peek();
				if (close?.kind === 'punct' && close.text === ')') {
					pos++;
					return { any: { type: 'any', collection, variable: '' } };
				}
				const variable = tokens[pos++];
				if (!variable || variable.kind !== 'word') fail('expected a lambda variable.');
				expectPunct(':');
				const predicate = parseOr();
				expectPunct(')');
				return { any: { type: 'any', collection, variable: variable!.text, predicate } };
			}
			const args: Operand[] = [];
			const close = peek();
			if (!(close?.kind === 'punct' && close.text === ')')) {
				for (;;) {
					const arg = parseOperand();
					if ('any' in (arg as object)) fail('a lambda cannot be a function argument.');
					args.push(arg as Operand);
					const sep = tokens[pos++];
					if (sep?.kind === 'punct' && sep.text === ',') continue;
					if (sep?.kind === 'punct' && sep.text === ')') break;
					fail(`expected ',' or ')' in '${input}'.`);
				}
			} else {
				pos++;
			}
			if (!['startswith', 'endswith', 'contains', 'tolower', 'toupper'].includes(lower)) {
				fail(`the function '${t.text}' is not supported.`);
			}
			return { type: 'call', name: lower, args };
		}
		return { type: 'path', path: t.text.split('/') };
	};

	const expr = parseOr();
	if (pos < tokens.length) fail(`unexpected '${tokens[pos].text}' in '${input}'.`);
	return expr;
}

/**
 * The top-level properties a filter reads (lower case); paths that start with a lambda variable
 * belong to the collection the lambda ranges over, which is listed instead.
 */
const EXTENDED_ONLY = new WeakMap<Expr, boolean>();

/** The filter reads only `singleValueExtendedProperties`: an item can be tested without rendering the rest. */
export function readsOnlyExtended(filter: Expr): boolean {
	let known = EXTENDED_ONLY.get(filter);
	if (known === undefined) {
		const read = filterProperties(filter);
		known = read.size === 1 && read.has('singlevalueextendedproperties');
		EXTENDED_ONLY.set(filter, known);
	}
	return known;
}

export function filterProperties(expr: Expr): Set<string> {
	const found = new Set<string>();
	const visitOperand = (operand: Operand, vars: Set<string>): void => {
		if (operand.type === 'path' && !vars.has(operand.path[0])) found.add(operand.path[0].toLowerCase());
		if (operand.type === 'call') for (const arg of operand.args) visitOperand(arg, vars);
	};
	const visit = (e: Expr, vars: Set<string>): void => {
		switch (e.type) {
			case 'and':
			case 'or':
				visit(e.left, vars);
				visit(e.right, vars);
				return;
			case 'not':
				visit(e.expr, vars);
				return;
			case 'value':
				visitOperand(e.operand, vars);
				return;
			case 'cmp':
				visitOperand(e.left, vars);
				visitOperand(e.right, vars);
				return;
			case 'any':
				visitOperand({ type: 'path', path: e.collection }, vars);
				if (e.predicate) visit(e.predicate, new Set([...vars, e.variable]));
		}
	};
	visit(expr, new Set());
	return found;
}

/**
 * How one collection of a filter is evaluated. `resolve` reads a property path of the item;
 * extended-property ids compare with their own rule (name part case-sensitive).
 */
export interface FilterHost {
	resolve(item: Json, path: string[]): unknown;
	/** Compare two values of `<lambdaVar>/id` inside `singleValueExtendedProperties/any`. */
	sameExtendedId?(a: string, b: string): boolean;
	/** The items themselves are extended properties (`$expand=…($filter=id eq '…')`). */
	extendedIdAtRoot?: boolean;
}

interface Scope {
	item: Json;
	vars: Map<string, { value: Json; extended: boolean }>;
}

export function evaluateFilter(expr: Expr, item: Json, host: FilterHost): boolean {
	return truthy(evalExpr(expr, { item, vars: new Map() }, host));
}

function truthy(value: unknown): boolean {
	return value === true;
}

function evalExpr(expr: Expr, scope: Scope, host: FilterHost): unknown {
	switch (expr.type) {
		case 'and':
			return truthy(evalExpr(expr.left, scope, host)) && truthy(evalExpr(expr.right, scope, host));
		case 'or':
			return truthy(evalExpr(expr.left, scope, host)) || truthy(evalExpr(expr.right, scope, host));
		case 'not':
			return !truthy(evalExpr(expr.expr, scope, host));
		case 'value':
			return evalOperand(expr.operand, scope, host);
		case 'any': {
			const collection = resolvePath(expr.collection, scope, host);
			if (!Array.isArray(collection)) return false;
			if (!expr.predicate) return collection.length > 0;
			const extended = expr.collection[expr.collection.length - 1].toLowerCase() === 'singlevalueextendedproperties';
			return collection.some((element) => {
				const vars = new Map(scope.vars);
				vars.set(expr.variable, { value: element as Json, extended });
				return truthy(evalExpr(expr.predicate!, { item: scope.item, vars }, host));
			});
		}
		case 'cmp': {
			const left = evalOperand(expr.left, scope, host);
			const right = evalOperand(expr.right, scope, host);
			const idCompare = isExtendedId(expr.left, scope, host) || isExtendedId(expr.right, scope, host);
			return compare(expr.op, left, right, idCompare ? host.sameExtendedId : undefined);
		}
	}
}

function isExtendedId(operand: Operand, scope: Scope, host: FilterHost): boolean {
	if (operand.type !== 'path') return false;
	if (host.extendedIdAtRoot && operand.path.length === 1 && operand.path[0].toLowerCase() === 'id') return true;
	if (operand.path.length !== 2) return false;
	const v = scope.vars.get(operand.path[0]);
	return !!v?.extended && operand.path[1].toLowerCase() === 'id';
}

function resolvePath(path: string[], scope: Scope, host: FilterHost): unknown {
	const v = scope.vars.get(path[0]);
	if (v) return getPath(v.value, path.slice(1));
	return host.resolve(scope.item, path);
}

/** Case-insensitive property lookup along a path. */
export function getPath(value: unknown, path: string[]): unknown {
	let current: unknown = value;
	for (const segment of path) {
		if (current === null || current === undefined || typeof current !== 'object') return undefined;
		const record = current as Json;
		if (segment in record) {
			current = record[segment];
			continue;
		}
		const key = Object.keys(record).find((k) => k.toLowerCase() === segment.toLowerCase());
		current = key === undefined ? undefined : record[key];
	}
	return current;
}

function evalOperand(operand: Operand, scope: Scope, host: FilterHost): unknown {
	if (operand.type === 'literal') return operand.value;
	if (operand.type === 'path') return resolvePath(operand.path, scope, host);
	const args = operand.args.map((a) => evalOperand(a, scope, host));
	const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v)).toLowerCase();
	switch (operand.name) {
		case 'startswith':
			return args[0] !== null && args[0] !== undefined && text(args[0]).startsWith(text(args[1]));
		case 'endswith':
			return args[0] !== null && args[0] !== undefined && text(args[0]).endsWith(text(args[1]));
		case 'contains':
			return args[0] !== null && args[0] !== undefined && text(args[0]).includes(text(args[1]));
		case 'tolower':
			return args[0] === null || args[0] === undefined ? null : String(args[0]).toLowerCase();
		case 'toupper':
			return args[0] === null || args[0] === undefined ? null : String(args[0]).toUpperCase();
		default:
			return undefined;
	}
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/i;

function asInstant(value: string): number {
	// Graph dateTime strings have 7 fractional digits and no zone: read as UTC.
	const trimmed = value.replace(/(\.\d{3})\d+/, '$1');
	const zoned = /(Z|[+-]\d{2}:\d{2})$/i.test(trimmed) ? trimmed : `${trimmed}${trimmed.includes('T') ? '' : 'T00:00:00'}Z`;
	return Date.parse(zoned);
}

/** Exchange compares strings case-insensitively; date-like strings compare as instants. */
export function compareValues(left: unknown, right: unknown): number | undefined {
	if (left === null || left === undefined || right === null || right === undefined) {
		return (left ?? null) === (right ?? null) ? 0 : undefined;
	}
	if (typeof left === 'number' && typeof right === 'number') return left - right;
	if (typeof left === 'boolean' || typeof right === 'boolean') return left === right ? 0 : undefined;
	const a = String(left);
	const b = String(right);
	if (ISO_LIKE.test(a) && ISO_LIKE.test(b)) return asInstant(a) - asInstant(b);
	const la = a.toLowerCase();
	const lb = b.toLowerCase();
	return la < lb ? -1 : la > lb ? 1 : 0;
}

function compare(op: CmpOp, left: unknown, right: unknown, sameId?: (a: string, b: string) => boolean): boolean {
	if (sameId && typeof left === 'string' && typeof right === 'string' && (op === 'eq' || op === 'ne')) {
		const same = sameId(left, right);
		return op === 'eq' ? same : !same;
	}
	const c = compareValues(left, right);
	switch (op) {
		case 'eq':
			return c === 0;
		case 'ne':
			return c !== 0;
		case 'gt':
			return c !== undefined && c > 0;
		case 'ge':
			return c !== undefined && c >= 0;
		case 'lt':
			return c !== undefined && c < 0;
		case 'le':
			return c !== undefined && c <= 0;
	}
}

// ---------------------------------------------------------------------------------------------
// $select, $orderby, paging
// ---------------------------------------------------------------------------------------------

/** Keeps the selected properties; `id` and OData annotations always stay, as in Graph. */
export function applySelect(item: Json, select: string[] | undefined, known?: Set<string>, typeName = 'microsoft.graph.entity'): Json {
	if (!select) return item;
	const wanted = new Set(select.map((s) => s.toLowerCase()));
	if (known) {
		for (const name of select) {
			if (!known.has(name.toLowerCase())) {
				throw badRequest(`Parsing OData Select and Expand failed: Could not find a property named '${name}' on type '${typeName}'.`);
			}
		}
	}
	const result: Json = {};
	for (const [key, value] of Object.entries(item)) {
		if (key.startsWith('@') || key === 'id' || key === 'singleValueExtendedProperties' || wanted.has(key.toLowerCase())) {
			result[key] = value;
		}
	}
	return result;
}

export function sortBy(items: Json[], orderby: OrderBy[] | undefined): Json[] {
	if (!orderby?.length) return items;
	return [...items].sort((a, b) => {
		for (const { path, desc } of orderby) {
			const c = compareValues(getPath(a, path), getPath(b, path)) ?? 0;
			if (c !== 0) return desc ? -c : c;
		}
		return 0;
	});
}

/** Rebuilds a request URL with changed query options (for nextLinks). */
export function linkWith(base: string, path: string, params: URLSearchParams, changes: Record<string, string | undefined>): string {
	const next = new URLSearchParams();
	const lowered = new Set(Object.keys(changes).map((k) => k.toLowerCase()));
	for (const [key, value] of params) if (!lowered.has(key.toLowerCase())) next.append(key, value);
	for (const [key, value] of Object.entries(changes)) if (value !== undefined) next.append(key, value);
	const search = next.toString().replace(/%24/g, '$');
	return `${base}${path}${search ? `?${search}` : ''}`;
}
