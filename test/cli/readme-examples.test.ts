/**
 * Issue 13: "the README's examples run as written". Every line of every ```sh block in README.md
 * that runs tcpkit (or a tool beside it: curl, htpasswd, kill, tar) is run here, in README order,
 * through bash in a folder holding the files the examples name (public/, site/, dist/, share/,
 * cert.pem, urls.txt, ...), with `tcpkit` on PATH the way `npm link` puts it there: a link to
 * bin/tcpkit.js, started by its `#!/usr/bin/env node` line. Servers (serve, echo-server) must
 * print their readiness line (and what the README says they print); every other line must exit 0.
 *
 * The only changes made to a line are in REWRITES below, each with its reason (durations cut
 * short, a password typed at a prompt). Client-only blocks (get, echo, check) run against the
 * servers that the README's own lines start, named in FIXTURES.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CLI_PATH, REPO_ROOT } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";
import { makeSelfSignedCert } from "../support/tls-cert.js";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

/** Lines of ```sh blocks, by block, without npm's set-up lines (the whole suite is that). */
function shellBlocks(): string[][] {
  const blocks: string[][] = [];
  for (const m of README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const lines = (m[1] as string)
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("npm "));
    if (lines.length > 0) blocks.push(lines);
  }
  return blocks;
}

/** The ```ts blocks: library examples. */
function typescriptBlocks(): string[] {
  return [...README.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** A README line's command, without its trailing comment. */
const commandOf = (line: string): string => line.replace(/\s+#\s.*$/, "");
const commentOf = (line: string): string => /\s#\s(.*)$/.exec(line)?.[1] ?? "";
/** A line that starts a server (`--print-ca` prints and exits, as a client line does). */
const isServer = (command: string): boolean =>
  /^tcpkit (serve|echo-server)\b/.test(command) && !/ --print-ca\b/.test(command);

/** What the test types instead of the README's line, and why. */
const REWRITES: [RegExp, string, string][] = [
  [
    /^htpasswd -cB users alice$/,
    "htpasswd -cbB users alice s3cret",
    "the password prompt needs a terminal",
  ],
  [
    / -d (10|30)s\b/,
    " -d 1s",
    "a second of load shows the flags work; the README's 10-30 s do not add to that",
  ],
  [/ --bench 1G\b/, " --bench 64M", "64 MiB through loopback shows the same as 1 GiB, faster"],
];

function rewrite(command: string): string {
  let out = command;
  for (const [pattern, replacement] of REWRITES) out = out.replace(pattern, replacement);
  return out;
}

/** The servers a client-only block expects, as the README's own server lines. */
const FIXTURES: [RegExp, string[]][] = [
  [
    /^tcpkit (get|check) /,
    [
      "tcpkit serve ./public --port 8080",
      "tcpkit serve . --tls-cert cert.pem --tls-key key.pem --port 8443",
    ],
  ],
  [/^(tar c src \| )?tcpkit echo /, ["tcpkit echo-server", "tcpkit echo-server --host ::1 --udp"]],
  [/^(tar c src \| )?tcpkit put /, ["tcpkit serve ./share --upload=incoming"]],
];

/** What a line must have done, beyond exiting 0 (for lines whose effect can be seen). */
const OUTCOMES: [RegExp, (output: string) => Promise<void> | void][] = [
  [
    /^curl -T photo\.jpg /,
    () => assert.equal(statSync(join(dir, "share/incoming/photo.jpg")).size, 4096),
  ],
  [
    /^curl -F file=@a\.txt /,
    () =>
      assert.deepEqual(
        ["a.txt", "b.txt"].map((n) => readFileSync(join(dir, "share/incoming", n), "utf8")),
        ["a\n", "b\n"],
      ),
  ],
  [
    /^tcpkit get http:\/\/127\.0\.0\.1:8080\/big\.iso/,
    () =>
      assert.ok(
        readFileSync(join(dir, "big.iso")).equals(readFileSync(join(dir, "public/big.iso"))),
      ),
  ],
  [/^tcpkit get -qO- https:/, (output) => assert.match(output, /<!doctype html>/i)],
  [
    /^tcpkit get --trace --include /,
    (output) => {
      assert.match(output, /^HTTP\/1\.1 200 OK$/m); // the head on stdout
      assert.match(output, /> GET \/notes\.txt HTTP\/1\.1/); // the trace on stderr
      assert.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "notes\n");
    },
  ],
  [
    /^tar c src \| tcpkit echo /,
    async () => {
      const list = await listTar(join(dir, "copy.tar"));
      assert.match(list, /^src\/a\.ts$/m);
    },
  ],
  [
    /^pkill -USR1 /,
    async () => {
      const echoServer = running.find((r) => r.command === "tcpkit echo-server");
      assert.ok(echoServer !== undefined, "tcpkit echo-server is not running for pkill");
      await waitFor(
        () => /top \d+ open clients by bytes/.test(echoServer.output()),
        "the SIGUSR1 report",
      );
    },
  ],
  [
    /^tcpkit put report\.pdf /,
    () =>
      assert.ok(
        readFileSync(join(dir, "share/incoming/report.pdf")).equals(
          readFileSync(join(dir, "report.pdf")),
        ),
      ),
  ],
  [
    /^tcpkit put -c disk\.img /,
    () =>
      assert.ok(
        readFileSync(join(dir, "share/incoming/disk.img")).equals(
          readFileSync(join(dir, "disk.img")),
        ),
      ),
  ],
  [
    /^tar c src \| tcpkit put /,
    async () => assert.match(await listTar(join(dir, "share/incoming/src.tar")), /^src\/a\.ts$/m),
  ],
  [/^tcpkit echo localhost 7007 hello/, (output) => assert.match(output, /Received: hello/)],
  [/^tcpkit check /, (output) => assert.doesNotMatch(output, /\bFAIL\b/)],
  [
    /^tcpkit serve .* --print-ca/,
    (output) => {
      assert.match(output, /SHA-256/i);
      assert.match(output, /\.cache\/tcpkit\//);
    },
  ],
];

function listTar(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", ["tf", path], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`tar tf: exit ${code}`)),
    );
  });
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`no ${what} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where a server line listens, for stopping the one before it on the same address. */
function addressOf(command: string): { host: string; port: number } {
  const port = /(?:--port|-p) (\d+)/.exec(command)?.[1];
  const defaultPort = command.startsWith("tcpkit echo-server") ? 7007 : 8080;
  const host = /--host (\S+)/.exec(command)?.[1] ?? "127.0.0.1";
  return { host, port: port === undefined ? defaultPort : Number(port) };
}

/** Whether two servers would ask for the same socket (a wildcard address takes every one). */
function clash(a: string, b: string): boolean {
  const x = addressOf(a);
  const y = addressOf(b);
  const wildcard = (h: string): boolean => h === "0.0.0.0" || h === "::";
  return (
    x.port === y.port && x.port !== 0 && (x.host === y.host || wildcard(x.host) || wildcard(y.host))
  );
}

interface Running {
  command: string;
  child: ChildProcess;
  output(): string;
}

let dir: string;
let env: NodeJS.ProcessEnv;
const running: Running[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tcpkit-readme-"));
  const bin = join(dir, ".bin");
  mkdirSync(bin);
  // `npm link` puts a `tcpkit` link to bin/tcpkit.js on PATH; its first line runs `node`. The
  // `node` found first is the runtime under test (Node, or Bun, which acts as node by that name).
  symlinkSync(CLI_PATH, join(bin, "tcpkit"));
  symlinkSync(CLI_RUNTIME, join(bin, "node"));
  // `--open` runs xdg-open: this stand-in records the URL instead of starting a browser.
  writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\necho "$1" >> "${join(dir, "opened.txt")}"\n`, {
    mode: 0o755,
  });
  // HOME in the folder: `--tls auto` makes its CA under ~/.cache/tcpkit.
  env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, NO_COLOR: "1", HOME: dir };
  delete env.XDG_CACHE_HOME;
  for (const sub of ["public", "site", "dist", "share/incoming", "src"])
    mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "public/index.html"), "<!doctype html><title>public</title><p>hello\n");
  writeFileSync(join(dir, "public/notes.txt"), "notes\n");
  writeFileSync(join(dir, "public/big.iso"), Buffer.alloc(3 * 1024 * 1024, 0x5a));
  writeFileSync(join(dir, "site/index.html"), "<!doctype html><title>site</title><p>site\n");
  writeFileSync(
    join(dir, "dist/index.html"),
    "<!doctype html><title>app</title><div id=app></div>\n",
  );
  writeFileSync(join(dir, "src/a.ts"), "export const a = 1;\n");
  writeFileSync(join(dir, "photo.jpg"), Buffer.alloc(4096, 0xff));
  writeFileSync(join(dir, "report.pdf"), Buffer.alloc(100_000, 0x25));
  writeFileSync(join(dir, "disk.img"), Buffer.alloc(3 * 1024 * 1024, 0xa5));
  writeFileSync(join(dir, "a.txt"), "a\n");
  writeFileSync(join(dir, "b.txt"), "b\n");
  writeFileSync(
    join(dir, "urls.txt"),
    "http://127.0.0.1:8080/notes.txt\nhttp://127.0.0.1:8080/index.html\n",
  );
  await makeSelfSignedCert(dir);
});

