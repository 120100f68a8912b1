#!/usr/bin/env node
import { main } from '../dist/src/tui/main.js';

await main();
