import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How LN proves a message is from LN: a shared secret in a header, or an HMAC of the body. */
export type LnWebhookAuthentication = 'header' | 'hmac';

export interface LnWebhookSettings {
	authentication: LnWebhookAuthentication;
	/** The header holding the secret (header) or the signature (hmac). */
	headerName: string;
	secret: string;
}

/** What LN posts when an activity changes (SPEC §5). */
export interface LnChangeMessage {
	company: string;
	activityId: string;
	changeType: 'created' | 'updated' | 'deleted';
}

export type LnWebhookVerdict = { ok: true; message: LnChangeMessage } | { ok: false; status: number; error: string };

/** LN's messages are tiny; anything bigger is not one. */
export const MAX_LN_MESSAGE_BYTES = 4096;
/** Shorter shared secrets are refused: they can be guessed. */
export const MIN_SECRET_LENGTH = 16;

const CHANGE_TYPES = ['created', 'updated', 'deleted'];

/** The HMAC-SHA256 signature LN sends for a body, as `sha256=<hex>`. */
export function signLnMessage(secret: string, rawBody: Buffer | string): string {
	return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Compares secrets in constant time (hashing first, so the lengths do not show either). */
function sameSecret(given: string, expected: string): boolean {
	const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
	return timingSafeEqual(digest(given), digest(expected));
}

function headerValue(headers: Record<string, unknown>, name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Checks one post to the LN webhook: its authentication first (a post without it learns nothing
 * else), then that its body is a change message. The answer never repeats the secret.
 */
export function checkLnWebhook(
	settings: LnWebhookSettings,
	request: { headers: Record<string, unknown>; rawBody: Buffer },
): LnWebhookVerdict {
	const secret = settings.secret ?? '';
	if (secret.length < MIN_SECRET_LENGTH) {
		return { ok: false, status: 500, error: `The Infor LN Webhook credential's secret is too short: use at least ${MIN_SECRET_LENGTH} random characters` };
	}
	const headerName = settings.headerName.trim();
	const given = headerValue(request.headers, headerName);
	if (given === undefined) return { ok: false, status: 401, error: `Missing the ${headerName} header` };
	if (settings.authentication === 'hmac') {
		const expected = signLnMessage(secret, request.rawBody);
		const normalized = given.trim().toLowerCase().startsWith('sha256=') ? `sha256=${given.trim().slice(7).toLowerCase()}` : `sha256=${given.trim().toLowerCase()}`;
		if (!sameSecret(normalized, expected)) return { ok: false, status: 403, error: `The ${headerName} signature does not match the body` };
	} else if (!sameSecret(given, secret)) {
		return { ok: false, status: 403, error: `The ${headerName} header does not match` };
	}

	if (request.rawBody.length > MAX_LN_MESSAGE_BYTES) {
		return { ok: false, status: 413, error: `An LN message is at most ${MAX_LN_MESSAGE_BYTES} bytes; this body has ${request.rawBody.length}` };
	}
	let body: unknown;
	try {
		body = JSON.parse(request.rawBody.toString('utf8'));
	} catch {
		return { ok: false, status: 400, error: 'The body is not JSON; expected {"company", "activityId", "changeType"}' };
	}
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		return { ok: false, status: 400, error: 'Expected a JSON object {"company", "activityId", "changeType"}' };
	}
	const { company, activityId, changeType } = body as Record<string, unknown>;
	const problems: string[] = [];
	if (!/^[0-9]{1,4}$/.test(String(company ?? ''))) problems.push('company must be an LN company number');
	if (!/^[A-Za-z0-9._-]{1,30}$/.test(String(activityId ?? ''))) problems.push('activityId must be an LN activity code (letters, digits, . _ -; at most 30)');
	if (!CHANGE_TYPES.includes(String(changeType ?? ''))) problems.push('changeType must be created, updated or deleted');
	if (problems.length > 0) {
		const which = typeof activityId === 'string' && /^[A-Za-z0-9._-]{1,30}$/.test(activityId) ? ` (activity ${activityId})` : '';
		return { ok: false, status: 400, error: `Not an LN change message${which}: ${problems.join('; ')}` };
	}
	return { ok: true, message: { company: String(company), activityId: String(activityId), changeType: changeType as LnChangeMessage['changeType'] } };
}
