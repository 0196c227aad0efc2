import { LN_ODATA_ROOT } from '../../../lib/ln/contract';
import type { EmulatorRequest, EmulatorResponse } from '../common/server';
import { badRequest, LnHttpError, notFound } from './errors';
import { metadataJson, metadataXml } from './metadata';
import { requiredRelatedEquals } from './filter';
import {
	applyNested,
	encodeSkipToken,
	filterAndSort,
	parseQueryOptions,
	parseRawQuery,
	takePage,
	type ExpandItem,
	type QueryOptions,
} from './query';
import { keyPredicate, type EntityDef, type FieldDef, type NavDef, type Schema } from './schema';
import { normalizeCompany } from './seed';
import type { LnRecord, LnStore, StoredRecord } from './store';

/** What one OData request needs from the emulator. */
export interface ODataContext {
	schema: Schema;
	store: LnStore;
	tenant: string;
	/** Emulator base URL (`iu`), for absolute next links and Location headers. */
	baseUrl: string;
	pageSize: number;
	/** Company when X-Infor-LnCompany is absent. */
	defaultCompany: string | undefined;
}

const JSON_TYPE = 'application/json; odata.metadata=minimal; charset=utf-8';
const ODATA_VERSION = { 'OData-Version': '4.0' };

/** Entity sets of the standard contact service that are lookups only. */
const READ_ONLY: ReadonlySet<string> = new Set(['businessPartners', 'addresses']);

interface Target {
	def: EntityDef;
	/** Present when the path addresses one entity. */
	key?: LnRecord;
	/** Present for `Set(key)/Navigation`. */
	nav?: NavDef;
	/** `Set/$count` or `Set(key)/Nav/$count`. */
	count?: boolean;
}

/**
 * The lnapi OData service: `{iu}/{ti}/LN/lnapi/odata/{service}/…` after the bearer check.
 * `segments` are the raw path segments after the service name.
 */
export function handleOData(req: EmulatorRequest, ctx: ODataContext, service: string, segments: string[]): EmulatorResponse {
	const company = resolveCompany(req, ctx);
	if (!ctx.schema.hasService(service)) {
		throw notFound(`The service '${service}' does not exist or is not active for company ${company}`, 'ERROR:ServiceNotFound');
	}
	if (!ctx.store.hasCompany(company)) {
		throw notFound(`The service '${service}' is not active for company ${company}`, 'ERROR:CompanyNotActive');
	}
	const serviceRoot = `${ctx.baseUrl}/${ctx.tenant}/${LN_ODATA_ROOT}/${service}`;
	const rest = segments.filter((s, i) => s !== '' || i < segments.length - 1);
	if (rest.length === 0) return serviceDocument(req, ctx, service, serviceRoot);
	if (rest.length === 1 && rest[0] === '$metadata') return metadata(req, ctx, service);
	const target = parseTarget(ctx.schema, service, rest);
	const handler = new RequestHandler(req, ctx, company, serviceRoot, target);
	return handler.run();
}

/** The company of a request: the header, else the default; 400 when the header is no company number. */
export function resolveCompany(req: EmulatorRequest, ctx: ODataContext): string {
	const header = req.headers['x-infor-lncompany'];
	const language = req.headers['content-language'];
	if (header !== undefined) {
		const company = normalizeCompany(header);
		if (company === undefined) {
			throw badRequest(`The header X-Infor-LnCompany '${String(header)}' is not a company number from 0 to 9999`, 'ERROR:InvalidCompany');
		}
		checkLanguage(language);
		return company;
	}
	checkLanguage(language);
	const fallback = ctx.defaultCompany ?? ctx.store.companyNames()[0];
	if (fallback === undefined) throw notFound('No company is active for this service', 'ERROR:CompanyNotActive');
	return fallback;
}

function checkLanguage(language: string | string[] | undefined): void {
	if (language === undefined) return;
	if (!/^[A-Za-z]{2}-[A-Za-z]{2}$/.test(String(language))) {
		throw badRequest(`The header Content-Language '${String(language)}' must be a 5-character language tag like en-US`, 'ERROR:InvalidLanguage');
	}
}

