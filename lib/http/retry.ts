export interface RetryPolicy {
	/** Attempts after the first one. */
	maxRetries: number;
	/** First back-off delay; doubles each attempt. */
	baseDelayMs: number;
	/** No single wait is longer than this (a longer Retry-After is capped). */
	maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 60_000 };

/** Statuses that mean "try again later" for both LN and Graph. */
export function isTransientStatus(status: number): boolean {
	return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Network failures where the request may not have reached the server or the answer was lost. */
export function isNetworkError(error: unknown): boolean {
	const code = (error as { code?: string; cause?: { code?: string } })?.code ??
		(error as { cause?: { code?: string } })?.cause?.code;
	if (code && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'EAI_AGAIN'].includes(code)) {
		return true;
	}
	const message = String((error as Error)?.message ?? '');
	return /socket hang up|fetch failed|network|ECONNRESET|other side closed/i.test(message);
}

/** A network failure in words: fetch's own message ("fetch failed") says nothing without its cause. */
export function networkFailureMessage(error: unknown): string {
	const message = String((error as Error)?.message ?? error);
	const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
	if (!cause) return message;
	const detail = [cause.code, cause.message].filter((part) => part && !message.includes(part)).join(' ');
	return detail ? `${message} (${detail})` : message;
}

/**
 * Milliseconds to wait from a Retry-After header (seconds or an HTTP date), or undefined.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
	if (value === null || value === undefined || value === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	if (Number.isFinite(date)) return Math.max(0, date - now);
	return undefined;
}

/** The delay before retry number `attempt` (1-based): Retry-After when given, else exponential with jitter. */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
	if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
	const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
	const jitter = exponential * 0.2 * random();
	return Math.min(exponential + jitter, policy.maxDelayMs);
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
