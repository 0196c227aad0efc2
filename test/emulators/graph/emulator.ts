import type { Contact, Event } from '@microsoft/microsoft-graph-types';

import { EmulatorServer, sleep, type Admission, type EmulatorRequest, type EmulatorResponse } from '../common/server';
import type { LoggedRequest } from '../common/request-log';
import { AuthService, type GraphApp } from './auth';
import { parseBatch, runBatch, type BatchItem, type BatchItemResponse } from './batch';
import { ContactService, type ContactRenderOptions } from './contacts';
import { DeltaManager, type DeltaPage, type DeltaSource, type RoundScope } from './delta';
import { GraphError, badRequest, errorBody } from './errors';
import { EventService, endOf, startOf, type EventResponse, type Instance, type MeetingMessage, type RenderOptions } from './events';
import { encodeId, newGuid, parseRefString, refString } from './ids';
import { applySelect, evaluateFilter, getPath, linkWith, parsePrefer, parseQuery, sortBy, type Json, type Prefer, type Query } from './odata';
import type { Change, FolderRecord, Mailbox } from './store';
import { Store } from './store';
import { SubscriptionManager, type LifecycleEvent, type NotificationMode, type SubscriptionTarget } from './subscriptions';
import { Throttler, type ThrottlingOptions } from './throttling';
import { parseQueryInstant } from './timezones';

export type { GraphApp } from './auth';
export type { MeetingMessage } from './events';

export interface GraphSeedUser {
	/** GUID; derived from the mail address when absent. */
	id?: string;
	mail: string;
	displayName: string;
	/** The app may not access this mailbox (RBAC for Applications / access policy). */
	accessDenied?: boolean;
}

export interface SentMail {
	from: string;
	to: string[];
	subject: string;
	contentType: string;
	content: string;
	at: string;
}

export interface GraphSeed {
	/** Default: a GUID-like id; the token path also accepts the domain 'contoso.onmicrosoft.com'. */
	tenantId?: string;
	/** Default: one app with a deterministic id and secret. */
	apps?: GraphApp[];
	users: GraphSeedUser[];
	/** By mailbox mail: created as if the owner POSTed them (attendee copies appear, no notifications). */
	events?: Record<string, Event[]>;
	/** By mailbox mail; `folder` = contact folder display name (created if missing; default folder if absent). */
	contacts?: Record<string, Array<Contact & { folder?: string }>>;
}

export interface GraphEmulatorOptions {
	port?: number;
	host?: string;
	tls: { keyPath: string; certPath: string };
	tokenLifetimeSeconds?: number;
	/** Test knobs beyond the public contract (defaults are Graph's). */
	validationTimeoutMs?: number;
	notificationTimeoutMs?: number;
	notificationRetries?: number;
	notificationRetryBaseMs?: number;
	notificationFlushMs?: number;
}

const DEFAULT_PAGE = 10;
const MAX_VIEW_DAYS = 1825;
const DELTA_UNSUPPORTED = ['$select', '$expand', '$filter', '$orderby', '$search'];
const CONTACT_DELTA_UNSUPPORTED = ['$expand', '$filter', '$orderby', '$search'];
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const RESPONSES: EventResponse[] = ['accept', 'tentativelyAccept', 'decline'];

/**
 * A stateful Microsoft Graph (v1.0) and Entra ID token endpoint for tests: users, calendar events
 * (meetings, series, extended properties, calendarView and its delta), contacts, $batch,
 * subscriptions with real change notifications, and Outlook's per-mailbox throttling.
 */
export class GraphEmulator extends EmulatorServer {
	private readonly store = new Store();
	private readonly auth: AuthService;
	private readonly eventService: EventService;
	private readonly contactService: ContactService;
	private readonly deltas = new DeltaManager();
	private readonly subscriptions: SubscriptionManager;
	private readonly throttler = new Throttler();
	private readonly sentMails: SentMail[] = [];
	/** The log sequence number of each outer request (for `batchSeq` of its inner requests). */
	private readonly seqOf = new WeakMap<EmulatorRequest, number>();
	/** Requests that address mailbox data (they count against the mailbox's throttling limits). */
	private readonly mailboxRequests = new WeakSet<EmulatorRequest>();
	private lastSeq = 0;

	constructor(options: GraphEmulatorOptions) {
		super({ port: options.port, host: options.host, tls: options.tls });
		// The base class numbers a request just before calling admit(); remember the number there.
		const nextSeq = this.log.nextSeq.bind(this.log);
		this.log.nextSeq = () => (this.lastSeq = nextSeq());
		const now = (): number => this.now();
		this.auth = new AuthService(options.tokenLifetimeSeconds ?? 3599, now);
		const sink = (change: Change): void => this.subscriptions.onChange(change);
		this.eventService = new EventService(this.store, now, sink);
		this.contactService = new ContactService(this.store, now, sink);
		this.subscriptions = new SubscriptionManager(now, () => this.auth.tenantId, (target, ref, immutable) => this.idFor(target, ref, immutable), {
			validationTimeoutMs: options.validationTimeoutMs ?? 10000,
			notificationTimeoutMs: options.notificationTimeoutMs ?? 3000,
			retries: options.notificationRetries ?? 3,
			retryBaseMs: options.notificationRetryBaseMs ?? 200,
			flushDelayMs: options.notificationFlushMs ?? 50,
		});
	}

	// ---------------------------------------------------------------------------------------------
	// Public API
	// ---------------------------------------------------------------------------------------------

	/** Replaces users, mailbox data and subscriptions (tokens of apps that remain stay valid). */
	seed(seed: GraphSeed): void {
		this.store.clear();
		this.deltas.clear();
		this.subscriptions.clear();
		this.throttler.clearHistory();
		this.eventService.outbox.length = 0;
		this.sentMails.length = 0;
		this.auth.configure(seed.tenantId, seed.apps);
		for (const user of seed.users ?? []) this.store.addUser(user);
		this.eventService.silent = true;
		this.contactService.silent = true;
		try {
			for (const [mail, events] of Object.entries(seed.events ?? {})) {
				const box = this.box(mail);
				for (const event of events) this.eventService.create(box, event);
			}
			for (const [mail, contacts] of Object.entries(seed.contacts ?? {})) {
				const box = this.box(mail);
				for (const { folder: folderName, ...contact } of contacts) {
					let folder = box.folders.get(box.defaultFolderKey)!;
					if (folderName) {
						folder = this.contactService.folderByName(box, folderName) ?? this.contactService.createFolder(box, { displayName: folderName });
					}
					this.contactService.create(box, folder, contact);
				}
			}
		} finally {
			this.eventService.silent = false;
			this.contactService.silent = false;
		}
	}

