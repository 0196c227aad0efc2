/**
 * Outlook's per-mailbox limits for one app: at most N requests in flight (MailboxConcurrency) and
 * a request budget per sliding window. Direct and inner $batch requests count alike.
 */

export interface ThrottlingOptions {
	concurrencyPerMailbox?: number;
	budget?: { requests: number; windowMs: number };
	retryAfterSeconds?: number;
}

export interface ThrottleDecision {
	reject?: { retryAfterSeconds: number; message: string };
	release?: () => void;
}

export const DEFAULT_THROTTLING = {
	concurrencyPerMailbox: 4,
	budget: { requests: 10000, windowMs: 600000 },
	retryAfterSeconds: 1,
};

export class Throttler {
	concurrencyPerMailbox = DEFAULT_THROTTLING.concurrencyPerMailbox;
	budget = { ...DEFAULT_THROTTLING.budget };
	retryAfterSeconds = DEFAULT_THROTTLING.retryAfterSeconds;
	private readonly inFlight = new Map<string, number>();
	private readonly history = new Map<string, number[]>();
	/** 429s given, by reason. */
	rejected = { concurrency: 0, budget: 0 };
	/** The most mailboxes that had requests in flight at one moment (how parallel a client worked), in all and by kind of request. */
	mostMailboxesAtOnce = 0;
	mostMailboxesAtOnceByKind: Record<string, number> = {};
	private readonly inFlightByKind = new Map<string, Map<string, number>>();

	configure(options: ThrottlingOptions): void {
		if (options.concurrencyPerMailbox !== undefined) this.concurrencyPerMailbox = Math.max(1, Math.floor(options.concurrencyPerMailbox));
		if (options.budget !== undefined) {
			// A new budget starts with an empty window.
			this.budget = { requests: Math.max(1, options.budget.requests), windowMs: Math.max(1, options.budget.windowMs) };
			this.history.clear();
		}
		if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = Math.max(0, Math.floor(options.retryAfterSeconds));
	}

	/**
	 * The mailbox's requests still in the window. Their times are kept sorted, so the expired ones are
	 * at the front: dropping them costs what expired, not the whole window (a folder of thousands of
	 * contacts written through $batch counts thousands of requests).
	 */
	private inWindow(mailbox: string, now: number): number[] {
		let history = this.history.get(mailbox);
		if (!history) this.history.set(mailbox, (history = []));
		const oldest = now - this.budget.windowMs;
		let expired = 0;
		while (expired < history.length && history[expired] <= oldest) expired++;
		if (expired > 0) history.splice(0, expired);
		return history;
	}

	/** Forgets the requests counted so far (the mailboxes were replaced). */
	clearHistory(): void {
		this.history.clear();
	}

	reset(): void {
		this.concurrencyPerMailbox = DEFAULT_THROTTLING.concurrencyPerMailbox;
		this.budget = { ...DEFAULT_THROTTLING.budget };
		this.retryAfterSeconds = DEFAULT_THROTTLING.retryAfterSeconds;
		this.history.clear();
		this.rejected = { concurrency: 0, budget: 0 };
		this.mostMailboxesAtOnce = 0;
		this.mostMailboxesAtOnceByKind = {};
		this.inFlightByKind.clear();
		// In-flight counts are left alone: their requests still release them.
	}

	admit(mailbox: string, now: number, kind = 'other'): ThrottleDecision {
		const history = this.inWindow(mailbox, now);
		if (history.length >= this.budget.requests) {
			// The window frees a slot when the oldest request in it leaves.
			const freesAt = history[history.length - this.budget.requests] + this.budget.windowMs;
			this.rejected.budget++;
			return {
				reject: {
					retryAfterSeconds: Math.max(1, Math.ceil((freesAt - now) / 1000)),
					message: 'Application is over its MailboxRequestRate limit.',
				},
			};
		}
		const inFlight = this.inFlight.get(mailbox) ?? 0;
		if (inFlight >= this.concurrencyPerMailbox) {
			this.rejected.concurrency++;
			return { reject: { retryAfterSeconds: this.retryAfterSeconds, message: 'Application is over its MailboxConcurrency limit.' } };
		}
		// In time order, also when a test set the clock back.
		let at = history.length;
		while (at > 0 && history[at - 1] > now) at--;
		history.splice(at, 0, now);
		this.inFlight.set(mailbox, inFlight + 1);
		this.mostMailboxesAtOnce = Math.max(this.mostMailboxesAtOnce, this.inFlight.size);
		const ofKind = this.inFlightByKind.get(kind) ?? new Map<string, number>();
		this.inFlightByKind.set(kind, ofKind);
		ofKind.set(mailbox, (ofKind.get(mailbox) ?? 0) + 1);
		this.mostMailboxesAtOnceByKind[kind] = Math.max(this.mostMailboxesAtOnceByKind[kind] ?? 0, ofKind.size);
		let released = false;
		const leave = (counts: Map<string, number>) => {
			const n = (counts.get(mailbox) ?? 1) - 1;
			if (n <= 0) counts.delete(mailbox);
			else counts.set(mailbox, n);
		};
		return {
			release: () => {
				if (released) return;
				released = true;
				leave(this.inFlight);
				leave(ofKind);
			},
		};
	}

	state(): unknown {
		return {
			concurrencyPerMailbox: this.concurrencyPerMailbox,
			budget: this.budget,
			retryAfterSeconds: this.retryAfterSeconds,
			inFlight: Object.fromEntries(this.inFlight),
			rejected: this.rejected,
			mostMailboxesAtOnce: this.mostMailboxesAtOnce,
			mostMailboxesAtOnceByKind: this.mostMailboxesAtOnceByKind,
		};
	}
}
