import type { Subscription } from '@microsoft/microsoft-graph-types';

import { servicePrincipalId, type GraphApp } from './auth';
import { GraphError, badRequest } from './errors';
import { newGuid, type ItemRef } from './ids';
import type { Json } from './odata';
import type { Change } from './store';

/**
 * Change-notification subscriptions: creation with the validation handshake, renewal, expiry on
 * the emulator clock, notifications queued per change and POSTed in bunches (with retries), and
 * lifecycle events. Delivery can be disturbed on purpose (duplicates, reordering, drops).
 */

export interface SubscriptionTarget {
	mailbox: string;
	userId: string;
	resource: 'events' | 'contacts';
	folderKey?: string;
}

export interface SubscriptionRecord {
	id: string;
	resource: string;
	changeType: string;
	changeTypes: Set<string>;
	notificationUrl: string;
	lifecycleNotificationUrl?: string;
	expirationMs: number;
	clientState?: string;
	app: GraphApp;
	/** Created with `Prefer: IdType="ImmutableId"`: notifications carry immutable ids. */
	immutable: boolean;
	target: SubscriptionTarget;
}

export interface Delivery {
	url: string;
	notifications: number;
	/** HTTP status of the receiver's answer; 0 when it did not answer (timeout, refused). */
	status: number;
	ms: number;
	at: string;
}

export interface NotificationMode {
	duplicate?: number;
	reorder?: boolean;
	drop?: number;
}

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface SubscriptionTimings {
	validationTimeoutMs: number;
	notificationTimeoutMs: number;
	flushDelayMs: number;
	retries: number;
	retryBaseMs: number;
}

export const MAX_LIFETIME_MINUTES = 10080;
export const MIN_LIFETIME_MINUTES = 45;
const CHANGE_TYPES = ['created', 'updated', 'deleted'];

export class SubscriptionManager {
	private readonly subs = new Map<string, SubscriptionRecord>();
	private pending: Array<{ url: string; item: Json }> = [];
	private timer?: NodeJS.Timeout;
	private readonly inflight = new Set<Promise<void>>();
	private readonly controllers = new Set<AbortController>();
	private readonly log: Delivery[] = [];
	private mode = { duplicate: 0, reorder: false, drop: 0 };
	private stopped = false;
	dropped = 0;

	constructor(
		private readonly now: () => number,
		private readonly tenantId: () => string,
		private readonly idFor: (target: SubscriptionTarget, ref: ItemRef, immutable: boolean) => string,
		private readonly timings: SubscriptionTimings,
	) {}

	// -------------------------------------------------------------------------------------------
	// CRUD
	// -------------------------------------------------------------------------------------------