	get tenantId(): string {
		return this.auth.tenantId;
	}

	get app(): GraphApp {
		return { ...this.auth.apps[0] };
	}

	get loginUrl(): string {
		return this.url;
	}

	get graphBaseUrl(): string {
		return `${this.url}/v1.0`;
	}

	/** Every stored item of the calendar (singles, series masters, exceptions), immutable ids, UTC, all extended properties. */
	events(mailbox: string): Event[] {
		const box = this.box(mailbox);
		return this.eventService.stored(box).map((inst) => this.eventService.toEvent(box, inst, directOptions()));
	}

	/** Contacts of one folder (by display name; "Contacts" = the default folder), or of all folders. */
	contacts(mailbox: string, folderName?: string): Contact[] {
		const box = this.box(mailbox);
		let folders = [...box.folders.values()];
		if (folderName !== undefined) {
			const folder = folderName.toLowerCase() === 'contacts' ? box.folders.get(box.defaultFolderKey) : this.contactService.folderByName(box, folderName);
			if (!folder) throw new Error(`No contact folder "${folderName}" in ${mailbox}`);
			folders = [folder];
		}
		return folders.flatMap((f) => this.contactService.list(box, f)).sort((a, b) => a.seq - b.seq).map((c) => this.contactService.toContact(box, c));
	}

	/** The occurrences and exceptions of a series in [from, to) (immutable ids, UTC), as …/instances gives them. */
	occurrences(mailbox: string, masterId: string, from: number, to: number): Event[] {
		const box = this.box(mailbox);
		const master = this.eventService.resolve(box, masterId);
		if (master.kind !== 'record' || master.record.type !== 'seriesMaster') throw new Error(`${masterId} is not a series master in ${mailbox}`);
		return this.eventService.view(box, from, to, master.record).map((inst) => this.eventService.toEvent(box, inst, directOptions()));
	}

	createEvent(mailbox: string, event: Event): Event {
		const box = this.box(mailbox);
		const { instance } = this.eventService.create(box, event);
		return this.eventService.toEvent(box, instance, directOptions());
	}

	updateEvent(mailbox: string, id: string, changes: Partial<Event>): Event {
		const box = this.box(mailbox);
		const instance = this.eventService.update(box, id, changes);
		return this.eventService.toEvent(box, instance, directOptions());
	}

	deleteEvent(mailbox: string, id: string): void {
		this.eventService.remove(this.box(mailbox), id);
	}

	/** Mails sent with `sendMail` since the seed. */
	mails(): SentMail[] {
		return this.sentMails.map((m) => ({ ...m, to: [...m.to] }));
	}

	/** Every meeting request, update, cancellation and response Exchange would have sent since the seed (from `seq` on). */
	messages(sinceSeq = 0): MeetingMessage[] {
		return this.eventService.outbox.filter((m) => m.seq > sinceSeq).map((m) => ({ ...m }));
	}

	respond(mailbox: string, id: string, response: EventResponse): void {
		if (!RESPONSES.includes(response)) throw new Error(`Unknown response "${response}"`);
		this.eventService.respond(this.box(mailbox), id, response, {});
	}

	expireTokens(): void {
		this.auth.expireAll();
	}

	/** Every access token this emulator issued. */
	issuedTokens(): string[] {
		return this.auth.issuedTokens();
	}

	/** The next delta call with an older token (or skip token) answers 410 SyncStateNotFound. */
	expireDeltaTokens(mailbox?: string): void {
		const boxes = mailbox ? [this.box(mailbox)] : this.store.allMailboxes();
		for (const box of boxes) box.deltaGeneration++;
	}

	fireLifecycle(subscriptionId: string, event: LifecycleEvent): Promise<void> {
		return this.subscriptions.fireLifecycle(subscriptionId, event);
	}

	flushNotifications(): Promise<void> {
		return this.subscriptions.flush();
	}

	notificationDeliveries(): Array<{ url: string; notifications: number; status: number; ms: number; at: string }> {
		return this.subscriptions.deliveries();
	}

	setThrottling(options: ThrottlingOptions): void {
		this.throttler.configure(options);
	}

	setNotificationMode(options: NotificationMode): void {
		this.subscriptions.setMode(options);
	}

	state(): unknown {
		return {
			tenantId: this.auth.tenantId,
			apps: this.auth.apps.map((a) => ({ clientId: a.clientId })),
			tokensIssued: this.auth.issued,
			activeTokens: this.auth.activeTokens(),
			users: this.store.allMailboxes().map((box) => ({
				id: box.user.id,
				mail: box.user.mail,
				displayName: box.user.displayName,
				accessDenied: box.user.accessDenied,
				events: [...box.events.values()].filter((e) => e.type !== 'exception').length,
				contacts: box.contacts.size,
				contactFolders: box.folders.size - 1,
				deltaGeneration: box.deltaGeneration,
			})),
			subscriptions: this.subscriptions.all().map((s) => this.subscriptions.render(s)),
			pendingNotifications: this.subscriptions.pendingCount(),
			droppedNotifications: this.subscriptions.dropped,
			deliveries: this.subscriptions.deliveries().length,
			throttling: this.throttler.state(),
		};
	}

	async start(): Promise<string> {
		this.subscriptions.resume();
		return super.start();
	}

	/** Also stops notification deliveries (pending ones are dropped, running ones aborted). */
	async stop(): Promise<void> {
		this.subscriptions.stop();
		await super.stop();
	}

	// ---------------------------------------------------------------------------------------------
	// Base class hooks
	// ---------------------------------------------------------------------------------------------

	protected resetData(): void {
		this.store.clear();
		this.auth.reset();
		this.deltas.clear();
		this.subscriptions.clear();
		this.throttler.reset();
	}

	protected identify(req: EmulatorRequest): void {
		const segs = req.path.split('/').filter(Boolean);
		if (segs[0] !== 'v1.0') return;
		if (segs[1]?.toLowerCase() === 'users' && segs[2]) {
			const user = this.store.findUser(segs[2]);
			req.mailbox = user?.mailLower ?? segs[2].toLowerCase();
			if (segs.length > 3 && user) this.mailboxRequests.add(req);
		} else if (segs[1] === 'subscriptions') {
			if (segs[2]) {
				req.mailbox = this.subscriptions.mailboxOf(segs[2]);
			} else if (req.method === 'POST') {
				const resource = (req.body as { resource?: unknown } | undefined)?.resource;
				const who = typeof resource === 'string' ? /^\/?users\/([^/]+)/i.exec(resource)?.[1] : undefined;
				if (who) req.mailbox = this.store.findUser(who)?.mailLower ?? who.toLowerCase();
			}
		}
	}

