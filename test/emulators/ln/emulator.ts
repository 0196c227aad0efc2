import { DEFAULT_MAPPING, LN_ODATA_ROOT, type LnApiMapping } from '../../../lib/ln/contract';
import type { IonApiFile } from '../../../lib/ln/ionapi';
import { EmulatorServer, type EmulatorRequest, type EmulatorResponse, type TlsOptions } from '../common/server';
import type { LoggedRequest } from '../common/request-log';
import { TokenService, type LnClient } from './auth';
import { LnHttpError, notFound } from './errors';
import { handleOData, type ODataContext } from './odata';
import { Schema, type EntityDef, type EntityKind } from './schema';
import { applySeed, DEFAULT_LN_CLIENT, DEFAULT_TENANT, normalizeCompany, type LnSeed } from './seed';
import { LnStore, type LnRecord, type StoredRecord } from './store';

export type { LnClient } from './auth';
export type { LnCompanySeed, LnSeed } from './seed';
export { DEFAULT_LN_CLIENT, DEFAULT_TENANT } from './seed';

export interface LnEmulatorOptions {
	port?: number;
	host?: string;
	tls?: TlsOptions;
	/** Service, entity-set and field names; default DEFAULT_MAPPING. */
	mapping?: LnApiMapping;
	/** Server page size of collections; default 25. */
	pageSize?: number;
	/** Access-token lifetime; default 7200 s (ION's default of 2 hours). */
	tokenLifetimeSeconds?: number;
}

/** Entity sets tests may address directly (logical names, or the mapped entity-set name). */
export type LnEntitySetName = EntityKind | string;
export type LnKey = Record<string, string | number> | string;

/** Paths below `{pu}` = `{iu}/{ti}/as/`. */
export const ION_PATHS = { ot: 'token.oauth2', oa: 'authorization.oauth2', or: 'revoke_token.oauth2' } as const;
const APPLICATION_NAME = 'LN Exchange Sync';

/**
 * A stateful Infor LN behind an ION API gateway: the OAuth2 token endpoint and the lnapi OData v4
 * services (contacts; the custom exchange-sync API), with LN's error bodies, ETags, paging and
 * company separation. See README.md in this folder.
 */
export class LnEmulator extends EmulatorServer {
	readonly mapping: LnApiMapping;
	readonly schema: Schema;
	private store: LnStore;
	private readonly tokens: TokenService;
	private readonly initialPageSize: number;
	tenant = DEFAULT_TENANT;
	defaultCompany: string | undefined;
	pageSize: number;

	constructor(options: LnEmulatorOptions = {}) {
		super({ port: options.port, host: options.host, tls: options.tls });
		this.mapping = options.mapping ?? DEFAULT_MAPPING;
		this.schema = new Schema(this.mapping);
		this.initialPageSize = positiveInteger(options.pageSize ?? 25, 'pageSize');
		this.pageSize = this.initialPageSize;
		this.store = new LnStore(this.schema, () => this.now());
		this.tokens = new TokenService(() => this.now(), positiveInteger(options.tokenLifetimeSeconds ?? 7200, 'tokenLifetimeSeconds'));
		this.tokens.reset([DEFAULT_LN_CLIENT]);
	}

	// ---- public API for tests -------------------------------------------------------------------

	/** Replaces all data (and tenant, clients, default company) with the seed's. */
	seed(seed: LnSeed): void {
		const store = new LnStore(this.schema, () => this.now());
		applySeed(store, this.schema, seed);
		const defaultCompany = seed.defaultCompany === undefined ? undefined : normalizeCompany(seed.defaultCompany);
		if (seed.defaultCompany !== undefined && (defaultCompany === undefined || !store.hasCompany(defaultCompany))) {
			throw new Error(`Seed defaultCompany "${seed.defaultCompany}" is not one of the seeded companies`);
		}
		if (seed.clients !== undefined && (!Array.isArray(seed.clients) || seed.clients.some((c) => !c?.clientId || !c.clientSecret))) {
			throw new Error('Seed clients must be a list of { clientId, clientSecret, serviceAccountAccessKey?, serviceAccountSecretKey? }');
		}
		this.store = store;
		this.tenant = seed.tenant ?? DEFAULT_TENANT;
		this.defaultCompany = defaultCompany;
		this.tokens.setClients(seed.clients ?? [DEFAULT_LN_CLIENT]);
	}

