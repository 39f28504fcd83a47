#!/usr/bin/env node
// The `tcpkit` command: runs the compiled CLI (npm install builds dist/).
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2));