	protected admit(req: EmulatorRequest): Admission {
		this.seqOf.set(req, this.lastSeq);
		if (!req.mailbox || !this.mailboxRequests.has(req)) return {};
		const decision = this.throttler.admit(req.mailbox, this.now(), labelOf(req.path));
		if (decision.reject) {
			const requestId = newGuid();
			return {
				reject: {
					status: 429,
					headers: {
						'Retry-After': String(decision.reject.retryAfterSeconds),
						'request-id': requestId,
						'client-request-id': headerOf(req, 'client-request-id') ?? requestId,
						'content-type': JSON_TYPE,
					},
					body: { error: { code: 'ApplicationThrottled', message: decision.reject.message } },
				},
			};
		}
		return { release: decision.release };
	}

	protected kindOf(entry: LoggedRequest): string {
		return `${entry.method} ${labelOf(entry.path)}`;
	}

	protected async control(req: EmulatorRequest, action: string): Promise<EmulatorResponse | undefined> {
		const body = (req.body ?? {}) as Record<string, unknown>;
		const [verb, ...rest] = action.split('/');
		try {
			switch (`${req.method} ${verb}`) {
				case 'POST seed':
					this.seed(req.body as GraphSeed);
					return { status: 204 };
				case 'POST expire-tokens':
					this.expireTokens();
					return { status: 204 };
				case 'POST expire-delta':
					this.expireDeltaTokens(typeof body.mailbox === 'string' ? body.mailbox : undefined);
					return { status: 204 };
				case 'POST lifecycle':
					await this.fireLifecycle(String(body.subscriptionId), body.event as LifecycleEvent);
					return { status: 204 };
				case 'POST respond':
					this.respond(String(body.mailbox), String(body.id), body.response as EventResponse);
					return { status: 204 };
				case 'GET events':
					return { status: 200, body: { value: this.events(rest[0]) } };
				case 'POST events':
					return { status: 201, body: this.createEvent(rest[0], req.body as Event) };
				case 'PATCH events':
					return { status: 200, body: this.updateEvent(rest[0], rest[1], req.body as Partial<Event>) };
				case 'DELETE events':
					this.deleteEvent(rest[0], rest[1]);
					return { status: 204 };
				case 'GET contacts':
					return { status: 200, body: { value: this.contacts(rest[0], req.url.searchParams.get('folder') ?? undefined) } };
				case 'POST throttling':
					this.setThrottling(body as ThrottlingOptions);
					return { status: 204 };
				case 'POST notifications':
					this.setNotificationMode(body as NotificationMode);
					return { status: 204 };
				case 'POST flush':
					await this.flushNotifications();
					return { status: 204 };
				case 'GET deliveries':
					return { status: 200, body: { value: this.notificationDeliveries() } };
				default:
					return undefined;
			}
		} catch (error) {
			if (error instanceof GraphError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
			return { status: 400, body: { error: { code: 'ControlError', message: (error as Error).message } } };
		}
	}

	protected async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
		const requestId = newGuid();
		const clientRequestId = headerOf(req, 'client-request-id') ?? requestId;
		const prefer = parsePrefer(req.headers);
		const isGraph = req.path.startsWith('/v1.0');
		let response: EmulatorResponse;
		try {
			response = await this.route(req, prefer);
		} catch (error) {
			const e = error instanceof GraphError ? error : new GraphError(500, 'InternalServerError', String((error as Error)?.stack ?? error));
			response = { status: e.status, headers: { ...e.headers }, body: errorBody(e, requestId, clientRequestId, new Date(this.now()).toISOString().replace(/\.\d+Z$/, '')) };
		}
		const headers: Record<string, string> = { ...(response.headers ?? {}), 'request-id': requestId, 'client-request-id': clientRequestId };
		if (isGraph) {
			headers['OData-Version'] = '4.0';
			if (response.body !== undefined && typeof response.body === 'object' && !hasHeader(headers, 'content-type')) headers['content-type'] = JSON_TYPE;
			if (prefer.applied.length) headers['Preference-Applied'] = prefer.applied.join(', ');
		}
		return { ...response, headers };
	}

	// ---------------------------------------------------------------------------------------------
	// Routing
	// ---------------------------------------------------------------------------------------------

	private async route(req: EmulatorRequest, prefer: Prefer): Promise<EmulatorResponse> {
		const segs = req.path.split('/').filter(Boolean);
		if (segs.length === 4 && segs[1] === 'oauth2' && segs[2] === 'v2.0' && segs[3] === 'token') {
			if (req.method !== 'POST') throw new GraphError(405, 'MethodNotAllowed', 'The token endpoint only accepts POST.');
			return this.auth.token(req, segs[0]);
		}
		if (segs[0] !== 'v1.0') throw new GraphError(404, 'NotFound', `No such endpoint: ${req.path}`);
		const app = this.auth.authenticate(headerOf(req, 'authorization'));
		const [first, ...rest] = segs.slice(1);
		switch (first) {
			case 'users':
				if (rest.length === 0) return this.listUsers(req);
				if (rest.length === 1) return this.getUser(req, rest[0]);
				return this.mailboxRoute(req, rest[0], rest.slice(1), prefer);
			case '$batch':
				if (req.method !== 'POST') throw notAllowed(req);
				return this.batch(req);
			case 'subscriptions':
				return this.subscriptionRoute(req, rest, app, prefer);
			default:
				throw badRequest(`Resource not found for the segment '${first ?? ''}'.`);
		}
	}

