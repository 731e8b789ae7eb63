#!/usr/bin/env node
// The published entry point: the CLI bundled by `npm run build` (scripts/build.mjs).
import '../dist/redis-ferry.mjs';
