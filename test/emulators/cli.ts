/**
 * `npm run emulators`: starts the LN and Graph emulators on fixed ports, seeds a generated demo
 * tenant and prints the endpoints and credentials as KEY=value lines (stdout). Runs until SIGINT or
 * SIGTERM (then exit 0). Run it under `node scripts/tls.js …` so clients trust the Graph emulator's
 * certificate. `node --import tsx` keeps it one process, so a signal to the wrapper reaches it and
 * the exit code is 0; through `npx tsx` npm's exec wrapper sits in between (see the npm script).
 *
 *   node scripts/tls.js node --import tsx test/emulators/cli.ts [--ln-port 8081] [--graph-port 8443]
 *     [--size s|m|l | --users N --contacts N --activities N --events N] [--seed N] [--latency-ms N]
 *     [--now ISO] [--company 100] [--horizon-days N]
 */
import { generateTenant, sizeOptions, type GeneratedTenant, type SizeName, SIZES } from './generator';
import { GraphEmulator } from './graph/emulator';
import { LnEmulator } from './ln/emulator';

const { ensureTestCertificate } = require('../../scripts/tls.js') as { ensureTestCertificate(): { keyPath: string; certPath: string } };

export const DEFAULT_LN_PORT = 8081;
export const DEFAULT_GRAPH_PORT = 8443;
/** The demo scenario: 5 users, 40 contacts, 20 activities, 20 events. */
export const DEMO_SIZE: SizeName = 's';

export interface StartEmulatorsOptions {
	/** Default 8081; 0 = a free port. */
	lnPort?: number;
	/** Default 8443; 0 = a free port. */
	graphPort?: number;
	/** Default '127.0.0.1'. */
	host?: string;
	/** Preset size (default 's'); the counts below override it. */
	size?: SizeName;
	users?: number;
	contacts?: number;
	activities?: number;
	events?: number;
	attendeesPerActivity?: number;
	horizonDays?: number;
	/** Generator seed; default 1. */
	seed?: number;
	/** Added to every request of both emulators. */
	latencyMs?: number;
	/** ISO instant the data is relative to; default the current minute. */
	now?: string;
	/** LN company; default '100'. */
	company?: string;
}

/** The variables printed by the CLI, in print order. */
export const ENV_KEYS = [
	'LN_ION_API_URL',
	'LN_TOKEN_URL',
	'GRAPH_BASE_URL',
	'GRAPH_LOGIN_URL',
	'LN_IONAPI',
	'LN_COMPANY',
	'GRAPH_TENANT_ID',
	'GRAPH_CLIENT_ID',
	'GRAPH_CLIENT_SECRET',
] as const;
export type EmulatorEnv = Record<(typeof ENV_KEYS)[number], string>;

export interface RunningEmulators {
	ln: LnEmulator;
	graph: GraphEmulator;
	env: EmulatorEnv;
	tenant: GeneratedTenant;
	stop(): Promise<void>;
}

/** Starts and seeds both emulators; `stop()` stops both (idempotent). */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
	const preset = sizeOptions(options.size ?? DEMO_SIZE);
	const now = options.now ?? new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
	const company = options.company ?? '100';
	const tenant = generateTenant({
		seed: options.seed ?? 1,
		now,
		company,
		users: options.users ?? preset.users,
		contacts: options.contacts ?? preset.contacts,
		activities: options.activities ?? preset.activities,
		events: options.events ?? preset.events,
		attendeesPerActivity: options.attendeesPerActivity,
		horizonDays: options.horizonDays,
	});
	const host = options.host ?? '127.0.0.1';
	const ln = new LnEmulator({ port: options.lnPort ?? DEFAULT_LN_PORT, host });
	const graph = new GraphEmulator({ port: options.graphPort ?? DEFAULT_GRAPH_PORT, host, tls: ensureTestCertificate() });
	await ln.start();
	try {
		await graph.start();
	} catch (error) {
		await ln.stop();
		throw error;
	}
	let stopped: Promise<void> | undefined;
	const stop = (): Promise<void> => (stopped ??= Promise.all([ln.stop(), graph.stop()]).then(() => undefined));
	try {
		ln.seed(tenant.ln);
		graph.seed(tenant.graph);
		ln.latencyMs = options.latencyMs ?? 0;
		graph.latencyMs = options.latencyMs ?? 0;
	} catch (error) {
		await stop();
		throw error;
	}
	const ionapi = ln.ionapi();
	const app = graph.app;
	const env: EmulatorEnv = {
		LN_ION_API_URL: ionapi.iu,
		LN_TOKEN_URL: `${ionapi.pu}${ionapi.ot}`,
		GRAPH_BASE_URL: graph.url,
		GRAPH_LOGIN_URL: graph.loginUrl,
		LN_IONAPI: JSON.stringify(ionapi),
		LN_COMPANY: company,
		GRAPH_TENANT_ID: graph.tenantId,
		GRAPH_CLIENT_ID: app.clientId,
		GRAPH_CLIENT_SECRET: app.clientSecret,
	};
	return { ln, graph, env, tenant, stop };
}