	private async mailboxRoute(req: EmulatorRequest, who: string, path: string[], prefer: Prefer): Promise<EmulatorResponse> {
		const box = this.mailboxFor(who);
		let p = path;
		if (p[0] === 'calendar' && (p[1] === 'events' || p[1] === 'calendarView')) p = p.slice(1);
		const m = req.method;
		switch (p[0]) {
			case 'calendar':
				if (p.length === 1 && m === 'GET') return this.ok(this.renderCalendar(box, prefer));
				break;
			case 'events':
				if (p.length === 1) {
					if (m === 'GET') return this.listEvents(req, who, box, prefer);
					if (m === 'POST') return this.createEventRoute(req, box, prefer);
				} else if (p.length === 2) {
					if (m === 'GET') return this.getEvent(req, who, box, p[1], prefer);
					if (m === 'PATCH') {
						const inst = this.eventService.update(box, p[1], requireJson(req));
						return this.ok(this.eventService.render(box, inst, renderOptions(prefer)));
					}
					if (m === 'DELETE') {
						this.eventService.remove(box, p[1]);
						return { status: 204 };
					}
				} else if (p.length === 3) {
					if (p[2] === 'instances' && m === 'GET') return this.instances(req, who, box, p[1], prefer);
					if (m === 'POST' && p[2] === 'cancel') {
						this.eventService.cancel(box, p[1]);
						return { status: 202 };
					}
					if (m === 'POST' && RESPONSES.includes(p[2] as EventResponse)) {
						this.eventService.respond(box, p[1], p[2] as EventResponse, req.body);
						return { status: 202 };
					}
				}
				break;
			case 'calendarView':
				if (p.length === 1 && m === 'GET') return this.calendarView(req, who, box, prefer);
				if (p.length === 2 && p[1] === 'delta' && m === 'GET') return this.eventDelta(req, who, box, prefer);
				break;
			case 'contactFolders':
				if (p.length === 1) {
					if (m === 'GET') return this.listFolders(req, who, box, prefer);
					if (m === 'POST') return this.created(this.contactService.renderFolder(box, this.contactService.createFolder(box, requireJson(req)), { immutable: prefer.immutableId }));
				} else if (p.length === 2) {
					if (m === 'GET') {
						const query = parseQuery(req.url.searchParams);
						return this.ok(applySelect(this.contactService.renderFolder(box, this.contactService.folder(box, p[1]), contactOptions(prefer, query)), query.select));
					}
					if (m === 'PATCH') return this.ok(this.contactService.renderFolder(box, this.contactService.updateFolder(box, p[1], requireJson(req)), { immutable: prefer.immutableId }));
					if (m === 'DELETE') {
						this.contactService.deleteFolder(box, p[1]);
						return { status: 204 };
					}
				} else if (p[2] === 'contacts') {
					const folder = this.contactService.folder(box, p[1]);
					if (p.length === 3) {
						if (m === 'GET') return this.listContacts(req, who, box, folder, prefer);
						if (m === 'POST') return this.created(this.contactService.render(box, this.contactService.create(box, folder, requireJson(req)), { immutable: prefer.immutableId }));
					} else if (p.length === 4 && p[3] === 'delta') {
						if (m === 'GET') return this.contactDelta(req, who, box, folder, prefer);
					} else if (p.length === 4) {
						return this.contactItem(req, box, p[3], folder, prefer);
					}
				}
				break;
			case 'contacts': {
				const folder = box.folders.get(box.defaultFolderKey)!;
				if (p.length === 1) {
					if (m === 'GET') return this.listContacts(req, who, box, folder, prefer);
					if (m === 'POST') return this.created(this.contactService.render(box, this.contactService.create(box, folder, requireJson(req)), { immutable: prefer.immutableId }));
				} else if (p.length === 2 && p[1] === 'delta') {
					if (m === 'GET') return this.contactDelta(req, who, box, folder, prefer);
				} else if (p.length === 2) {
					return this.contactItem(req, box, p[1], undefined, prefer);
				}
				break;
			}
			case 'sendMail':
				if (p.length === 1 && m === 'POST') return this.sendMail(req, box);
				break;
			default:
				throw badRequest(`Resource not found for the segment '${p[0] ?? ''}'.`);
		}
		throw notAllowed(req);
	}

	/** `POST /users/{id}/sendMail`: 202 and nothing else, as Graph answers; the mail is kept for tests. */
	private sendMail(req: EmulatorRequest, box: Mailbox): EmulatorResponse {
		const body = requireJson(req) as { message?: { subject?: string; body?: { contentType?: string; content?: string }; toRecipients?: Array<{ emailAddress?: { address?: string } }> } };
		const message = body.message;
		if (!message) throw badRequest("Empty Payload. JSON content expected: 'message' is missing.");
		const to = (message.toRecipients ?? []).map((r) => r.emailAddress?.address ?? '').filter(Boolean);
		if (to.length === 0) throw new GraphError(400, 'ErrorInvalidRecipients', 'At least one recipient isn\'t valid., A message can\'t be sent because it contains no recipients.');
		this.sentMails.push({ from: box.user.mail, to, subject: message.subject ?? '', contentType: message.body?.contentType ?? 'Text', content: message.body?.content ?? '', at: new Date(this.now()).toISOString() });
		return { status: 202 };
	}

	/** Only seeded mailboxes exist; an app without access gets ErrorAccessDenied. */
	private mailboxFor(who: string): Mailbox {
		const user = this.store.findUser(who);
		if (!user) throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${who}' is invalid.`);
		if (user.accessDenied) throw new GraphError(403, 'ErrorAccessDenied', 'Access to OData is disabled.');
		return this.store.mailbox(user.mailLower);
	}

	private box(mail: string): Mailbox {
		const user = this.store.findUser(mail);
		if (!user) throw new Error(`Unknown mailbox ${mail}`);
		return this.store.mailbox(user.mailLower);
	}

	private ok(body: unknown): EmulatorResponse {
		return { status: 200, body };
	}

	private created(body: unknown): EmulatorResponse {
		return { status: 201, body };
	}

	private context(who: string, rest: string): string {
		return `${this.graphBaseUrl}/$metadata#users('${encodeURIComponent(who)}')/${rest}`;
	}

	/** A page of a collection with `$orderby`, `$skip`, `$top` (or the page size) and `$select`. */
	private page(req: EmulatorRequest, items: Json[], query: Query, pageSize: number, context: string, extraKnown: string[] = []): EmulatorResponse {
		return this.pageOf(req, items, (item) => item, query, pageSize, context, extraKnown);
	}

