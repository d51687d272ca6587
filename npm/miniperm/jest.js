'use strict';
// A Jest setup file: `"setupFilesAfterEnv": ["miniperm/jest"]` adds miniperm's matchers to
// `expect` in every test file.

const { matchers } = require('./matchers.js');

// eslint-disable-next-line no-undef
const target = typeof expect !== 'undefined' ? expect : require('@jest/globals').expect;
target.extend(matchers);
