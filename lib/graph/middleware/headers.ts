import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

import { factsOf, headerRecord } from './context';

export const IMMUTABLE_ID_PREFERENCE = 'IdType="ImmutableId"';

/** Adds a preference to a Prefer header value unless it is already there. */
export function addPreference(current: string | undefined, preference: string): string {
	const parts = (current ?? '').split(',').map((p) => p.trim()).filter(Boolean);
	const name = preference.split('=')[0].toLowerCase();
	if (!parts.some((p) => p.split('=')[0].toLowerCase() === name)) parts.push(preference);
	return parts.join(', ');
}

/** Immutable ids on every call, and the token only for the configured Graph host. */
export class GraphHeadersHandler implements Middleware {
	private next?: Middleware;

	constructor(private readonly isGraphUrl: (url: string) => boolean) {}

	setNext(next: Middleware): void {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		const options = (context.options ??= {});
		const headers = headerRecord(options.headers);
		headers.Prefer = addPreference(headers.Prefer, IMMUTABLE_ID_PREFERENCE);
		if (!this.isGraphUrl(factsOf(context).url)) delete headers.Authorization;
		options.headers = headers;
		await this.next!.execute(context);
	}
}
