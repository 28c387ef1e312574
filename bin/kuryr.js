#!/usr/bin/env node
// Entry point installed as `kuryr`; the program is compiled to dist/ by `npm run build`.
import { main } from '../dist/cli/index.js';

await main(process.argv);