function serviceDocument(req: EmulatorRequest, ctx: ODataContext, service: string, serviceRoot: string): EmulatorResponse {
	if (req.method !== 'GET') throw methodNotAllowed(req.method, service);
	return {
		status: 200,
		headers: { 'content-type': JSON_TYPE, ...ODATA_VERSION },
		body: {
			'@odata.context': `${serviceRoot}/$metadata`,
			value: ctx.schema.entitySetsOf(service).map((d) => ({ name: d.entitySet, kind: 'EntitySet', url: d.entitySet })),
		},
	};
}

function metadata(req: EmulatorRequest, ctx: ODataContext, service: string): EmulatorResponse {
	if (req.method !== 'GET') throw methodNotAllowed(req.method, '$metadata');
	// XML unless JSON CSDL is asked for explicitly: clients often send Accept: application/json on
	// every request and still expect the XML document.
	const format = parseRawQuery(req.url.search).get('$format');
	if (format === 'json' || format === 'application/json') {
		return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', ...ODATA_VERSION }, body: metadataJson(ctx.schema, service) };
	}
	return { status: 200, headers: { 'content-type': 'application/xml; charset=utf-8', ...ODATA_VERSION }, body: metadataXml(ctx.schema, service) };
}

function methodNotAllowed(method: string, what: string): LnHttpError {
	return new LnHttpError(405, 'ERROR:MethodNotAllowed', `The method ${method} is not allowed on ${what}`);
}

// ---- paths ----------------------------------------------------------------------------------

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\(([\s\S]*)\))?$/;

function decodeSegment(raw: string): string {
	try {
		return decodeURIComponent(raw);
	} catch {
		throw badRequest(`The path segment '${raw}' has an invalid percent-encoding`, 'ERROR:InvalidPath');
	}
}

function parseTarget(schema: Schema, service: string, rawSegments: string[]): Target {
	const segments = rawSegments.map(decodeSegment);
	const first = SEGMENT.exec(segments[0]);
	const def = first ? schema.find(service, first[1]) : undefined;
	if (!first || !def) {
		throw notFound(`The resource '${segments[0]}' does not exist in service '${service}'`, 'ERROR:ResourceNotFound');
	}
	const target: Target = { def };
	if (first[2] !== undefined) target.key = parseKey(def, first[2]);
	let index = 1;
	if (index < segments.length && target.key && segments[index] !== '$count') {
		const nav = def.navigations.find((n) => n.name === segments[index]);
		if (!nav) {
			throw notFound(`'${segments[index]}' is not a navigation property of '${def.typeName}'`, 'ERROR:ResourceNotFound');
		}
		target.nav = nav;
		index++;
	}
	if (index < segments.length && segments[index] === '$count' && (!target.key || target.nav?.collection)) {
		target.count = true;
		index++;
	}
	if (index < segments.length) {
		throw notFound(`The path segment '${segments[index]}' is not supported here`, 'ERROR:ResourceNotFound');
	}
	return target;
}

/** `'C001'`, `(Activity='A',Sequence=2)` content → key record by logical names. */
function parseKey(def: EntityDef, text: string): LnRecord {
	const parts = splitKey(text);
	const keyFields = def.keys.map((k) => def.byLogical.get(k)!);
	const key: LnRecord = {};
	if (parts.length === 1 && keyFields.length === 1 && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(parts[0])) {
		key[keyFields[0].logical] = keyLiteral(def, keyFields[0], parts[0]);
		return key;
	}
	for (const part of parts) {
		const eq = part.indexOf('=');
		const name = eq < 0 ? '' : part.slice(0, eq).trim();
		const field = keyFields.find((f) => f.physical === name);
		if (!field) {
			throw badRequest(
				`The key '(${text})' of '${def.typeName}' is invalid; expected (${keyFields.map((f) => `${f.physical}=…`).join(',')})`,
				'ERROR:InvalidKey',
			);
		}
		key[field.logical] = keyLiteral(def, field, part.slice(eq + 1));
	}
	if (Object.keys(key).length !== keyFields.length) {
		throw badRequest(`The key '(${text})' of '${def.typeName}' must give ${keyFields.map((f) => f.physical).join(' and ')}`, 'ERROR:InvalidKey');
	}
	return key;
}

