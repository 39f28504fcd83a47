#!/usr/bin/env node
// The `tcpkit` command: runs the compiled CLI (npm install builds dist/). Node 22 LTS or newer
// (Node 24 LTS is the primary runtime), or Bun; an older Node gets one line saying what to do
// rather than a syntax or API error from deep inside.
const [major] = process.versions.node.split(".").map(Number);
if (process.versions.bun === undefined && major < 22) {
  process.stderr.write(
    `tcpkit: needs Node.js 22 or newer (this is ${process.versions.node}); ` +
      "install Node 24 LTS, or run it inside the clone with npm start / npx tcpkit, which use the Node 24 that npm install put in node_modules\n",
  );
  process.exit(1);
}
// V8's compiled code for tcpkit's modules is kept on disk (Node >= 22.1; in the OS temp folder)
// so that a short command does not spend most of its time compiling: `tcpkit get` of 100 small
// files waits 30-40 ms less.
const { default: module } = await import("node:module");
module.enableCompileCache?.();
const { main } = await import("../dist/cli/main.js");
main(process.argv.slice(2));
