import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { mailboxOfResource } from './subscriptions';

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
	/** Random mode: the clientState given to Graph. Absent in secret mode (derived). */
	clientState?: string;
	resource: string;
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
 * With a shared secret, each subscription's clientState is a random nonce with its HMAC, so any node
 * holding the secret can make one and the trigger can check one without having stored it.
 */
export function secretClientState(secret: string, nonce = randomBytes(18).toString('base64url')): string {
	return `${nonce}.${createHmac('sha256', secret).update(nonce).digest('base64url')}`;
}

export function verifySecretClientState(secret: string, clientState: string): boolean {
	const [nonce, mac] = clientState.split('.');
	if (!nonce || !mac) return false;
	const expected = createHmac('sha256', secret).update(nonce).digest('base64url');
	return constantTimeEqual(mac, expected);
}

export interface NotificationCheck {
	accepted: GraphNotification[];
	rejected: number;
}

/**
 * Keeps notifications whose clientState matches the subscription's (stored, or derived from the
 * secret). Anything else — unknown subscription, wrong or missing clientState — is dropped.
 */
export function checkNotifications(
	notifications: GraphNotification[],
	known: Record<string, KnownSubscription>,
	secret?: string,
): NotificationCheck {
	const byId = new Map(Object.values(known).map((s) => [s.id, s]));
	const accepted: GraphNotification[] = [];
	let rejected = 0;
	for (const notification of notifications) {
		const clientState = typeof notification.clientState === 'string' ? notification.clientState : '';
		const subscription = notification.subscriptionId ? byId.get(notification.subscriptionId) : undefined;
		let ok = false;
		if (secret) ok = clientState !== '' && verifySecretClientState(secret, clientState);
		else if (subscription?.clientState) ok = constantTimeEqual(clientState, subscription.clientState);
		if (ok) accepted.push(notification);
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

/** The item a change notification becomes. */
export function toChangeItem(notification: GraphNotification, known: Record<string, KnownSubscription>): ChangeItem {
	const subscription = Object.values(known).find((s) => s.id === notification.subscriptionId);
	const fromResource = /\/(?:events|contacts|messages)\/([^/]+)$/i.exec(notification.resource ?? '')?.[1];
	return {
		kind: 'change',
		mailbox: subscription?.mailbox ?? mailboxOfResource(notification.resource) ?? '',
		eventId: notification.resourceData?.id ?? (fromResource ? decodeURIComponent(fromResource) : ''),
		changeType: notification.changeType ?? 'updated',
		subscriptionId: notification.subscriptionId ?? '',
		etag: notification.resourceData?.['@odata.etag'],
	};
}
