#!/usr/bin/env node
import { main } from '../dist/src/shell/main.js';

await main();