	/** The `.ionapi` file of a client (default: the first one) pointing at this emulator. */
	ionapi(client?: LnClient): IonApiFile {
		const c = client ?? this.tokens.clientList[0] ?? DEFAULT_LN_CLIENT;
		const file: IonApiFile = {
			ti: this.tenant,
			cn: APPLICATION_NAME,
			ci: c.clientId,
			cs: c.clientSecret,
			iu: this.url,
			pu: `${this.url}/${this.tenant}/as/`,
			oa: ION_PATHS.oa,
			ot: ION_PATHS.ot,
			or: ION_PATHS.or,
		};
		if (c.serviceAccountAccessKey && c.serviceAccountSecretKey) {
			file.saak = c.serviceAccountAccessKey;
			file.sask = c.serviceAccountSecretKey;
		}
		return file;
	}

	/** One record by logical names (with its `@odata.etag`), or undefined. */
	get(company: string, entitySet: LnEntitySetName, key: LnKey): Record<string, unknown> | undefined {
		const def = this.schema.byName(entitySet);
		const record = this.store.get(this.companyOf(company), def.kind, this.keyOf(def, key));
		return record ? exported(record) : undefined;
	}

	list(company: string, entitySet: LnEntitySetName): Record<string, unknown>[] {
		const def = this.schema.byName(entitySet);
		return this.store.list(this.companyOf(company), def.kind).map(exported);
	}

	/** Changes a record like an LN user would: new ETag and LastModifiedDate; no functional checks. */
	update(company: string, entitySet: LnEntitySetName, key: LnKey, changes: Record<string, unknown>): Record<string, unknown> {
		const def = this.schema.byName(entitySet);
		const record = this.store.update(this.companyOf(company), def.kind, this.keyOf(def, key), this.logicalOf(def, changes));
		return exported(record);
	}

	/** Inserts a record (an activity may carry `attendees` or the navigation name with a list). */
	insert(company: string, entitySet: LnEntitySetName, record: Record<string, unknown>): Record<string, unknown> {
		const def = this.schema.byName(entitySet);
		const { attendees, ...rest } = record;
		const navName = def.navigations.find((n) => n.collection)?.name;
		const children = (attendees ?? (navName ? rest[navName] : undefined)) as Record<string, unknown>[] | undefined;
		if (navName) delete rest[navName];
		const childDef = this.schema.entities.attendees;
		const [created] = this.store.insert(
			this.companyOf(company),
			def.kind,
			this.logicalOf(def, def.kind === 'attendees' ? record : rest),
			{ allowComputed: true },
			def.kind === 'activities' ? (children ?? []).map((c) => this.logicalOf(childDef, c)) : [],
		);
		return exported(created);
	}

	/** Deletes a record (an activity with its attendees). */
	remove(company: string, entitySet: LnEntitySetName, key: LnKey): void {
		const def = this.schema.byName(entitySet);
		this.store.remove(this.companyOf(company), def.kind, this.keyOf(def, key));
	}

	/** Every access token issued so far answers 401 from now on. */
	expireTokens(): void {
		this.tokens.expireAll();
	}

	/** Every access and refresh token this emulator issued. */
	issuedTokens(): string[] {
		return this.tokens.issuedTokens();
	}

	state(): {
		tenant: string;
		defaultCompany: string | undefined;
		pageSize: number;
		tokensIssued: number;
		tokens: { issued: number; active: number; byGrant: Record<string, number> };
		companies: Record<string, Record<EntityKind, LnRecord[]>>;
	} {
		const tokens = this.tokens.stats();
		return {
			tenant: this.tenant,
			defaultCompany: this.defaultCompany ?? this.store.companyNames()[0],
			pageSize: this.pageSize,
			tokensIssued: tokens.issued,
			tokens,
			companies: this.store.snapshot(),
		};
	}

	// ---- EmulatorServer -------------------------------------------------------------------------

	protected resetData(): void {
		// Called by the base class's reset(), possibly before our fields exist.
		if (!this.schema) return;
		this.store = new LnStore(this.schema, () => this.now());
		this.tokens.reset([DEFAULT_LN_CLIENT]);
		this.tenant = DEFAULT_TENANT;
		this.defaultCompany = undefined;
		this.pageSize = this.initialPageSize;
	}

