import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { LN_CODE } from './contract';

/** How LN proves a message is from LN: a shared secret in a header, or an HMAC of a timestamp and the body. */
export type LnWebhookAuthentication = 'header' | 'hmac';

export interface LnWebhookSettings {
	authentication: LnWebhookAuthentication;
	/** The header holding the secret (header) or the signature (hmac). */
	headerName: string;
	/** hmac: the header holding the Unix time (seconds) the signature covers. */
	timestampHeaderName?: string;
	secret: string;
}

/** What LN posts when an activity changes. */
export interface LnChangeMessage {
	company: string;
	activityId: string;
	changeType: 'created' | 'updated' | 'deleted';
}

/**
 * A refused post: `status` and `error` are what the caller gets (nothing about the secret or the
 * headers before the post is authenticated); `detail` is for the administrator's log.
 */
export type LnWebhookVerdict = { ok: true; message: LnChangeMessage } | { ok: false; status: number; error: string; detail: string };

/** LN's messages are tiny; anything bigger is not one. */
export const MAX_LN_MESSAGE_BYTES = 4096;
/** Shorter shared secrets are refused: they can be guessed. */
export const MIN_SECRET_LENGTH = 16;
/** A signed message older or newer than this is refused (clock skew included). */
export const MAX_MESSAGE_AGE_SECONDS = 300;
export const DEFAULT_TIMESTAMP_HEADER = 'X-LN-Timestamp';

const CHANGE_TYPES = ['created', 'updated', 'deleted'];

