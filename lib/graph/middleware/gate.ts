import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

import type { KeyedSemaphore, Semaphore } from '../../http/semaphore';
import { batchedUrlsOf, factsOf, mailboxOf } from './context';

export interface GraphGates {
	mailbox: KeyedSemaphore;
	total: Semaphore;
}

/**
 * Holds the concurrency gates while a request is in flight: each mailbox it addresses (a `$batch`
 * counts once per inner request, up to the mailbox limit), then the whole client.
 */
export class MailboxGateHandler implements Middleware {
	private next?: Middleware;

	constructor(
		private readonly gates: GraphGates,
		private readonly perMailbox: number,
	) {}

	setNext(next: Middleware): void {
		this.next = next;
	}

	async execute(context: Context): Promise<void> {
		const release = await this.admit(factsOf(context).url, batchedUrlsOf(context));
		try {
			await this.next!.execute(context);
		} finally {
			release();
		}
	}

	private async admit(url: string, batched: string[]): Promise<() => void> {
		const releases: Array<() => void> = [];
		// Mailbox gates first (always in sorted order, so two batches cannot wait on each other), then
		// the client-wide gate, so requests queued for a busy mailbox do not block other mailboxes.
		const weights = [...mailboxWeights(url, batched, this.perMailbox).entries()].sort(([a], [b]) => a.localeCompare(b));
		for (const [mailbox, weight] of weights) releases.push(await this.gates.mailbox.for(mailbox).acquire(weight));
		const releaseTotal = await this.gates.total.acquire();
		return () => {
			for (const release of releases.reverse()) release();
			releaseTotal();
		};
	}
}

function mailboxWeights(url: string, batched: string[], limit: number): Map<string, number> {
	const weights = new Map<string, number>();
	const direct = mailboxOf(url);
	if (direct) weights.set(direct, 1);
	for (const inner of batched) {
		const mailbox = mailboxOf(`/${inner.replace(/^\//, '')}`);
		if (mailbox) weights.set(mailbox, Math.min(limit, (weights.get(mailbox) ?? 0) + 1));
	}
	return weights;
}
