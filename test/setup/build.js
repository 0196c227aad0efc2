// The workflow and model tests load the package as users install it, from dist/. A fresh clone has
// no dist/, and an edited source makes it stale: build once before the tests when either is the case.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const SOURCES = ['credentials', 'nodes', 'lib', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'gulpfile.js'];
const DIST = path.join(ROOT, 'dist');

function newestChange(entry) {
	const stat = fs.statSync(entry);
	if (!stat.isDirectory()) return stat.mtimeMs;
	return fs.readdirSync(entry).reduce((newest, name) => Math.max(newest, newestChange(path.join(entry, name))), stat.mtimeMs);
}

module.exports = function buildIfStale() {
	const sources = Math.max(...SOURCES.map((entry) => newestChange(path.join(ROOT, entry))));
	// `npm run build` empties dist/ first, so its newest file tells when the last build ran.
	const built = fs.existsSync(path.join(DIST, 'nodes')) ? newestChange(DIST) : 0;
	if (built >= sources) return;
	process.stdout.write(`\n${built ? 'dist/ is older than the sources' : 'No dist/ yet'}: npm run build\n`);
	execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
};