after(async () => {
  await stopAll(() => true);
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a README server line; resolves with it once it prints "listening on". */
function startServer(command: string): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", `exec ${command}`], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const onData = (c: Buffer): void => {
      out += c.toString("utf8");
      if (/listening on /.test(out)) {
        clearTimeout(timer);
        resolve(server);
      }
    };
    const server: Running = { command, child, output: () => out };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command}: not listening within 15 s: ${out}`));
    }, 15_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command}: exited ${code} before listening: ${out}`));
    });
  });
}

async function stopAll(which: (r: Running) => boolean): Promise<void> {
  for (const r of running.filter(which)) {
    running.splice(running.indexOf(r), 1);
    if (r.child.exitCode !== null || r.child.signalCode !== null) {
      assert.fail(`${r.command} died while running: ${r.output()}`);
    }
    const exited = new Promise<number | null>((res) => r.child.on("exit", (code) => res(code)));
    r.child.kill("SIGTERM");
    const code = await exited;
    assert.equal(code, 0, `${r.command}: exit ${code} on SIGTERM: ${r.output()}`);
  }
}

async function runServerLine(line: string): Promise<void> {
  const command = rewrite(commandOf(line));
  // The user stops the server before on the same port, as they would with Ctrl-C.
  await stopAll((r) => clash(r.command, command));
  const server = await startServer(command);
  running.push(server);
  if (/ --open\b/.test(command)) {
    const opened = join(dir, "opened.txt");
    await waitFor(
      () =>
        existsSync(opened) && /^http:\/\/127\.0\.0\.1:8080\/$/m.test(readFileSync(opened, "utf8")),
      "URL handed to xdg-open",
    );
  }
  // "# prints: X": X is what the server says, up to the absolute root folder.
  const said = /^prints: (.*)$/.exec(commentOf(line))?.[1];
  if (said !== undefined) {
    const expected = said.replace(/ \(root \/abs\/.*\)$/, "");
    assert.ok(
      server.output().includes(expected),
      `${command} printed ${JSON.stringify(server.output())}, README says ${said}`,
    );
  }
}