/** `KEY=value` lines, one per variable, in ENV_KEYS order. */
export function formatEnv(env: EmulatorEnv): string {
	return ENV_KEYS.map((key) => `${key}=${env[key]}`).join('\n');
}

const USAGE = `Usage: node scripts/tls.js node --import tsx test/emulators/cli.ts [options]
  --ln-port N         LN (ION API) port, default ${DEFAULT_LN_PORT}; 0 = any free port
  --graph-port N      Graph (https) port, default ${DEFAULT_GRAPH_PORT}; 0 = any free port
  --size s|m|l        tenant size (${Object.entries(SIZES)
	.map(([k, v]) => `${k}: ${v.users}/${v.contacts}/${v.activities}/${v.events}`)
	.join(', ')} users/contacts/activities/events), default s
  --users N --contacts N --activities N --events N   override the size
  --attendees N       attendees per activity (default 3)
  --horizon-days N    window of the generated data (default 90)
  --seed N            generator seed (default 1)
  --latency-ms N      latency added to every request
  --now ISO           instant the data is relative to (default: now)
  --company N         LN company (default 100)`;

const NUMERIC_FLAGS: Record<string, keyof StartEmulatorsOptions> = {
	'--ln-port': 'lnPort',
	'--graph-port': 'graphPort',
	'--users': 'users',
	'--contacts': 'contacts',
	'--activities': 'activities',
	'--events': 'events',
	'--attendees': 'attendeesPerActivity',
	'--horizon-days': 'horizonDays',
	'--seed': 'seed',
	'--latency-ms': 'latencyMs',
};

export class UsageError extends Error {}

/** Parses the command line (`--flag value` or `--flag=value`). */
export function parseArgs(argv: string[]): StartEmulatorsOptions & { help?: boolean } {
	const result: StartEmulatorsOptions & { help?: boolean } = {};
	for (let i = 0; i < argv.length; i++) {
		let flag = argv[i];
		let value: string | undefined;
		const eq = flag.indexOf('=');
		if (flag.startsWith('--') && eq > 0) {
			value = flag.slice(eq + 1);
			flag = flag.slice(0, eq);
		}
		if (flag === '--help' || flag === '-h') {
			result.help = true;
			continue;
		}
		const next = (): string => {
			if (value !== undefined) return value;
			const v = argv[++i];
			if (v === undefined) throw new UsageError(`${flag} needs a value`);
			return v;
		};
		if (flag in NUMERIC_FLAGS) {
			const text = next();
			const n = Number(text);
			if (text.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a whole number ≥ 0, not "${text}"`);
			(result as Record<string, unknown>)[NUMERIC_FLAGS[flag]] = n;
		} else if (flag === '--size') {
			const size = next();
			if (!(size in SIZES)) throw new UsageError(`--size must be one of ${Object.keys(SIZES).join(', ')}, not "${size}"`);
			result.size = size as SizeName;
		} else if (flag === '--now') {
			const now = next();
			if (Number.isNaN(Date.parse(now))) throw new UsageError(`--now needs an ISO instant, not "${now}"`);
			result.now = now;
		} else if (flag === '--company') {
			result.company = next();
		} else if (flag === '--host') {
			result.host = next();
		} else {
			throw new UsageError(`Unknown option "${flag}"`);
		}
	}
	return result;
}

async function main(): Promise<void> {
	let options: ReturnType<typeof parseArgs>;
	try {
		options = parseArgs(process.argv.slice(2));
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
		process.exit(2);
	}
	if (options.help) {
		process.stdout.write(`${USAGE}\n`);
		return;
	}
	// Handlers first: a signal that arrives while starting (or right after the lines are printed)
	// must still stop the emulators cleanly instead of killing the process.
	const state: { running?: RunningEmulators; stopping?: NodeJS.Signals } = {};
	const finish = (): void => {
		if (!state.running) return; // startEmulators() has not returned yet; main() calls finish() then
		state.running.stop().then(
			() => process.exit(0),
			(error) => {
				process.stderr.write(`${String(error?.stack ?? error)}\n`);
				process.exit(1);
			},
		);
	};
	const shutdown = (signal: NodeJS.Signals): void => {
		if (state.stopping) return;
		state.stopping = signal;
		process.stderr.write(`# ${signal}: stopping the emulators\n`);
		finish();
	};
	process.on('SIGINT', shutdown);
	process.on('SIGTERM', shutdown);
	const running = (state.running = await startEmulators(options));
	if (state.stopping) {
		finish();
		return;
	}
	process.stdout.write(`${formatEnv(running.env)}\n`);
	const s = running.tenant.summary;
	process.stderr.write(
		`# Emulators ready (seed ${s.seed}, now ${s.now}): ${s.users.sync} sync users, ${s.contacts.total} contacts, ` +
			`${s.activities.total} activities, ${s.events.total} events. Ctrl-C stops them.\n`,
	);
}

if (require.main === module) {
	main().catch((error) => {
		process.stderr.write(`${String(error?.stack ?? error)}\n`);
		process.exit(1);
	});
}