	async create(body: unknown, app: GraphApp, immutable: boolean, resolve: (resource: string) => SubscriptionTarget): Promise<SubscriptionRecord> {
		if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Empty Payload. JSON content expected.');
		const input = body as Json;
		for (const key of Object.keys(input)) {
			if (key.startsWith('@')) continue;
			if (!['changeType', 'notificationUrl', 'lifecycleNotificationUrl', 'resource', 'expirationDateTime', 'clientState', 'latestSupportedTlsVersion', 'includeResourceData'].includes(key)) {
				throw badRequest(`The property '${key}' does not exist on type 'microsoft.graph.subscription'.`, 'BadRequest');
			}
		}
		if (input.includeResourceData === true) {
			throw new GraphError(400, 'ValidationError', 'Notifications with resource data (includeResourceData) are not supported by this emulator.');
		}
		const changeType = String(input.changeType ?? '');
		const changeTypes = new Set(changeType.split(',').map((c) => c.trim()).filter(Boolean));
		if (!changeTypes.size || [...changeTypes].some((c) => !CHANGE_TYPES.includes(c))) {
			throw new GraphError(400, 'ValidationError', `The changeType '${changeType}' is not valid; use created, updated and/or deleted.`);
		}
		const notificationUrl = checkUrl(input.notificationUrl, 'notificationUrl');
		const lifecycleNotificationUrl = input.lifecycleNotificationUrl === undefined || input.lifecycleNotificationUrl === null
			? undefined
			: checkUrl(input.lifecycleNotificationUrl, 'lifecycleNotificationUrl');
		const clientState = input.clientState === undefined || input.clientState === null ? undefined : String(input.clientState);
		if (clientState !== undefined && clientState.length > 128) {
			throw new GraphError(400, 'ValidationError', 'The clientState may be at most 128 characters long.');
		}
		if (typeof input.resource !== 'string' || !input.resource) throw new GraphError(400, 'ValidationError', 'The resource is required.');
		const target = resolve(input.resource);
		const expirationMs = this.checkExpiration(input.expirationDateTime, 'Create');
		this.purgeExpired();
		for (const sub of this.subs.values()) {
			if (sameTarget(sub.target, target) && sameSet(sub.changeTypes, changeTypes) && sub.notificationUrl === notificationUrl) {
				throw new GraphError(409, 'ExtensionError',
					`Operation: Create; Exception: [Status Code: Conflict; Reason: A subscription for the same resource, change type and notification URL already exists (id ${sub.id}).]`);
			}
		}
		// The handshake: each URL must echo the token as text/plain within the time limit.
		const urls = [notificationUrl, ...(lifecycleNotificationUrl ? [lifecycleNotificationUrl] : [])];
		const failures = (await Promise.all(urls.map((url) => this.validate(url)))).filter((f): f is string => !!f);
		if (failures.length) {
			throw new GraphError(400, 'ValidationError', `Subscription validation request failed. ${failures.join(' ')}`);
		}
		const sub: SubscriptionRecord = {
			id: newGuid(),
			resource: input.resource,
			changeType: [...changeTypes].join(','),
			changeTypes,
			notificationUrl,
			lifecycleNotificationUrl,
			expirationMs,
			clientState,
			app,
			immutable,
			target,
		};
		this.subs.set(sub.id, sub);
		return sub;
	}

	list(app: GraphApp): SubscriptionRecord[] {
		this.purgeExpired();
		return [...this.subs.values()].filter((s) => s.app.clientId === app.clientId);
	}

	get(id: string, app?: GraphApp): SubscriptionRecord {
		this.purgeExpired();
		const sub = this.subs.get(id);
		if (!sub || (app && sub.app.clientId !== app.clientId)) {
			throw new GraphError(404, 'ResourceNotFound', `The object was not found. Subscription '${id}' does not exist.`);
		}
		return sub;
	}

	update(id: string, body: unknown, app: GraphApp): SubscriptionRecord {
		const sub = this.get(id, app);
		const input = (body && typeof body === 'object' ? body : {}) as Json;
		for (const key of Object.keys(input)) {
			if (key.startsWith('@')) continue;
			if (key !== 'expirationDateTime') throw new GraphError(400, 'ValidationError', `The property '${key}' of a subscription can't be changed.`);
		}
		if (input.expirationDateTime === undefined) throw new GraphError(400, 'ValidationError', 'expirationDateTime is required.');
		sub.expirationMs = this.checkExpiration(input.expirationDateTime, 'Update');
		return sub;
	}

	remove(id: string, app: GraphApp): void {
		this.get(id, app);
		this.subs.delete(id);
	}

	all(): SubscriptionRecord[] {
		this.purgeExpired();
		return [...this.subs.values()];
	}

	mailboxOf(id: string): string | undefined {
		return this.subs.get(id)?.target.mailbox;
	}

	render(sub: SubscriptionRecord): Subscription & Json {
		return {
			id: sub.id,
			resource: sub.resource,
			applicationId: sub.app.clientId,
			changeType: sub.changeType,
			clientState: sub.clientState ?? null,
			notificationUrl: sub.notificationUrl,
			notificationQueryOptions: null,
			lifecycleNotificationUrl: sub.lifecycleNotificationUrl ?? null,
			expirationDateTime: new Date(sub.expirationMs).toISOString(),
			creatorId: servicePrincipalId(sub.app),
			includeResourceData: false,
			latestSupportedTlsVersion: 'v1_2',
			encryptionCertificate: null,
			encryptionCertificateId: null,
			notificationUrlAppId: null,
		};
	}

