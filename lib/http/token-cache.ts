export interface IssuedToken {
	accessToken: string;
	/** OAuth `expires_in`, in seconds. */
	expiresIn: unknown;
}

interface CachedToken {
	accessToken: string;
	/** Epoch milliseconds at which the token stops being valid. */
	expiresAt: number;
}

export interface TokenCacheOptions {
	/** A token is renewed this long before it expires. */
	renewBeforeMs?: number;
	now?: () => number;
}

/**
 * Access tokens shared by every item and execution in this process, keyed by credential. Concurrent
 * callers wait for the same token request instead of each asking for one.
 */
export class TokenCache {
	private readonly tokens = new Map<string, CachedToken>();
	private readonly pending = new Map<string, Promise<CachedToken>>();
	private readonly renewBeforeMs: number;
	private readonly now: () => number;

	constructor(options: TokenCacheOptions = {}) {
		this.renewBeforeMs = options.renewBeforeMs ?? 5 * 60 * 1000;
		this.now = options.now ?? Date.now;
	}

	async get(key: string, fetchToken: () => Promise<IssuedToken>): Promise<string> {
		const cached = this.tokens.get(key);
		if (cached && cached.expiresAt - this.renewBeforeMs > this.now()) return cached.accessToken;
		let request = this.pending.get(key);
		if (!request) {
			request = fetchToken()
				.then((issued) => ({ accessToken: issued.accessToken, expiresAt: expiryFrom(issued.expiresIn, this.now()) }))
				.finally(() => this.pending.delete(key));
			this.pending.set(key, request);
		}
		const token = await request;
		this.tokens.set(key, token);
		return token.accessToken;
	}

	/** Forget a token the server refused, unless another caller already replaced it. */
	invalidate(key: string, accessToken?: string): void {
		const cached = this.tokens.get(key);
		if (cached && (accessToken === undefined || cached.accessToken === accessToken)) this.tokens.delete(key);
	}

	clear(): void {
		this.tokens.clear();
	}
}

/** Converts an OAuth `expires_in` (seconds) into an expiry instant, with a sane default. */
function expiryFrom(expiresInSeconds: unknown, now: number): number {
	const seconds = Number(expiresInSeconds);
	return now + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000;
}
