// `npm run test:model -- --runs N --seed S [--path P] [--steps K] [--shrink] [--replay '<counterexample>' [--at ISO]]`:
// the model test of the sync (test/model/model.test.ts) with as many random edit sequences as asked.
// A failure prints its seed, path and the (shrunk, with --shrink) sequence; `--seed S --path P`
// replays it, `--replay` runs a printed counterexample as it is (from the clock `--at` the failure printed).
const { spawn } = require('node:child_process');
const path = require('node:path');

const { tlsEnvironment } = require('./tls.js');

const options = { runs: '100', seed: String(Date.now() % 2147483647), steps: '12' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
	const name = args[i].replace(/^--/, '');
	if (name === 'shrink') options.shrink = '1';
	else if (['runs', 'seed', 'path', 'steps', 'replay', 'watch', 'at'].includes(name) && args[i + 1] !== undefined) options[name] = args[++i];
	else {
		console.error(`Unknown option ${args[i]}. Use --runs N --seed S [--path P] [--steps K] [--shrink] [--replay JSON [--at ISO]] [--watch ACT1,ACT2]`);
		process.exit(2);
	}
}
console.log(`model: ${options.runs} sequences of up to ${options.steps} steps, seed ${options.seed}${options.path ? `, path ${options.path}` : ''}`);
const env = tlsEnvironment({
	...process.env,
	MODEL_RUNS: options.runs,
	MODEL_SEED: options.seed,
	MODEL_STEPS: options.steps,
	...(options.path ? { MODEL_PATH: options.path } : {}),
	...(options.shrink ? { MODEL_SHRINK: '1' } : {}),
	...(options.replay ? { MODEL_REPLAY: options.replay } : {}),
	...(options.watch ? { MODEL_WATCH: options.watch } : {}),
	...(options.at ? { MODEL_AT: options.at } : {}),
});
const jest = require.resolve('jest/bin/jest');
const child = spawn(process.execPath, [jest, '--runInBand', path.join('test', 'model', 'model.test.ts')], { stdio: 'inherit', env, cwd: path.join(__dirname, '..') });
child.on('exit', (code) => process.exit(code ?? 1));
