import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

import { isNetworkError, parseRetryAfter, retryDelay, type RetryPolicy } from '../../http/retry';
import { factsOf, headerRecord } from './context';

export interface RetrySettings {
	policy: RetryPolicy;
	delay(ms: number): Promise<void>;
	/** A fresh token after the one sent was refused (401). */
	reauthenticate(refused: string): Promise<string>;
}

/**
 * Sends again what is safe to send again: 429 and 503 (and 504 for requests safe to repeat) after
 * Retry-After or a growing back-off; a network failure or timeout of an idempotent request; a 401 once,
 * with a fresh token. The handlers after this one (gates, log) run once per attempt.
 */
export class RetryHandler implements Middleware {
	private next?: Middleware;

	constructor(private readonly settings: RetrySettings) {}

	setNext(next: Middleware): void {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		const { idempotent } = factsOf(context);
		const { policy, delay } = this.settings;
		let reauthenticated = false;
		for (let attempt = 0; ; attempt++) {
			try {
				await this.next!.execute(context);
			} catch (error) {
				const timedOut = (error as Error)?.name === 'TimeoutError';
				if ((isNetworkError(error) || timedOut) && idempotent && attempt < policy.maxRetries) {
					await delay(retryDelay(attempt + 1, policy));
					continue;
				}
				throw error;
			}
			const response = context.response!;
			const headers = headerRecord(context.options?.headers);
			if (response.status === 401 && !reauthenticated && headers.Authorization) {
				headers.Authorization = `Bearer ${await this.settings.reauthenticate(headers.Authorization.replace(/^Bearer\s+/i, ''))}`;
				context.options!.headers = headers;
				reauthenticated = true;
				attempt--;
				continue;
			}
			// A 504 may come after the work was done: only requests that are safe to repeat are resent.
			const retryable = response.status === 429 || response.status === 503 || (response.status === 504 && idempotent);
			if (retryable && attempt < policy.maxRetries) {
				await delay(retryDelay(attempt + 1, policy, parseRetryAfter(response.headers.get('retry-after'))));
				continue;
			}
			return;
		}
	}
}