function splitKey(text: string): string[] {
	const parts: string[] = [];
	let current = '';
	let quoted = false;
	for (const c of text) {
		if (c === "'") quoted = !quoted;
		if (c === ',' && !quoted) {
			parts.push(current);
			current = '';
			continue;
		}
		current += c;
	}
	parts.push(current);
	return parts.map((p) => p.trim());
}

function keyLiteral(def: EntityDef, field: FieldDef, raw: string): string | number {
	const text = raw.trim();
	if (field.type === 'Edm.Int32') {
		if (!/^-?\d+$/.test(text)) throw badRequest(`The key value ${text} of '${field.physical}' must be an integer`, 'ERROR:InvalidKey');
		return Number(text);
	}
	const match = /^'((?:[^']|'')*)'$/.exec(text);
	if (!match) {
		throw badRequest(`The key value ${text} of '${field.physical}' in '${def.typeName}' must be a quoted string like '${text}'`, 'ERROR:InvalidKey');
	}
	return match[1].replace(/''/g, "'");
}

// ---- requests on entity sets ------------------------------------------------------------------

interface Preferences {
	maxPageSize?: number;
	returnRepresentation?: boolean;
	returnMinimal?: boolean;
}

function parsePrefer(header: string | string[] | undefined): Preferences {
	const prefs: Preferences = {};
	const text = Array.isArray(header) ? header.join(',') : (header ?? '');
	for (const item of text.split(',')) {
		const [name, value = ''] = item.split('=').map((s) => s.trim());
		const lower = name.toLowerCase();
		if (lower === 'odata.maxpagesize' && /^\d+$/.test(value) && Number(value) > 0) prefs.maxPageSize = Number(value);
		if (lower === 'return' && value === 'representation') prefs.returnRepresentation = true;
		if (lower === 'return' && value === 'minimal') prefs.returnMinimal = true;
	}
	return prefs;
}

/** `If-Match` holds the current ETag? `*` matches anything; W/ and quotes are optional (see README). */
export function etagMatches(header: string, current: string): boolean {
	const opaque = (tag: string) => tag.trim().replace(/^W\//i, '').replace(/^"([^"]*)"$/, '$1');
	return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(current));
}

class RequestHandler {
	private readonly prefs: Preferences;

	constructor(
		private readonly req: EmulatorRequest,
		private readonly ctx: ODataContext,
		private readonly company: string,
		private readonly serviceRoot: string,
		private readonly target: Target,
	) {
		this.prefs = parsePrefer(req.headers.prefer);
	}

	run(): EmulatorResponse {
		const { def, key, nav, count } = this.target;
		const method = this.req.method;
		if (count) {
			if (method !== 'GET') throw methodNotAllowed(method, '$count');
			return this.count();
		}
		if (nav) {
			const owner = this.require(def, key!);
			if (method === 'GET') return nav.collection ? this.collection(this.ctx.schema.entities[nav.target], owner, nav) : this.single(nav, owner);
			if (method === 'POST' && nav.collection) return this.create(this.ctx.schema.entities[nav.target], { owner, nav });
			throw methodNotAllowed(method, `${def.entitySet}(…)/${nav.name}`);
		}
		if (!key) {
			if (method === 'GET') return this.collection(def);
			if (method === 'POST') return this.create(def);
			throw methodNotAllowed(method, def.entitySet);
		}
		switch (method) {
			case 'GET':
				return this.entity(def, this.require(def, key));
			case 'PATCH':
				return this.patch(def, key);
			case 'DELETE':
				return this.remove(def, key);
			default:
				throw methodNotAllowed(method, `${def.entitySet}(…)`);
		}
	}