function runClientLine(
  line: string,
): Promise<{ code: number | null; output: string; stdout: string }> {
  const command = rewrite(commandOf(line));
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString("utf8");
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout });
    });
  });
}

describe("README examples, run as written", () => {
  const blocks = shellBlocks();

  it("finds the examples (serve, uploads, sharing, get, echo-server, echo, check)", () => {
    const all = blocks.flat().join("\n");
    for (const name of ["serve", "get", "put", "echo-server", "echo", "check"]) {
      assert.match(all, new RegExp(`^tcpkit ${name} `, "m"), `no tcpkit ${name} example found`);
    }
    assert.ok(blocks.length >= 8, `only ${blocks.length} sh blocks`);
  });

  it("every --help example is one of these lines, so it runs here too", async () => {
    const lines = new Set(blocks.flat().map(commandOf));
    const commands = ["serve", "get", "put", "echo-server", "echo", "check"];
    for (const name of commands) {
      const { stdout } = await runClientLine(`tcpkit ${name} --help`);
      const examples = stdout
        .slice(stdout.indexOf("\nExamples:\n"))
        .split("\n")
        .filter((l) => l.startsWith("  tcpkit "))
        .map((l) => commandOf(l.trim()).trim());
      assert.ok(examples.length >= 2, `tcpkit ${name} --help has ${examples.length} examples`);
      for (const example of examples) {
        assert.ok(
          lines.has(example),
          `tcpkit ${name} --help's example is not a README line: ${example}`,
        );
      }
    }
  });

  for (const [index, block] of blocks.entries()) {
    it(`block ${index + 1}: ${commandOf(block[0] as string)}`, { timeout: 240_000 }, async () => {
      const first = commandOf(block[0] as string);
      const fixtures = FIXTURES.find(([pattern]) => pattern.test(first))?.[1];
      if (fixtures !== undefined) {
        await stopAll(() => true);
        for (const fixture of fixtures) {
          const line = blocks.flat().find((l) => commandOf(l) === fixture);
          assert.ok(
            line !== undefined,
            `README has no line ${fixture} any more (a fixture of block ${index + 1})`,
          );
          await runServerLine(line);
        }
      }
      for (const line of block) {
        if (isServer(commandOf(line))) {
          await runServerLine(line);
          continue;
        }
        const { code, output } = await runClientLine(line);
        assert.equal(code, 0, `${line}\n exit ${code}:\n${output}`);
        const outcome = OUTCOMES.find(([pattern]) => pattern.test(commandOf(line)))?.[1];
        await outcome?.(output);
      }
    });
  }
});