	private checkExpiration(value: unknown, operation: 'Create' | 'Update'): number {
		const ms = typeof value === 'string' ? Date.parse(value) : NaN;
		if (Number.isNaN(ms)) throw new GraphError(400, 'ValidationError', 'expirationDateTime is required and must be a date-time.');
		const now = this.now();
		if (ms <= now) {
			throw new GraphError(400, 'ExtensionError', `Operation: ${operation}; Exception: [Status Code: BadRequest; Reason: Subscription expiration can only be in the future.]`);
		}
		if (ms > now + MAX_LIFETIME_MINUTES * 60000) {
			throw new GraphError(400, 'ExtensionError',
				`Operation: ${operation}; Exception: [Status Code: BadRequest; Reason: Subscription expiration can only be ${MAX_LIFETIME_MINUTES} minutes in the future.]`);
		}
		return Math.max(ms, now + MIN_LIFETIME_MINUTES * 60000);
	}

	private purgeExpired(): void {
		const now = this.now();
		for (const [id, sub] of this.subs) if (sub.expirationMs <= now) this.subs.delete(id);
	}

	private async validate(url: string): Promise<string | undefined> {
		const token = `Validation: Testing client application reachability for subscription Request-Id: ${newGuid()}`;
		const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
		const controller = new AbortController();
		this.controllers.add(controller);
		const timer = setTimeout(() => controller.abort(), this.timings.validationTimeoutMs);
		try {
			const res = await fetch(target, {
				method: 'POST',
				headers: { 'content-type': 'text/plain; charset=utf-8' },
				body: '',
				signal: controller.signal,
			});
			const text = await res.text();
			if (res.status !== 200) return `Notification endpoint ${url} must respond with 200 OK to validation request (got ${res.status}).`;
			const contentType = (res.headers.get('content-type') ?? '').toLowerCase();
			if (!contentType.startsWith('text/plain')) {
				return `Notification endpoint ${url} must answer the validation request with content type text/plain (got '${contentType}').`;
			}
			if (text !== token) return `Notification endpoint ${url} must answer with the validation token in the body.`;
			return undefined;
		} catch {
			return controller.signal.aborted
				? `Notification endpoint ${url} did not answer the validation request within ${this.timings.validationTimeoutMs / 1000} s.`
				: `Notification endpoint ${url} is not reachable.`;
		} finally {
			clearTimeout(timer);
			this.controllers.delete(controller);
		}
	}

	// -------------------------------------------------------------------------------------------
	// Notifications
	// -------------------------------------------------------------------------------------------

	setMode(mode: NotificationMode): void {
		if (mode.duplicate !== undefined) this.mode.duplicate = Math.max(0, Math.floor(mode.duplicate));
		if (mode.reorder !== undefined) this.mode.reorder = !!mode.reorder;
		if (mode.drop !== undefined) this.mode.drop = Math.max(0, Math.floor(mode.drop));
	}

	/** A change in a mailbox: one notification per matching subscription. */
	onChange(change: Change): void {
		if (this.stopped) return;
		this.purgeExpired();
		for (const sub of this.subs.values()) {
			const t = sub.target;
			if (t.mailbox !== change.mailbox || t.resource !== change.resource) continue;
			if (t.resource === 'contacts' && t.folderKey !== change.folderKey) continue;
			if (!sub.changeTypes.has(change.changeType)) continue;
			const id = this.idFor(t, change.ref, sub.immutable);
			const path = `Users/${change.userId}/${change.resource === 'events' ? 'Events' : 'Contacts'}/${id}`;
			const item: Json = {
				subscriptionId: sub.id,
				subscriptionExpirationDateTime: new Date(sub.expirationMs).toISOString(),
				changeType: change.changeType,
				resource: path,
				resourceData: {
					'@odata.type': change.resource === 'events' ? '#Microsoft.Graph.Event' : '#Microsoft.Graph.Contact',
					'@odata.id': path,
					'@odata.etag': `W/"${change.changeKey}"`,
					id,
				},
				clientState: sub.clientState ?? null,
				tenantId: this.tenantId(),
			};
			if (this.mode.drop > 0) {
				this.mode.drop--;
				this.dropped++;
				continue;
			}
			for (let i = 0; i <= this.mode.duplicate; i++) this.pending.push({ url: sub.notificationUrl, item });
		}
		if (this.pending.length && !this.timer) {
			this.timer = setTimeout(() => this.sendPending(), this.timings.flushDelayMs);
		}
	}

