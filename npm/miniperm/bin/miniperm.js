#!/usr/bin/env node
'use strict';
// `npx miniperm ...`: runs the platform binary with the same arguments, stdio and exit code.

const { spawnSync } = require('node:child_process');
const { binaryPath, MinipermError } = require('../index.js');

let bin;
try {
  bin = binaryPath();
} catch (e) {
  process.stderr.write(`miniperm: ${e instanceof MinipermError ? e.message : e}\n`);
  process.exit(3);
}
const res = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
if (res.error) {
  process.stderr.write(`miniperm: cannot run \`${bin}\`: ${res.error.message}\n`);
  process.exit(3);
}
if (res.signal) process.kill(process.pid, res.signal);
process.exit(res.status === null ? 3 : res.status);
