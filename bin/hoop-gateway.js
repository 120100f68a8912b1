#!/usr/bin/env node
import { main } from '../dist/src/gateway-cli/main.js';

await main();
