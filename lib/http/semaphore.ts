/**
 * A weighted counting semaphore: holders take `weight` slots out of `limit`; waiters are served in
 * order, so a heavy waiter is not starved by light ones, and a weight is taken all at once (no
 * deadlock between two heavy holders).
 */
export class Semaphore {
	private active = 0;
	private readonly waiting: Array<{ weight: number; grant: () => void }> = [];

	constructor(private readonly limit: number) {
		if (!(limit >= 1)) throw new Error('A semaphore needs a limit of at least 1');
	}

	get inUse(): number {
		return this.active;
	}

	async acquire(weight = 1): Promise<() => void> {
		const slots = Math.min(Math.max(1, Math.floor(weight)), this.limit);
		if (this.waiting.length === 0 && this.active + slots <= this.limit) {
			this.active += slots;
		} else {
			await new Promise<void>((resolve) => this.waiting.push({ weight: slots, grant: resolve }));
		}
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.active -= slots;
			this.grantWaiting();
		};
	}

	async run<T>(task: () => Promise<T>, weight = 1): Promise<T> {
		const release = await this.acquire(weight);
		try {
			return await task();
		} finally {
			release();
		}
	}

	private grantWaiting(): void {
		while (this.waiting.length > 0 && this.active + this.waiting[0].weight <= this.limit) {
			const next = this.waiting.shift()!;
			this.active += next.weight;
			next.grant();
		}
	}
}

/** One semaphore per key (e.g. per mailbox, case-insensitive), created on first use. */
export class KeyedSemaphore {
	private readonly semaphores = new Map<string, Semaphore>();

	constructor(private readonly limit: number) {}

	for(key: string): Semaphore {
		const normalized = key.toLowerCase();
		let semaphore = this.semaphores.get(normalized);
		if (!semaphore) {
			semaphore = new Semaphore(this.limit);
			this.semaphores.set(normalized, semaphore);
		}
		return semaphore;
	}

	run<T>(key: string, task: () => Promise<T>, weight = 1): Promise<T> {
		return this.for(key).run(task, weight);
	}
}

/** Runs tasks with at most `limit` at once, keeping result order. */
export async function mapLimit<T, R>(values: T[], limit: number, task: (value: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(values.length);
	let next = 0;
	const workers = Array.from({ length: Math.min(limit, values.length) }, async () => {
		while (next < values.length) {
			const index = next++;
			results[index] = await task(values[index]);
		}
	});
	await Promise.all(workers);
	return results;
}