	protected async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
		const segments = req.url.pathname.split('/').slice(1);
		const company = req.company;
		try {
			if (segments[0] !== this.tenant) {
				throw notFound(`The tenant '${safeDecode(segments[0] ?? '')}' is not served here; use ${this.tenant}`, 'ERROR:TenantNotFound');
			}
			if (segments[1] === 'as' && segments.length === 3) {
				if (segments[2] === ION_PATHS.ot) return this.tokens.handleToken(req);
				if (segments[2] === ION_PATHS.or) return this.tokens.handleRevoke(req);
			}
			const root = LN_ODATA_ROOT.split('/');
			if (root.every((part, i) => segments[1 + i] === part) && segments.length > 1 + root.length) {
				const denied = this.tokens.check(headerText(req.headers.authorization));
				if (denied) return denied;
				const service = safeDecode(segments[1 + root.length]);
				return handleOData(req, this.context(), service, segments.slice(2 + root.length));
			}
			throw notFound(`Nothing is served at ${req.url.pathname}`);
		} catch (error) {
			if (error instanceof LnHttpError) return error.toResponse(this.tenant, company);
			throw error;
		}
	}

	protected identify(req: EmulatorRequest): void {
		if (!req.url.pathname.includes(`/${LN_ODATA_ROOT}/`)) return;
		const header = headerText(req.headers['x-infor-lncompany']);
		req.company = header !== undefined ? (normalizeCompany(header) ?? header) : (this.defaultCompany ?? this.store.companyNames()[0]);
	}

	/** `POST token`, `GET $metadata`, `GET Activities`, `PATCH Attendees`, `GET Activities/$count`… */
	protected kindOf(entry: LoggedRequest): string {
		const path = entry.path;
		if (path.endsWith(`/as/${ION_PATHS.ot}`)) return `${entry.method} token`;
		if (path.endsWith(`/as/${ION_PATHS.or}`)) return `${entry.method} revoke`;
		const marker = `/${LN_ODATA_ROOT}/`;
		const index = path.indexOf(marker);
		if (index < 0) return `${entry.method} other`;
		const segments = path.slice(index + marker.length).split('/').slice(1).filter(Boolean);
		if (segments.length === 0) return `${entry.method} service`;
		const names = segments.map((s) => s.replace(/\([\s\S]*\)$/, ''));
		const last = names[names.length - 1];
		return `${entry.method} ${last === '$count' && names.length > 1 ? `${names[names.length - 2]}/$count` : last}`;
	}

	protected async control(req: EmulatorRequest, action: string): Promise<EmulatorResponse | undefined> {
		const body = (req.body ?? {}) as Record<string, unknown>;
		try {
			switch (`${req.method} ${action}`) {
				case 'POST seed':
					this.seed(req.body as LnSeed);
					return { status: 204 };
				case 'POST expire-tokens':
					this.expireTokens();
					return { status: 204 };
				case 'POST page-size':
					this.pageSize = positiveInteger(body.size, 'size');
					return { status: 204 };
				case 'POST update':
					return {
						status: 200,
						body: this.update(String(body.company), String(body.entitySet), body.key as LnKey, (body.changes ?? {}) as Record<string, unknown>),
					};
				case 'POST insert':
					return { status: 201, body: this.insert(String(body.company), String(body.entitySet), (body.record ?? {}) as Record<string, unknown>) };
				case 'POST remove':
					this.remove(String(body.company), String(body.entitySet), body.key as LnKey);
					return { status: 204 };
				case 'GET ionapi':
					return { status: 200, body: this.ionapi() };
				default:
					return undefined;
			}
		} catch (error) {
			const status = error instanceof LnHttpError ? error.status : 400;
			return { status, body: { error: (error as Error).message } };
		}
	}

	// ---- helpers --------------------------------------------------------------------------------

	private context(): ODataContext {
		return { schema: this.schema, store: this.store, tenant: this.tenant, baseUrl: this.url, pageSize: this.pageSize, defaultCompany: this.defaultCompany };
	}

	private companyOf(company: string | number): string {
		const normalized = normalizeCompany(company);
		if (normalized === undefined) throw new Error(`"${company}" is not an LN company number from 0 to 9999`);
		return normalized;
	}

	/** A key by logical or physical names; a bare value for single-key sets. */
	private keyOf(def: EntityDef, key: LnKey): LnRecord {
		if (typeof key !== 'object' || key === null) {
			if (def.keys.length !== 1) throw new Error(`${def.kind} has the key ${def.keys.join(', ')}; pass an object`);
			return { [def.keys[0]]: key };
		}
		return this.logicalOf(def, key);
	}

	/** Logical names win; physical names of the mapping are accepted too. */
	private logicalOf(def: EntityDef, record: Record<string, unknown>): LnRecord {
		const result: LnRecord = {};
		for (const [name, value] of Object.entries(record)) {
			if (name.startsWith('@odata.')) continue;
			const field = def.byLogical.get(name) ?? def.byPhysical.get(name);
			if (!field) throw new Error(`Unknown field "${name}" of ${def.kind}; expected one of ${[...def.byLogical.keys()].join(', ')}`);
			result[field.logical] = value;
		}
		return result;
	}
}

function exported(record: StoredRecord): Record<string, unknown> {
	return { ...record.data, '@odata.etag': record.etag };
}

function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

function headerText(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

function positiveInteger(value: unknown, name: string): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(value)}`);
	return n;
}