	/** A page of stored items, rendering only the page's items when no `$orderby` needs them all rendered. */
	private pageOf<T>(req: EmulatorRequest, items: T[], render: (item: T) => Json, query: Query, pageSize: number, context: string, extraKnown: string[] = []): EmulatorResponse {
		const skip = query.skip ?? 0;
		const top = query.top ?? pageSize;
		const rendered = query.orderby?.length ? sortBy(items.map(render), query.orderby) : undefined;
		const slice = rendered ? rendered.slice(skip, skip + top) : items.slice(skip, skip + top).map(render);
		const sample = rendered?.[0] ?? slice[0] ?? (items.length ? render(items[0]) : undefined);
		const known = query.select && sample ? new Set([...Object.keys(sample), ...extraKnown].map((k) => k.toLowerCase())) : undefined;
		const value = slice.map((item) => applySelect(item, query.select, known));
		const body: Json = { '@odata.context': context, value };
		if (skip + top < items.length && top > 0) {
			body['@odata.nextLink'] = linkWith(this.url, req.url.pathname, req.url.searchParams, { $skip: String(skip + top), $top: query.top !== undefined ? String(top) : undefined });
		}
		return { status: 200, body };
	}

	// ---------------------------------------------------------------------------------------------
	// Users
	// ---------------------------------------------------------------------------------------------

	private renderUser(user: { id: string; mail: string; displayName: string }): Json {
		return {
			businessPhones: [],
			displayName: user.displayName,
			givenName: null,
			jobTitle: null,
			mail: user.mail,
			mobilePhone: null,
			officeLocation: null,
			preferredLanguage: null,
			surname: null,
			userPrincipalName: user.mail,
			id: user.id,
		};
	}

	private listUsers(req: EmulatorRequest): EmulatorResponse {
		if (req.method !== 'GET') throw notAllowed(req);
		const params = req.url.searchParams;
		const query = parseQuery(params, 999);
		let users = this.store.allUsers().map((u) => this.renderUser(u));
		if (query.filter) {
			const filter = query.filter;
			users = users.filter((u) => this.filterUser(u, filter));
		}
		// Directory paging uses an opaque $skiptoken.
		const offset = query.skiptoken ? Number(Buffer.from(query.skiptoken, 'base64url').toString()) || 0 : 0;
		const top = query.top ?? 100;
		const slice = users.slice(offset, offset + top);
		const body: Json = {
			'@odata.context': `${this.graphBaseUrl}/$metadata#users`,
			value: slice.map((u) => applySelect(u, query.select)),
		};
		if (offset + top < users.length) {
			body['@odata.nextLink'] = linkWith(this.url, req.url.pathname, params, { $skiptoken: Buffer.from(String(offset + top)).toString('base64url') });
		}
		return this.ok(body);
	}

	private filterUser(user: Json, filter: NonNullable<Query['filter']>): boolean {
		return evaluateFilter(filter, user, { resolve: getPath });
	}

	private getUser(req: EmulatorRequest, who: string): EmulatorResponse {
		if (req.method !== 'GET') throw notAllowed(req);
		const user = this.store.findUser(who);
		if (!user) {
			throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${who}' does not exist or one of its queried reference-property objects are not present.`);
		}
		const query = parseQuery(req.url.searchParams);
		return this.ok({ '@odata.context': `${this.graphBaseUrl}/$metadata#users/$entity`, ...applySelect(this.renderUser(user), query.select) });
	}

	// ---------------------------------------------------------------------------------------------
	// Events
	// ---------------------------------------------------------------------------------------------

	private renderCalendar(box: Mailbox, prefer: Prefer): Json {
		return {
			id: encodeId({ kind: 'folder', key: box.calendarKey }, box.user.tag, prefer.immutableId),
			name: 'Calendar',
			color: 'auto',
			hexColor: '',
			isDefaultCalendar: true,
			changeKey: 'AAAAAA==',
			canShare: true,
			canViewPrivateItems: true,
			canEdit: true,
			allowedOnlineMeetingProviders: ['teamsForBusiness'],
			defaultOnlineMeetingProvider: 'teamsForBusiness',
			isTallyingResponses: true,
			isRemovable: false,
			owner: { name: box.user.displayName, address: box.user.mail },
		};
	}

	private createEventRoute(req: EmulatorRequest, box: Mailbox, prefer: Prefer): EmulatorResponse {
		const { instance } = this.eventService.create(box, requireJson(req));
		return this.created(this.eventService.render(box, instance, renderOptions(prefer)));
	}

	private getEvent(req: EmulatorRequest, who: string, box: Mailbox, id: string, prefer: Prefer): EmulatorResponse {
		const query = parseQuery(req.url.searchParams);
		const inst = this.eventService.resolve(box, id);
		const item = this.eventService.render(box, inst, renderOptions(prefer, query));
		const known = new Set([...Object.keys(item), 'originalStart', 'singleValueExtendedProperties'].map((k) => k.toLowerCase()));
		return this.ok({ '@odata.context': this.context(who, 'events/$entity'), ...applySelect(item, query.select, known, 'microsoft.graph.event') });
	}

	private listEvents(req: EmulatorRequest, who: string, box: Mailbox, prefer: Prefer): EmulatorResponse {
		const query = parseQuery(req.url.searchParams);
		if (query.search !== undefined) throw badRequest('$search is not supported on events.', 'ErrorInvalidUrlQuery');
		const opts = renderOptions(prefer, query);
		return this.page(req, this.renderInstances(box, this.eventService.list(box), query, opts), query, prefer.maxPageSize ?? DEFAULT_PAGE, this.context(who, 'events'), ['originalStart', 'singleValueExtendedProperties']);
	}

	private renderInstances(box: Mailbox, instances: Instance[], query: Query, opts: RenderOptions): Json[] {
		const filter = query.filter;
		const kept = filter ? instances.filter((i) => this.eventService.matches(box, i, filter, opts)) : instances;
		return kept.map((i) => this.eventService.render(box, i, opts));
	}

