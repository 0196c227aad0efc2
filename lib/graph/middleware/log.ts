import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

import { batchedUrlsOf, factsOf, mailboxOf } from './context';

export interface GraphRequestInfo {
	method: string;
	url: string;
	status: number;
	durationMs: number;
	mailbox?: string;
	/** Label for counting, e.g. `GET calendarView/delta`. */
	kind: string;
	/** Inner requests carried, for `$batch`. */
	batchSize?: number;
}

/** Tells the transport's observer about every request sent (each attempt), with its status and time. */
export class RequestLogHandler implements Middleware {
	private next?: Middleware;

	constructor(private readonly observe: (info: GraphRequestInfo) => void) {}

	setNext(next: Middleware): void {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		const { url, method } = factsOf(context);
		const kind = graphRequestKind(method, url);
		const batchSize = kind === 'POST $batch' ? batchedUrlsOf(context).length : undefined;
		const started = Date.now();
		let status = 0;
		try {
			await this.next!.execute(context);
			status = context.response?.status ?? 0;
		} finally {
			this.observe({ method, url, status, durationMs: Date.now() - started, mailbox: mailboxOf(url), kind, batchSize });
		}
	}
}

/** A stable label such as `GET events`, `POST events/cancel`, `GET calendarView/delta` for counting. */
export function graphRequestKind(method: string, url: string): string {
	let path = url;
	try {
		path = new URL(url).pathname;
	} catch {
		path = url.split('?')[0];
	}
	path = path.replace(/^\/?(v1\.0|beta)\//, '/').replace(/^\/v1\.0$/, '/');
	const segments = path.split('/').filter(Boolean);
	if (segments[0] === 'users' && segments.length > 2) segments.splice(0, 2);
	else if (segments[0] === 'users') return `${method} users`;
	// Drop ids: keep words that are resource names.
	const names = segments.filter((s) => /^(\$batch|events|calendar|calendarView|delta|contacts|contactFolders|subscriptions|cancel|accept|decline|tentativelyAccept|instances|users|calendars)$/.test(s));
	const compact = names.filter((s) => s !== 'calendar' && s !== 'calendars');
	if (compact.length === 0) return `${method} ${segments[0] ?? ''}`.trim();
	const meaningful = compact.slice(-2);
	if (meaningful.length === 2 && !['delta', 'cancel', 'accept', 'decline', 'tentativelyAccept', 'instances'].includes(meaningful[1])) {
		return `${method} ${meaningful[1]}`;
	}
	return `${method} ${meaningful.join('/')}`;
}