	private require(def: EntityDef, key: LnRecord): StoredRecord {
		const record = this.ctx.store.get(this.company, def.kind, key);
		if (!record) {
			const text = keyPredicate(def, key);
			throw notFound(`${def.entitySet}${decodeURIComponent(text)} does not exist in company ${this.company}`, 'ERROR:RecordNotFound');
		}
		return record;
	}

	private navigate = (record: LnRecord, nav: NavDef) => this.ctx.store.navigate(this.company, record, nav);

	private options(def: EntityDef): QueryOptions {
		return parseQueryOptions(parseRawQuery(this.req.url.search), def, this.ctx.schema);
	}

	/** Records of a set, or the related records of a collection navigation. */
	private source(def: EntityDef, owner?: StoredRecord, nav?: NavDef): StoredRecord[] {
		return owner && nav ? this.ctx.store.related(this.company, owner.data, nav) : this.ctx.store.list(this.company, def.kind);
	}

	private collection(def: EntityDef, owner?: StoredRecord, nav?: NavDef): EmulatorResponse {
		const options = this.options(def);
		// The store's cache is keyed by everything the list depends on but the page (skip token, top, select, expand).
		const params = parseRawQuery(this.req.url.search);
		const listKey = owner ? undefined : JSON.stringify([this.company, def.kind, params.get('$filter') ?? '', params.get('$orderby') ?? '']);
		const sortedList = () => {
			// A filter on an attendee's field tests only the activities that have such an attendee.
			const narrowing = options.filter && !owner ? requiredRelatedEquals(options.filter) : undefined;
			const stored =
				(narrowing && this.ctx.store.ownersWith(this.company, def.kind, narrowing.nav, narrowing.field, narrowing.value)) ?? this.source(def, owner, nav);
			const etagOf = new Map(stored.map((r) => [r.data, r.etag]));
			const sorted = filterAndSort(def, stored.map((r) => r.data), options, this.navigate);
			return { sorted, etags: new Map(sorted.map((data) => [data, etagOf.get(data)!])) };
		};
		const { sorted, etags } = listKey ? this.ctx.store.cached(listKey, sortedList) : sortedList();
		const pageLimit = Math.min(this.ctx.pageSize, this.prefs.maxPageSize ?? Infinity);
		const page = takePage(def, sorted, options, pageLimit);
		const body: Record<string, unknown> = { '@odata.context': this.contextUrl(def, options.select) };
		if (options.count) body['@odata.count'] = sorted.length;
		body.value = page.value.map((data) => this.serialize(def, { data, etag: etags.get(data)! }, options.select, options.expand));
		if (page.next) body['@odata.nextLink'] = this.nextLink(encodeSkipToken(page.next));
		const headers: Record<string, string> = { 'content-type': JSON_TYPE, ...ODATA_VERSION };
		if (this.prefs.maxPageSize !== undefined) headers['Preference-Applied'] = `odata.maxpagesize=${this.prefs.maxPageSize}`;
		return { status: 200, headers, body };
	}

	private count(): EmulatorResponse {
		const { def, key, nav } = this.target;
		const targetDef = nav ? this.ctx.schema.entities[nav.target] : def;
		const owner = key ? this.require(def, key) : undefined;
		const params = parseRawQuery(this.req.url.search);
		const filterOnly = new Map([...params].filter(([name]) => name === '$filter'));
		const options = parseQueryOptions(filterOnly, targetDef, this.ctx.schema);
		const sorted = filterAndSort(targetDef, this.source(targetDef, owner, nav).map((r) => r.data), options, this.navigate);
		return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', ...ODATA_VERSION }, body: String(sorted.length) };
	}

	private entity(def: EntityDef, record: StoredRecord, status = 200, extraHeaders: Record<string, string> = {}): EmulatorResponse {
		const options = this.options(def);
		const body = {
			'@odata.context': `${this.contextUrl(def, options.select)}/$entity`,
			...this.serialize(def, record, options.select, options.expand),
		};
		return { status, headers: { 'content-type': JSON_TYPE, ...ODATA_VERSION, ETag: record.etag, ...extraHeaders }, body };
	}