	private window(req: EmulatorRequest): { start: number; end: number } {
		const get = (name: string): string | null => {
			for (const [k, v] of req.url.searchParams) if (k.toLowerCase() === name) return v;
			return null;
		};
		const startText = get('startdatetime');
		const endText = get('enddatetime');
		if (!startText || !endText) {
			throw new GraphError(400, 'ErrorInvalidParameter', 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.');
		}
		const start = parseQueryInstant(startText);
		const end = parseQueryInstant(endText);
		if (start === undefined || end === undefined) {
			throw new GraphError(400, 'ErrorInvalidParameter', `The value '${start === undefined ? startText : endText}' of parameter '${start === undefined ? 'StartDateTime' : 'EndDateTime'}' is invalid.`);
		}
		if (end < start) throw new GraphError(400, 'ErrorInvalidParameter', 'The EndDateTime must be later than the StartDateTime.');
		if (end - start > MAX_VIEW_DAYS * 86400000) {
			throw new GraphError(400, 'ErrorInvalidParameter', `The time range between StartDateTime and EndDateTime can be at most ${MAX_VIEW_DAYS} days.`);
		}
		return { start, end };
	}

	private calendarView(req: EmulatorRequest, who: string, box: Mailbox, prefer: Prefer): EmulatorResponse {
		const { start, end } = this.window(req);
		const query = parseQuery(req.url.searchParams);
		const opts = renderOptions(prefer, query);
		const items = this.renderInstances(box, this.eventService.view(box, start, end), query, opts);
		return this.page(req, items, query, prefer.maxPageSize ?? DEFAULT_PAGE, this.context(who, 'calendarView'), ['originalStart', 'singleValueExtendedProperties']);
	}

	private instances(req: EmulatorRequest, who: string, box: Mailbox, id: string, prefer: Prefer): EmulatorResponse {
		const inst = this.eventService.resolve(box, id);
		if (inst.kind !== 'record' || inst.record.type !== 'seriesMaster') {
			throw new GraphError(400, 'ErrorInvalidRequest', 'The instances of an event can only be listed for a series master.');
		}
		const { start, end } = this.window(req);
		const query = parseQuery(req.url.searchParams);
		const opts = renderOptions(prefer, query);
		const items = this.renderInstances(box, this.eventService.view(box, start, end, inst.record), query, opts);
		return this.page(req, items, query, prefer.maxPageSize ?? DEFAULT_PAGE, this.context(who, `events('${id}')/instances`), ['originalStart']);
	}

	private eventDelta(req: EmulatorRequest, who: string, box: Mailbox, prefer: Prefer): EmulatorResponse {
		const query = parseQuery(req.url.searchParams);
		const unsupported = DELTA_UNSUPPORTED.filter((o) => query.present.has(o));
		if (unsupported.length) {
			throw new GraphError(400, 'ErrorInvalidUrlQuery', `The following parameters are not supported with change tracking over the 'Events' resource: '${unsupported.join(', ')}'.`);
		}
		const opts = renderOptions(prefer);
		const pageSize = Math.min(prefer.maxPageSize ?? DEFAULT_PAGE, 1000);
		const sourceFor = (scope: RoundScope): DeltaSource => this.eventDeltaSource(box, scope, opts);
		return this.deltaResponse(req, who, box, query, 'events', pageSize, sourceFor, () => {
			const { start, end } = this.window(req);
			const params = new URLSearchParams({ startDateTime: new Date(start).toISOString(), endDateTime: new Date(end).toISOString() });
			return { windowStart: start, windowEnd: end, restart: `${req.url.pathname}?${params}` };
		}, 'calendarView');
	}

	private eventDeltaSource(box: Mailbox, scope: RoundScope, opts: RenderOptions): DeltaSource {
		const svc = this.eventService;
		const inWindow = (inst: Instance): boolean => {
			const s = startOf(inst);
			const e = endOf(inst);
			return s < scope.windowEnd! && (e > scope.windowStart! || (s >= scope.windowStart! && s === e));
		};
		return {
			snapshot: () => new Map(svc.view(box, scope.windowStart!, scope.windowEnd!).map((i) => [refString(svc.refOf(i)), svc.etagOf(i)])),
			exists: (ref) => !!svc.resolveRef(box, parseRefString(ref)),
			render: (ref) => {
				const inst = svc.resolveRef(box, parseRefString(ref));
				if (!inst || !inWindow(inst)) return undefined;
				if (inst.kind === 'occurrence') return svc.renderMinimal(box, inst, opts);
				return { '@odata.type': '#microsoft.graph.event', ...svc.render(box, inst, opts) };
			},
			idOf: (ref) => svc.idOf(box, parseRefString(ref), opts.immutable),
		};
	}

	/** The three kinds of delta request: initial, nextLink ($skiptoken), deltaLink ($deltatoken). */
	private deltaResponse(
		req: EmulatorRequest,
		who: string,
		box: Mailbox,
		query: Query,
		kind: 'events' | 'contacts',
		pageSize: number,
		sourceFor: (scope: RoundScope) => DeltaSource,
		initialScope: () => Partial<RoundScope> & { restart: string },
		contextPath: string,
	): EmulatorResponse {
		let page: DeltaPage;
		const gone = (scope?: RoundScope): GraphError =>
			new GraphError(410, 'SyncStateNotFound', 'The sync state generation is not found. Start over with a new delta round (no deltaToken/skipToken).', {
				Location: `${this.url}${scope?.restart ?? req.url.pathname}`,
			});
		const valid = (scope: RoundScope): boolean => scope.kind === kind && scope.mailbox === box.user.mailLower && scope.generation === box.deltaGeneration;
		if (query.deltatoken !== undefined) {
			const found = this.deltas.lookupDelta(query.deltatoken);
			if (!found.ok || !valid(found.scope)) throw gone(found.ok ? found.scope : undefined);
			page = this.deltas.changes(found.state, sourceFor(found.scope), pageSize);
		} else if (query.skiptoken !== undefined) {
			const found = this.deltas.lookupPage(query.skiptoken);
			if (!found.ok || !valid(found.scope)) throw gone(found.ok ? found.scope : undefined);
			page = this.deltas.nextPage(found.state, sourceFor(found.scope));
		} else {
			const scope: RoundScope = { kind, mailbox: box.user.mailLower, generation: box.deltaGeneration, ...initialScope() };
			page = this.deltas.initial(scope, sourceFor(scope), pageSize);
		}
		const body: Json = { '@odata.context': this.context(who, `${contextPath}/$delta`), value: page.value };
		if (page.skipToken) body['@odata.nextLink'] = `${this.url}${req.url.pathname}?$skiptoken=${page.skipToken}`;
		if (page.deltaToken) body['@odata.deltaLink'] = `${this.url}${req.url.pathname}?$deltatoken=${page.deltaToken}`;
		return this.ok(body);
	}

	// ---------------------------------------------------------------------------------------------
	// Contacts
	// ---------------------------------------------------------------------------------------------

	private listFolders(req: EmulatorRequest, who: string, box: Mailbox, prefer: Prefer): EmulatorResponse {
		const query = parseQuery(req.url.searchParams);
		const opts = contactOptions(prefer, query);
		const filter = query.filter;
		const folders = this.contactService.listFolders(box).filter((f) => !filter || this.contactService.folderMatches(box, f, filter, opts));
		return this.page(req, folders.map((f) => this.contactService.renderFolder(box, f, opts)), query, prefer.maxPageSize ?? DEFAULT_PAGE, this.context(who, 'contactFolders'), ['singleValueExtendedProperties']);
	}

	private listContacts(req: EmulatorRequest, who: string, box: Mailbox, folder: FolderRecord, prefer: Prefer): EmulatorResponse {
		const query = parseQuery(req.url.searchParams);
		const opts = contactOptions(prefer, query);
		const filter = query.filter;
		const contacts = this.contactService.list(box, folder).filter((c) => !filter || this.contactService.matches(box, c, filter, opts));
		return this.pageOf(req, contacts, (c) => this.contactService.render(box, c, opts), query, prefer.maxPageSize ?? DEFAULT_PAGE, this.context(who, 'contacts'), ['singleValueExtendedProperties']);
	}

	private contactItem(req: EmulatorRequest, box: Mailbox, id: string, folder: FolderRecord | undefined, prefer: Prefer): EmulatorResponse {
		const contact = this.contactService.contact(box, id, folder);
		switch (req.method) {
			case 'GET': {
				const query = parseQuery(req.url.searchParams);
				const item = this.contactService.render(box, contact, contactOptions(prefer, query));
				const known = new Set([...Object.keys(item), 'singleValueExtendedProperties'].map((k) => k.toLowerCase()));
				return this.ok(applySelect(item, query.select, known, 'microsoft.graph.contact'));
			}
			case 'PATCH':
				return this.ok(this.contactService.render(box, this.contactService.update(box, contact, requireJson(req)), { immutable: prefer.immutableId }));
			case 'DELETE':
				this.contactService.remove(box, contact);
				return { status: 204 };
			default:
				throw notAllowed(req);
		}
	}

	private contactDelta(req: EmulatorRequest, who: string, box: Mailbox, folder: FolderRecord, prefer: Prefer): EmulatorResponse {
		const query = parseQuery(req.url.searchParams);
		const unsupported = CONTACT_DELTA_UNSUPPORTED.filter((o) => query.present.has(o));
		if (unsupported.length) {
			throw new GraphError(400, 'ErrorInvalidUrlQuery', `The following parameters are not supported with change tracking over the 'Contacts' resource: '${unsupported.join(', ')}'.`);
		}
		const svc = this.contactService;
		const pageSize = Math.min(prefer.maxPageSize ?? DEFAULT_PAGE, 1000);
		const sourceFor = (scope: RoundScope): DeltaSource => ({
			snapshot: () => new Map(svc.list(box, box.folders.get(scope.folderKey!) ?? folder).map((c) => [refString({ kind: 'contact', key: c.key }), c.changeKey])),
			exists: (ref) => !!svc.contactByRef(box, parseRefString(ref)),
			render: (ref) => {
				const contact = svc.contactByRef(box, parseRefString(ref));
				if (!contact || contact.folderKey !== scope.folderKey) return undefined;
				return { '@odata.type': '#microsoft.graph.contact', ...applySelect(svc.render(box, contact, { immutable: prefer.immutableId }), scope.select) };
			},
			idOf: (ref) => svc.contactId(box, parseRefString(ref).key, prefer.immutableId),
		});
		return this.deltaResponse(req, who, box, query, 'contacts', pageSize, sourceFor, () => ({
			folderKey: folder.key,
			select: query.select,
			restart: `${req.url.pathname}${query.select ? `?$select=${query.select.join(',')}` : ''}`,
		}), 'contacts');
	}

	// ---------------------------------------------------------------------------------------------
	// $batch
	// ---------------------------------------------------------------------------------------------

	private async batch(req: EmulatorRequest): Promise<EmulatorResponse> {
		const items = parseBatch(req.body);
		const outerSeq = this.seqOf.get(req);
		const responses = await runBatch(items, (item) => this.runInner(item, req, outerSeq));
		return this.ok({ responses });
	}

	/** One inner request, through the same identification, faults, throttling, routing and log as a direct call. */
	private async runInner(item: BatchItem, outer: EmulatorRequest, outerSeq: number | undefined): Promise<BatchItemResponse> {
		const startedAt = Date.now();
		if (/^[a-z]+:\/\//i.test(item.url)) {
			return innerResponse(item.id, { status: 400, body: { error: { code: 'BadRequest', message: 'Batch request URLs must be relative.' } } });
		}
		const relative = item.url.startsWith('/') ? item.url : `/${item.url}`;
		if (/^\/\$batch(\?|$)/i.test(relative)) {
			return innerResponse(item.id, { status: 400, body: { error: { code: 'BadRequest', message: 'Nested batch requests are not supported.' } } });
		}
		const url = new URL(`/v1.0${relative}`, this.url);
		let path = url.pathname;
		try {
			path = decodeURIComponent(url.pathname);
		} catch {
			// keep the raw path
		}
		const headers: Record<string, string> = { ...(item.headers ?? {}) };
		if (outer.headers.authorization) headers.authorization = String(outer.headers.authorization);
		const body = item.body;
		const inner: EmulatorRequest = {
			method: item.method,
			url,
			path,
			headers,
			rawBody: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
			body: typeof body === 'string' ? safeJson(body) : body,
		};
		this.identify(inner);
		const entry: LoggedRequest = {
			seq: this.log.nextSeq(),
			method: inner.method,
			path: inner.path,
			query: url.search,
			mailbox: inner.mailbox,
			status: 0,
			startedAt,
			durationMs: 0,
			batchSeq: outerSeq,
		};
		const admission = this.admit(inner);
		try {
			const decision = this.faults.decide({ method: inner.method, path: `${inner.path}${url.search}`, mailbox: inner.mailbox });
			if (decision.latencyMs > 0) await sleep(decision.latencyMs);
			let response: EmulatorResponse;
			if (admission.reject) {
				response = admission.reject;
			} else if (decision.fault?.kind === 'status') {
				entry.fault = `status ${decision.fault.status}`;
				response = {
					status: decision.fault.status!,
					headers: decision.fault.headers,
					body: decision.fault.body ?? { error: { code: 'InjectedFault', message: `Injected ${decision.fault.status}` } },
				};
			} else if (decision.fault?.kind === 'reset') {
				// An inner request cannot lose its connection; the gateway reports a timeout instead.
				entry.fault = 'reset';
				response = gatewayTimeout();
			} else {
				response = await this.handle(inner);
				if (decision.fault?.kind === 'lostResponse') {
					entry.fault = 'lostResponse';
					response = gatewayTimeout();
				}
			}
			entry.status = response.status;
			return innerResponse(item.id, response);
		} finally {
			entry.durationMs = Date.now() - startedAt;
			this.log.add(entry);
			admission.release?.();
		}
	}

	// ---------------------------------------------------------------------------------------------
	// Subscriptions
	// ---------------------------------------------------------------------------------------------

	private async subscriptionRoute(req: EmulatorRequest, rest: string[], app: GraphApp, prefer: Prefer): Promise<EmulatorResponse> {
		const svc = this.subscriptions;
		const context = `${this.graphBaseUrl}/$metadata#subscriptions`;
		if (rest.length === 0) {
			if (req.method === 'GET') return this.ok({ '@odata.context': context, value: svc.list(app).map((s) => svc.render(s)) });
			if (req.method === 'POST') {
				const sub = await svc.create(requireJson(req), app, prefer.immutableId, (resource) => this.subscriptionTarget(resource));
				return this.created({ '@odata.context': `${context}/$entity`, ...svc.render(sub) });
			}
		} else if (rest.length === 1) {
			if (req.method === 'GET') return this.ok({ '@odata.context': `${context}/$entity`, ...svc.render(svc.get(rest[0], app)) });
			if (req.method === 'PATCH') return this.ok({ '@odata.context': `${context}/$entity`, ...svc.render(svc.update(rest[0], requireJson(req), app)) });
			if (req.method === 'DELETE') {
				svc.remove(rest[0], app);
				return { status: 204 };
			}
		}
		throw notAllowed(req);
	}

	/** Resources a subscription may watch: a mailbox's events, default contacts or a contact folder. */
	private subscriptionTarget(resource: string): SubscriptionTarget {
		const segs = resource.replace(/^\//, '').split('?')[0].split('/').filter(Boolean);
		const unsupported = (): GraphError =>
			new GraphError(400, 'ExtensionError', `Operation: Create; Exception: [Status Code: BadRequest; Reason: The resource '${resource}' is not supported.]`);
		if (segs.length < 3 || segs[0].toLowerCase() !== 'users') throw unsupported();
		const box = this.mailboxFor(segs[1]);
		const rest = segs.slice(2).map((s, i) => (i === 1 && segs[2].toLowerCase() === 'contactfolders' ? s : s.toLowerCase()));
		const base = { mailbox: box.user.mailLower, userId: box.user.id };
		if ((rest.length === 1 && rest[0] === 'events') || (rest.length === 2 && rest[0] === 'calendar' && rest[1] === 'events')) {
			return { ...base, resource: 'events' };
		}
		if (rest.length === 1 && rest[0] === 'contacts') return { ...base, resource: 'contacts', folderKey: box.defaultFolderKey };
		if (rest.length === 3 && rest[0] === 'contactfolders' && rest[2] === 'contacts') {
			return { ...base, resource: 'contacts', folderKey: this.contactService.folder(box, rest[1]).key };
		}
		throw unsupported();
	}

	/** The id of a changed item as a subscription's notifications spell it. */
	private idFor(target: SubscriptionTarget, ref: Parameters<typeof encodeId>[0], immutable: boolean): string {
		const box = this.store.mailbox(target.mailbox);
		return encodeId(ref, box.user.tag, immutable);
	}
}

// -------------------------------------------------------------------------------------------------
// Helpers
// -------------------------------------------------------------------------------------------------

function directOptions(): RenderOptions {
	return { immutable: true, bodyText: false, extended: true };
}

function renderOptions(prefer: Prefer, query?: Query): RenderOptions {
	return { immutable: prefer.immutableId, timeZone: prefer.timeZone, bodyText: prefer.bodyText, extended: query?.expandExtended };
}

function contactOptions(prefer: Prefer, query: Query): ContactRenderOptions {
	return { immutable: prefer.immutableId, extended: query.expandExtended };
}

function headerOf(req: EmulatorRequest, name: string): string | undefined {
	const value = req.headers[name];
	return Array.isArray(value) ? value[0] : value;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
	return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

function requireJson(req: EmulatorRequest): unknown {
	if (req.rawBody.trim() && req.body === undefined) {
		throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
	}
	return req.body;
}

function notAllowed(req: EmulatorRequest): GraphError {
	return new GraphError(405, 'Request_BadRequest', `The HTTP method '${req.method}' is not allowed for the resource '${req.path}'.`);
}

function gatewayTimeout(): EmulatorResponse {
	return { status: 504, body: { error: { code: 'GatewayTimeout', message: 'The request timed out.' } } };
}

function innerResponse(id: string, response: EmulatorResponse): BatchItemResponse {
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(response.headers ?? {})) {
		if (['request-id', 'client-request-id'].includes(k.toLowerCase())) continue;
		headers[k] = v;
	}
	if (response.body !== undefined && typeof response.body === 'object' && !hasHeader(headers, 'content-type')) {
		headers['Content-Type'] = JSON_TYPE;
	}
	return { id, status: response.status, headers, ...(response.body !== undefined ? { body: response.body } : {}) };
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** A stable label for counting requests by kind, e.g. `GET calendarView/delta`. */
export function labelOf(path: string): string {
	const segs = path.split('/').filter(Boolean);
	if (segs.length === 4 && segs[1] === 'oauth2' && segs[3] === 'token') return 'token';
	if (segs[0] !== 'v1.0') return path;
	const s = segs.slice(1);
	if (s[0] === '$batch') return '$batch';
	if (s[0] === 'subscriptions') return 'subscriptions';
	if (s[0] !== 'users') return s[0] ?? '';
	if (s.length <= 2) return 'users';
	let rest = s.slice(2);
	if (rest[0] === 'calendar' && (rest[1] === 'events' || rest[1] === 'calendarView')) rest = rest.slice(1);
	switch (rest[0]) {
		case 'events':
			return rest.length >= 3 ? `events/${rest[2]}` : 'events';
		case 'calendarView':
			return rest[1] === 'delta' ? 'calendarView/delta' : 'calendarView';
		case 'contactFolders':
			if (rest.length <= 2) return 'contactFolders';
			return rest[3] === 'delta' ? 'contacts/delta' : 'contacts';
		case 'contacts':
			return rest[1] === 'delta' ? 'contacts/delta' : 'contacts';
		default:
			return rest[0];
	}
}
