import { SeededRandom } from './random';

/**
 * What an emulator does to a request that a fault rule matches:
 * - `status`: answer with this status (and body/headers) instead of handling the request;
 * - `reset`: destroy the connection before handling the request (nothing committed);
 * - `lostResponse`: handle the request (the write is committed), then destroy the connection
 *   instead of answering, as when a response is lost on the way back;
 * - `latency`: add this many milliseconds before handling.
 */
export type FaultKind = 'status' | 'reset' | 'lostResponse' | 'latency';

export interface FaultMatch {
	method?: string;
	/** Substring of the path (with query), or a regular expression source when it starts with '^'. */
	path?: string;
	/** Graph only: the mailbox the request addresses (case-insensitive). */
	mailbox?: string;
}

export interface FaultRule {
	kind: FaultKind;
	match?: FaultMatch;
	status?: number;
	body?: unknown;
	headers?: Record<string, string>;
	latencyMs?: number;
	/** Apply first on the Nth matching request (1-based). Default 1. */
	nth?: number;
	/** How many matching requests, from the Nth on, get the fault. Default 1; 0 = unlimited. */
	times?: number;
	/** Apply at random with this probability (then `nth` is ignored), from `seed`. */
	probability?: number;
	seed?: number;
}

export interface FaultDecision {
	rule: FaultRule;
}

interface ActiveRule {
	rule: FaultRule;
	seen: number;
	applied: number;
	random?: SeededRandom;
}

export interface RequestFacts {
	method: string;
	path: string;
	mailbox?: string;
}

export class FaultInjector {
	private rules: ActiveRule[] = [];

	add(rule: FaultRule): void {
		validateRule(rule);
		this.rules.push({
			rule,
			seen: 0,
			applied: 0,
			random: rule.probability !== undefined ? new SeededRandom(rule.seed ?? 1) : undefined,
		});
	}

	clear(): void {
		this.rules = [];
	}

	list(): Array<FaultRule & { seen: number; applied: number }> {
		return this.rules.map((r) => ({ ...r.rule, seen: r.seen, applied: r.applied }));
	}

	/** Every rule that applies to this request (latency rules add up; the first other rule wins). */
	decide(facts: RequestFacts): { latencyMs: number; fault?: FaultRule } {
		let latencyMs = 0;
		let fault: FaultRule | undefined;
		for (const active of this.rules) {
			if (!matches(active.rule.match, facts)) continue;
			active.seen++;
			const limit = active.rule.times ?? 1;
			if (limit !== 0 && active.applied >= limit) continue;
			const due = active.random
				? active.random.chance(active.rule.probability ?? 0)
				: active.seen >= (active.rule.nth ?? 1);
			if (!due) continue;
			if (active.rule.kind === 'latency') {
				active.applied++;
				latencyMs += active.rule.latencyMs ?? 0;
			} else if (!fault) {
				active.applied++;
				fault = active.rule;
			}
		}
		return { latencyMs, fault };
	}
}

function matches(match: FaultMatch | undefined, facts: RequestFacts): boolean {
	if (!match) return true;
	if (match.method && match.method.toUpperCase() !== facts.method.toUpperCase()) return false;
	if (match.mailbox && match.mailbox.toLowerCase() !== (facts.mailbox ?? '').toLowerCase()) return false;
	if (match.path) {
		if (match.path.startsWith('^')) {
			if (!new RegExp(match.path).test(facts.path)) return false;
		} else if (!facts.path.includes(match.path)) {
			return false;
		}
	}
	return true;
}

function validateRule(rule: FaultRule): void {
	const kinds: FaultKind[] = ['status', 'reset', 'lostResponse', 'latency'];
	if (!kinds.includes(rule.kind)) throw new Error(`Unknown fault kind "${String(rule.kind)}"`);
	if (rule.kind === 'status' && !(Number.isInteger(rule.status) && (rule.status ?? 0) >= 400)) {
		throw new Error('A status fault needs a status of 400 or more');
	}
	if (rule.kind === 'latency' && !(typeof rule.latencyMs === 'number' && rule.latencyMs >= 0)) {
		throw new Error('A latency fault needs latencyMs ≥ 0');
	}
	if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
		throw new Error('probability must be between 0 and 1');
	}
}