	/** Sends what is queued now and waits until every delivery (with its retries) is over. */
	async flush(): Promise<void> {
		this.sendPending();
		while (this.inflight.size) await Promise.allSettled([...this.inflight]);
	}

	async fireLifecycle(id: string, event: LifecycleEvent): Promise<void> {
		const sub = this.subs.get(id);
		if (!sub) throw new GraphError(404, 'ResourceNotFound', `Subscription '${id}' does not exist.`);
		if (event === 'subscriptionRemoved') this.subs.delete(id);
		const item = {
			subscriptionId: sub.id,
			subscriptionExpirationDateTime: new Date(sub.expirationMs).toISOString(),
			tenantId: this.tenantId(),
			clientState: sub.clientState ?? null,
			lifecycleEvent: event,
		};
		await this.track(this.deliver(sub.lifecycleNotificationUrl ?? sub.notificationUrl, [item]));
	}

	deliveries(): Delivery[] {
		return this.log.map((d) => ({ ...d }));
	}

	pendingCount(): number {
		return this.pending.length;
	}

	clear(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		this.subs.clear();
		this.pending = [];
		this.log.length = 0;
		this.mode = { duplicate: 0, reorder: false, drop: 0 };
		this.dropped = 0;
	}

	resume(): void {
		this.stopped = false;
	}

	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		this.pending = [];
		for (const controller of this.controllers) controller.abort();
	}

	private sendPending(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		if (!this.pending.length) return;
		const byUrl = new Map<string, Json[]>();
		for (const { url, item } of this.pending) {
			const list = byUrl.get(url) ?? [];
			list.push(item);
			byUrl.set(url, list);
		}
		this.pending = [];
		for (const [url, items] of byUrl) {
			// Notifications that bunch up go out together, in one POST per receiver.
			this.track(this.deliver(url, this.mode.reorder ? [...items].reverse() : items));
		}
	}

	private track(promise: Promise<void>): Promise<void> {
		this.inflight.add(promise);
		return promise.finally(() => this.inflight.delete(promise));
	}

	/** POSTs `{value}`; a non-2xx answer or none within the time limit is retried with back-off. */
	private async deliver(url: string, items: Json[]): Promise<void> {
		const body = JSON.stringify({ value: items });
		for (let attempt = 0; attempt <= this.timings.retries && !this.stopped; attempt++) {
			if (attempt > 0) await new Promise((r) => setTimeout(r, this.timings.retryBaseMs * 2 ** (attempt - 1)));
			if (this.stopped) return;
			const started = Date.now();
			const controller = new AbortController();
			this.controllers.add(controller);
			const timer = setTimeout(() => controller.abort(), this.timings.notificationTimeoutMs);
			let status = 0;
			try {
				const res = await fetch(url, {
					method: 'POST',
					headers: { 'content-type': 'application/json; charset=utf-8' },
					body,
					signal: controller.signal,
				});
				status = res.status;
				await res.arrayBuffer().catch(() => undefined);
			} catch {
				status = 0;
			} finally {
				clearTimeout(timer);
				this.controllers.delete(controller);
			}
			this.log.push({ url, notifications: items.length, status, ms: Date.now() - started, at: new Date(this.now()).toISOString() });
			if (status >= 200 && status < 300) return;
		}
	}
}

function checkUrl(value: unknown, field: string): string {
	let url: URL;
	try {
		url = new URL(String(value ?? ''));
	} catch {
		throw new GraphError(400, 'ValidationError', `The ${field} '${String(value ?? '')}' is not a valid URL.`);
	}
	// Deviation: plain http is accepted for local test receivers only.
	const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
	if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
		throw new GraphError(400, 'ValidationError', `The ${field} must be an https URL.`);
	}
	return String(value);
}

function sameTarget(a: SubscriptionTarget, b: SubscriptionTarget): boolean {
	return a.mailbox === b.mailbox && a.resource === b.resource && a.folderKey === b.folderKey;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
	return a.size === b.size && [...a].every((x) => b.has(x));
}
