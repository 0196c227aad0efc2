import { GraphError, type Context, type Middleware } from '@microsoft/microsoft-graph-client';

import { networkFailureMessage, parseRetryAfter } from '../http/retry';
import { factsOf, fail, mailboxOf, shortPath } from './middleware/context';

/** A readable Graph error; never carries a secret. */
export class GraphApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly code?: string,
		readonly mailbox?: string,
		readonly requestId?: string,
		readonly retryAfterMs?: number,
	) {
		super(message);
		this.name = 'GraphApiError';
	}

	/** The app may not touch this mailbox (Exchange RBAC for Applications / access policy) or it does not exist. */
	get isMailboxAccessError(): boolean {
		return (
			this.status === 403 ||
			this.code === 'ErrorAccessDenied' ||
			this.code === 'ErrorInvalidUser' ||
			this.code === 'MailboxNotEnabledForRESTAPI'
		);
	}
}

export class GraphAuthError extends Error {
	constructor(
		message: string,
		readonly status: number,
	) {
		super(message);
		this.name = 'GraphAuthError';
	}
}

/** Turns an SDK error into a GraphApiError with Microsoft's code and message. */
export function toGraphApiError(error: unknown, method: string, path: string): Error {
	if (error instanceof GraphApiError || error instanceof GraphAuthError) return error;
	if (error instanceof GraphError) {
		const mailbox = mailboxOf(path);
		const retryAfter = parseRetryAfter(error.headers?.get?.('retry-after'));
		const status = error.statusCode;
		const code = error.code ?? undefined;
		const message = error.message || (typeof error.body === 'string' ? error.body.slice(0, 300) : '');
		const hint =
			code === 'ErrorAccessDenied'
				? ' — the app may not access this mailbox (check Exchange RBAC for Applications or the application access policy)'
				: code === 'ErrorInvalidUser'
					? ' — no such mailbox in this tenant'
					: '';
		return new GraphApiError(
			status,
			`Microsoft Graph answered ${status}${code ? ` ${code}` : ''} to ${method} ${shortPath(path)}${mailbox ? ` (mailbox ${mailbox})` : ''}: ${message}${hint}`,
			code,
			mailbox,
			error.requestId ?? undefined,
			retryAfter,
		);
	}
	return error instanceof Error ? error : new Error(String(error));
}

/**
 * Turns what the network did into readable errors before the SDK sees them: a failure or timeout
 * (saying whether the request may have been carried out), and a redirect, which is never followed.
 */
export class ErrorMappingHandler implements Middleware {
	private next?: Middleware;

	setNext(next: Middleware): void {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		const { url, method, idempotent } = factsOf(context);
		const mailbox = mailboxOf(url);
		try {
			await this.next!.execute(context);
		} catch (error) {
			if (error instanceof GraphApiError || error instanceof GraphAuthError) throw error;
			const timedOut = (error as Error)?.name === 'TimeoutError';
			fail(
				new GraphApiError(
					0,
					`Microsoft Graph could not be reached for ${method} ${shortPath(url)}: ${timedOut ? (error as Error).message : networkFailureMessage(error)}` +
						(idempotent ? '' : ' (the request may or may not have been carried out)'),
					timedOut ? 'Timeout' : 'NetworkError',
					mailbox,
				),
			);
		}
		const status = context.response?.status ?? 0;
		if (status >= 300 && status < 400) {
			fail(new GraphApiError(status, `Microsoft Graph answered ${status} to ${method} ${shortPath(url)} with a redirect; it is not followed, so that the token stays with Graph`, 'Redirect', mailbox));
		}
	}
}