/** The HMAC-SHA256 signature LN sends, as `sha256=<hex>`, over `<timestamp>.<raw body>`. */
export function signLnMessage(secret: string, timestamp: number | string, rawBody: Buffer | string): string {
	return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

/** Compares secrets in constant time (hashing first, so the lengths do not show either). */
function sameSecret(given: string, expected: string): boolean {
	const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
	return timingSafeEqual(digest(given), digest(expected));
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
	const value = Object.prototype.hasOwnProperty.call(headers, name.toLowerCase()) ? headers[name.toLowerCase()] : undefined;
	if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The signatures accepted lately, so that a captured message cannot be posted again while its
 * timestamp is still fresh. Per process and bounded; past the window the timestamp refuses it anyway.
 */
export class SeenSignatures {
	private readonly seen = new Map<string, number>();

	constructor(private readonly capacity = 10_000) {}

	/** Records a signature; false when it was seen within the window. */
	firstTime(signature: string, nowSeconds: number): boolean {
		for (const [key, expires] of this.seen) {
			if (expires > nowSeconds && this.seen.size < this.capacity) break;
			this.seen.delete(key);
		}
		if (this.seen.has(signature)) return false;
		this.seen.set(signature, nowSeconds + 2 * MAX_MESSAGE_AGE_SECONDS);
		return true;
	}
}

const UNAUTHORIZED = { status: 401, error: 'Unauthorized' } as const;
const FORBIDDEN = { status: 403, error: 'Forbidden' } as const;

/** What makes the webhook settings unusable (every post would be refused), or undefined. */
export function webhookSettingsProblem(settings: LnWebhookSettings): string | undefined {
	if ((settings.secret ?? '').length < MIN_SECRET_LENGTH) {
		return `the Infor LN Webhook credential's secret is too short: use at least ${MIN_SECRET_LENGTH} random characters; every post is refused until then`;
	}
	if (!settings.headerName.trim()) return `the Infor LN Webhook credential names no ${settings.authentication === 'hmac' ? 'signature' : 'secret'} header`;
	return undefined;
}

/**
 * Checks one post to the LN webhook: its authentication first (a post without it learns nothing
 * else, not even which header is missing), then that its body is a change message.
 */
export function checkLnWebhook(
	settings: LnWebhookSettings,
	request: { headers: Record<string, unknown>; rawBody: Buffer },
	replay: { nowSeconds: number; seen: SeenSignatures } = { nowSeconds: Math.floor(Date.now() / 1000), seen: new SeenSignatures() },
): LnWebhookVerdict {
	const secret = settings.secret ?? '';
	const unusable = webhookSettingsProblem(settings);
	if (unusable) return { ok: false, ...FORBIDDEN, detail: unusable };
	const headerName = settings.headerName.trim();
	const given = headerValue(request.headers, headerName);
	if (given === undefined) return { ok: false, ...UNAUTHORIZED, detail: `a post without the ${headerName} header` };
	if (settings.authentication === 'hmac') {
		const timestampHeader = (settings.timestampHeaderName ?? '').trim() || DEFAULT_TIMESTAMP_HEADER;
		const timestamp = headerValue(request.headers, timestampHeader);
		if (timestamp === undefined) return { ok: false, ...UNAUTHORIZED, detail: `a signed post without the ${timestampHeader} header` };
		const expected = signLnMessage(secret, timestamp, request.rawBody);
		const normalized = given.trim().toLowerCase().startsWith('sha256=') ? `sha256=${given.trim().slice(7).toLowerCase()}` : `sha256=${given.trim().toLowerCase()}`;
		if (!sameSecret(normalized, expected)) return { ok: false, ...FORBIDDEN, detail: `the ${headerName} signature does not match the ${timestampHeader} header and the body` };
		// Signed, so the timestamp is LN's own: too old (or from the future) or already seen means a replay.
		const age = /^\d{1,12}$/.test(timestamp) ? replay.nowSeconds - Number(timestamp) : Number.NaN;
		if (!(Math.abs(age) <= MAX_MESSAGE_AGE_SECONDS)) {
			return { ok: false, ...FORBIDDEN, detail: `a signed post with the ${timestampHeader} ${timestamp.slice(0, 20)}, ${Number.isNaN(age) ? 'not a Unix time in seconds' : `${age} s from now`}; at most ${MAX_MESSAGE_AGE_SECONDS} s are accepted (check the clocks)` };
		}
		if (!replay.seen.firstTime(expected, replay.nowSeconds)) return { ok: false, ...FORBIDDEN, detail: `a signed post was sent again (same ${timestampHeader} and body); the repeat is refused` };
	} else if (!sameSecret(given, secret)) {
		return { ok: false, ...FORBIDDEN, detail: `the ${headerName} header does not match the secret` };
	}

	if (request.rawBody.length > MAX_LN_MESSAGE_BYTES) {
		return refusedBody(413, `An LN message is at most ${MAX_LN_MESSAGE_BYTES} bytes; this body has ${request.rawBody.length}`);
	}
	let body: unknown;
	try {
		body = JSON.parse(request.rawBody.toString('utf8'));
	} catch {
		return refusedBody(400, 'The body is not JSON; expected {"company", "activityId", "changeType"}');
	}
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		return refusedBody(400, 'Expected a JSON object {"company", "activityId", "changeType"}');
	}
	const { company, activityId, changeType } = body as Record<string, unknown>;
	const problems: string[] = [];
	if (!/^[0-9]{1,4}$/.test(String(company ?? ''))) problems.push('company must be an LN company number');
	if (!LN_CODE.test(String(activityId ?? ''))) problems.push('activityId must be an LN activity code (letters, digits, . _ -; at most 30)');
	if (!CHANGE_TYPES.includes(String(changeType ?? ''))) problems.push('changeType must be created, updated or deleted');
	if (problems.length > 0) {
		const which = typeof activityId === 'string' && LN_CODE.test(activityId) ? ` (activity ${activityId})` : '';
		return refusedBody(400, `Not an LN change message${which}: ${problems.join('; ')}`);
	}
	return { ok: true, message: { company: String(company), activityId: String(activityId), changeType: changeType as LnChangeMessage['changeType'] } };
}

/** After authentication the caller is LN: it is told what is wrong with the body. */
function refusedBody(status: number, error: string): LnWebhookVerdict {
	return { ok: false, status, error, detail: error };
}