/**
 * The library examples, type-checked against the package's own declarations and run on this
 * Node (which strips the types), importing "tcpkit" by the package's name as a user's project
 * would (a file inside the package resolves its own name through package.json "exports").
 */
describe("README library examples, type-checked and run", () => {
  const blocks = typescriptBlocks();
  let folder: string;
  let files: string[];

  before(() => {
    folder = mkdtempSync(join(REPO_ROOT, ".build", "readme-examples-"));
    files = blocks.map((code, i) => {
      const file = join(folder, `example-${i + 1}.mts`);
      writeFileSync(file, code);
      return file;
    });
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it("finds them", () => assert.ok(blocks.length >= 4, `only ${blocks.length} ts blocks`));

  it("type-checks every example (tsc --strict)", { timeout: 120_000 }, async () => {
    const tsc = join(REPO_ROOT, "node_modules/typescript/bin/tsc");
    const flags = [
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--target",
      "es2023",
      "--types",
      "node",
    ];
    const r = await runProcess(process.execPath, [tsc, ...flags, ...files], REPO_ROOT, 120_000);
    assert.equal(r.code, 0, r.output);
  });

  for (const [i, code] of blocks.entries()) {
    const title = code.split("\n").find((l) => l.startsWith("import")) ?? `block ${i + 1}`;
    it(`example ${i + 1} runs: ${title}`, { timeout: 60_000 }, async () => {
      // The download example fetches from the README's own `tcpkit serve ./public --port 8080`.
      const needsServer = code.includes("127.0.0.1:8080");
      if (needsServer) {
        await stopAll(() => true);
        await runServerLine("tcpkit serve ./public --port 8080");
      }
      // A server example that never closes (it would serve until stopped) passes when it is
      // still running, silent on stderr, after 3 s; every other example must exit 0.
      const serves = code.includes(".listen()") && !code.includes(".close()");
      const r = await runProcess(
        process.execPath,
        [files[i] as string],
        dir,
        serves ? 3_000 : 50_000,
      );
      if (serves) assert.equal(r.signal, "SIGKILL", `exited early (${r.code}): ${r.output}`);
      else assert.equal(r.code, 0, r.output);
      assert.doesNotMatch(r.stderr, /\S/, `stderr: ${r.stderr}`);
      if (needsServer) await stopAll(() => true);
    });
  }
});

function runProcess(
  exe: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString("utf8");
      stderr += c.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, stderr });
    });
  });
}