	/** `Contacts('C001')/BusinessPartnerRef`: the related entity, or 204 when there is none. */
	private single(nav: NavDef, owner: StoredRecord): EmulatorResponse {
		const [related] = this.ctx.store.related(this.company, owner.data, nav);
		if (!related) return { status: 204, headers: ODATA_VERSION };
		return this.entity(this.ctx.schema.entities[nav.target], related);
	}

	private create(def: EntityDef, parent?: { owner: StoredRecord; nav: NavDef }): EmulatorResponse {
		if (READ_ONLY.has(def.kind)) throw methodNotAllowed('POST', def.entitySet);
		const body = this.jsonBody();
		const deepNav = def.navigations.find((n) => n.collection && body[n.name] !== undefined);
		const input = this.toLogical(def, body, deepNav ? [deepNav.name] : []);
		let children: LnRecord[] = [];
		if (deepNav) {
			const items = body[deepNav.name];
			if (!Array.isArray(items) || items.some((i) => typeof i !== 'object' || i === null || Array.isArray(i))) {
				throw badRequest(`The deep-insert property '${deepNav.name}' must be a list of objects`, 'ERROR:InvalidValue');
			}
			const childDef = this.ctx.schema.entities[deepNav.target];
			children = (items as Record<string, unknown>[]).map((item) => this.toLogical(childDef, item));
		}
		if (parent) {
			const back = parent.nav.backField!;
			if (input[back] !== undefined && input[back] !== parent.owner.data.id) {
				throw badRequest(
					`The property '${def.byLogical.get(back)!.physical}' must be '${String(parent.owner.data.id)}' when posting to ${parent.nav.name} of that record`,
					'ERROR:InvalidValue',
				);
			}
			input[back] = parent.owner.data.id;
		}
		const [created, ...createdChildren] = this.ctx.store.insert(this.company, def.kind, input, { functional: true }, children);
		const location = `${this.serviceRoot}/${def.entitySet}${keyPredicate(def, created.data)}`;
		const headers = { Location: location, 'OData-EntityId': location };
		if (this.prefs.returnMinimal) {
			return { status: 204, headers: { ...ODATA_VERSION, ETag: created.etag, ...headers, 'Preference-Applied': 'return=minimal' } };
		}
		const response = this.entity(def, created, 201, headers);
		if (deepNav) {
			const childDef = this.ctx.schema.entities[deepNav.target];
			(response.body as Record<string, unknown>)[deepNav.name] = createdChildren.map((c) => this.serialize(childDef, c));
		}
		return response;
	}

	private patch(def: EntityDef, key: LnRecord): EmulatorResponse {
		if (READ_ONLY.has(def.kind)) throw methodNotAllowed('PATCH', def.entitySet);
		const current = this.require(def, key);
		this.checkIfMatch(def, current);
		const changes = this.toLogical(def, this.jsonBody());
		const updated = this.ctx.store.update(this.company, def.kind, key, changes, { functional: true });
		if (this.prefs.returnRepresentation) {
			return this.entity(def, updated, 200, { 'Preference-Applied': 'return=representation' });
		}
		return { status: 204, headers: { ...ODATA_VERSION, ETag: updated.etag } };
	}

	private remove(def: EntityDef, key: LnRecord): EmulatorResponse {
		if (READ_ONLY.has(def.kind)) throw methodNotAllowed('DELETE', def.entitySet);
		const current = this.require(def, key);
		this.checkIfMatch(def, current);
		this.ctx.store.remove(this.company, def.kind, key);
		return { status: 204, headers: ODATA_VERSION };
	}

	/** LN's optimistic concurrency: 428 without If-Match, 412 when it is not the current ETag. */
	private checkIfMatch(def: EntityDef, current: StoredRecord): void {
		const header = this.req.headers['if-match'];
		const where = `${def.entitySet}${decodeURIComponent(keyPredicate(def, current.data))}`;
		if (header === undefined || String(header).trim() === '') {
			throw new LnHttpError(428, 'ERROR:PreconditionRequired', `The header If-Match is required to change ${where}`);
		}
		if (!etagMatches(String(header), current.etag)) {
			throw new LnHttpError(
				412,
				'ERROR:PreconditionFailed',
				`The record ${where} was changed by another user: the ETag in If-Match differs from the server ETag ${current.etag}`,
			);
		}
	}

