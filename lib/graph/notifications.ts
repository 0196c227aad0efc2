import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A change or lifecycle notification as Graph posts it (one entry of `value`). */
export interface GraphNotification {
	subscriptionId?: string;
	subscriptionExpirationDateTime?: string;
	changeType?: string;
	resource?: string;
	resourceData?: { id?: string; '@odata.etag'?: string; '@odata.type'?: string };
	clientState?: string;
	tenantId?: string;
	lifecycleEvent?: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed' | string;
}

export interface KnownSubscription {
	id: string;
	mailbox: string;
	expiration: string;
	resource: string;
	/** A keyed fingerprint of the clientState this subscription's notifications carry (never the clientState). */
	clientStateTag?: string;
}

/** Graph subscription ids are GUIDs; anything else (`__proto__`, a path) is not looked up or stored. */
export const SUBSCRIPTION_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The subscriptions a trigger remembers at most; beyond that, new ones are checked but not stored. */
export const MAX_KNOWN_SUBSCRIPTIONS = 20_000;

/** A remembered subscription, by own property only (static data is a plain object). */
export function knownById(known: Record<string, KnownSubscription>, id: string | undefined): KnownSubscription | undefined {
	return id && SUBSCRIPTION_ID.test(id) && Object.prototype.hasOwnProperty.call(known, id) ? known[id] : undefined;
}

export function clientStateTag(key: Buffer, clientState: string): string {
	return mac(key, `tag:${clientState}`);
}

/**
 * Whether a (signed) clientState belongs to a subscription: the same clientState as before once one
 * was seen, else one naming the subscription's mailbox. A valid clientState copied from another
 * mailbox's subscription is refused.
 */
export function boundToSubscription(key: Buffer, clientState: string, subscription: KnownSubscription): boolean {
	if (subscription.clientStateTag) return constantTimeEqual(subscription.clientStateTag, clientStateTag(key, clientState));
	const named = mailboxOfClientState(clientState);
	return named === undefined || named.toLowerCase() === subscription.mailbox.toLowerCase();
}

/** Equal strings, compared in constant time (no early exit that leaks how much matched). */
export function constantTimeEqual(a: string, b: string): boolean {
	const left = Buffer.from(a, 'utf8');
	const right = Buffer.from(b, 'utf8');
	if (left.length !== right.length) {
		// Compare anyway so the time does not reveal the length check alone.
		timingSafeEqual(left, Buffer.alloc(left.length));
		return false;
	}
	return timingSafeEqual(left, right);
}

/**
 * The key that signs clientStates, derived from the app's client secret: every node holding the
 * Graph credential (the trigger, and Subscription → Keep for Mailboxes in a scheduled workflow) can
 * make a clientState the trigger accepts, and nothing secret is stored in a workflow.
 */
export function clientStateKey(clientSecret: string): Buffer {
	return createHmac('sha256', clientSecret).update('ln-exchange-sync/clientState/v1').digest();
}

/**
 * A random nonce with its HMAC, and the mailbox when it fits: random per subscription, checkable
 * without having been stored, and telling the mailbox even after Graph removed the subscription.
 * Graph allows 128 characters.
 */
export function signedClientState(key: Buffer, mailbox = '', nonce = randomBytes(9).toString('base64url')): string {
	const owner = Buffer.from(mailbox.toLowerCase(), 'utf8').toString('base64url');
	const signed = owner && owner.length + nonce.length + 24 <= 128 ? `${owner}.${nonce}` : nonce;
	return `${signed}.${mac(key, signed)}`;
}

function mac(key: Buffer, text: string): string {
	return createHmac('sha256', key).update(text).digest('base64url').slice(0, 22);
}

export function verifyClientState(key: Buffer, clientState: unknown): boolean {
	if (typeof clientState !== 'string' || clientState.length > 128) return false;
	const parts = clientState.split('.');
	if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) return false;
	const signature = parts.pop()!;
	return constantTimeEqual(signature, mac(key, parts.join('.')));
}

/** The mailbox a (verified) clientState names, if any. */
export function mailboxOfClientState(clientState: string | undefined): string | undefined {
	const parts = String(clientState ?? '').split('.');
	if (parts.length !== 3) return undefined;
	try {
		return Buffer.from(parts[0], 'base64url').toString('utf8') || undefined;
	} catch {
		return undefined;
	}
}

export interface NotificationCheck {
	accepted: GraphNotification[];
	rejected: number;
}

/** Keeps notifications whose clientState was signed with our key; anything else is dropped. */
export function checkNotifications(notifications: GraphNotification[], key: Buffer): NotificationCheck {
	const accepted: GraphNotification[] = [];
	let rejected = 0;
	for (const notification of notifications) {
		if (notification && typeof notification === 'object' && verifyClientState(key, notification.clientState)) accepted.push(notification);
		else rejected++;
	}
	return { accepted, rejected };
}

/** Remembers recent changes so that a repeat within `windowMs` is emitted once. */
export class RecentChanges {
	private readonly seen = new Map<string, number>();

	constructor(private readonly windowMs = 60_000) {}

	/** True the first time a key is seen within the window. */
	firstTime(key: string, now = Date.now()): boolean {
		if (this.seen.size > 10_000) for (const [k, at] of this.seen) if (now - at > this.windowMs) this.seen.delete(k);
		const at = this.seen.get(key);
		if (at !== undefined && now - at < this.windowMs) return false;
		this.seen.set(key, now);
		return true;
	}
}

export interface ChangeItem {
	kind: 'change';
	mailbox: string;
	eventId: string;
	changeType: string;
	subscriptionId: string;
	etag?: string;
}

export interface ResyncItem {
	kind: 'resync';
	mailbox: string;
	subscriptionId: string;
	reason: string;
}

export function changeKey(notification: GraphNotification): string {
	return [notification.subscriptionId, notification.resourceData?.id ?? notification.resource, notification.changeType, notification.resourceData?.['@odata.etag'] ?? ''].join('|');
}

/** The item a change notification becomes; the mailbox is the subscription's, never the unsigned `resource`. */
export function toChangeItem(notification: GraphNotification, subscription: KnownSubscription): ChangeItem {
	const fromResource = /\/(?:events|contacts|messages)\/([^/]+)$/i.exec(notification.resource ?? '')?.[1];
	return {
		kind: 'change',
		mailbox: subscription.mailbox,
		eventId: notification.resourceData?.id ?? (fromResource ? decodeURIComponent(fromResource) : ''),
		changeType: notification.changeType ?? 'updated',
		subscriptionId: notification.subscriptionId ?? '',
		etag: notification.resourceData?.['@odata.etag'],
	};
}