	private jsonBody(): Record<string, unknown> {
		const body = this.req.body;
		if (this.req.rawBody.trim() === '') throw badRequest('The request body is empty; a JSON object is expected', 'ERROR:InvalidBody');
		if (typeof body !== 'object' || body === null || Array.isArray(body)) {
			throw badRequest('The request body is not a JSON object', 'ERROR:InvalidBody');
		}
		return body as Record<string, unknown>;
	}

	/** Physical → logical names; unknown properties and navigations are refused (400). */
	private toLogical(def: EntityDef, body: Record<string, unknown>, skip: string[] = []): LnRecord {
		const result: LnRecord = {};
		for (const [name, value] of Object.entries(body)) {
			if (name.startsWith('@') || name.includes('@odata.') || skip.includes(name)) continue;
			const field = def.byPhysical.get(name);
			if (field) {
				result[field.logical] = value;
				continue;
			}
			if (def.navigations.some((n) => n.name === name)) {
				throw badRequest(`The navigation property '${name}' of '${def.typeName}' cannot be written here`, 'ERROR:InvalidProperty');
			}
			throw badRequest(`The property '${name}' does not exist in type '${def.typeName}'`, 'ERROR:InvalidProperty');
		}
		return result;
	}

	/** An entity on the wire: `@odata.etag`, the (selected) properties by physical name, expansions. */
	private serialize(def: EntityDef, record: StoredRecord, select?: FieldDef[], expand: ExpandItem[] = []): Record<string, unknown> {
		const out: Record<string, unknown> = { '@odata.etag': record.etag };
		for (const field of def.fields) {
			if (select && !def.keys.includes(field.logical) && !select.includes(field)) continue;
			const value = record.data[field.logical];
			out[field.physical] = value === undefined ? null : value;
		}
		for (const item of expand) {
			const targetDef = this.ctx.schema.entities[item.nav.target];
			const related = this.ctx.store.related(this.company, record.data, item.nav);
			if (!item.nav.collection) {
				out[item.nav.name] = related[0] ? this.serialize(targetDef, related[0], item.options.select) : null;
				continue;
			}
			const etags = new Map(related.map((r) => [r.data, r.etag]));
			const chosen = applyNested(targetDef, related.map((r) => r.data), item.options, this.navigate);
			if (item.options.count) out[`${item.nav.name}@odata.count`] = filterAndSort(targetDef, related.map((r) => r.data), item.options, this.navigate).length;
			out[item.nav.name] = chosen.map((data) => this.serialize(targetDef, { data, etag: etags.get(data)! }, item.options.select));
		}
		return out;
	}

	private contextUrl(def: EntityDef, select?: FieldDef[]): string {
		const fields = select ? `(${select.map((f) => f.physical).join(',')})` : '';
		return `${this.serviceRoot}/$metadata#${def.entitySet}${fields}`;
	}

	/** The request URL again, absolute, with the other options as given and a new $skiptoken. */
	private nextLink(skiptoken: string): string {
		const params = [...parseRawQuery(this.req.url.search)].filter(([name]) => name !== '$skiptoken');
		params.push(['$skiptoken', skiptoken]);
		const query = params.map(([name, value]) => `${encodeName(name)}=${encodeValue(value)}`).join('&');
		return `${this.ctx.baseUrl}${this.req.url.pathname}?${query}`;
	}
}

/** Percent-encodes a query value but keeps OData's punctuation readable ($, quotes, parentheses…). */
function encodeValue(value: string): string {
	return encodeURIComponent(value).replace(/%(24|27|28|29|2C|3B|3A|3D|2F|40)/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function encodeName(name: string): string {
	return name.replace(/[^$A-Za-z0-9_.-]/g, (c) => encodeURIComponent(c));
}
