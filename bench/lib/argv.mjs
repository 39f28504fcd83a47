// Command-line options shared by the bench scripts: `--name value` options, boolean flags, and
// `-h`/`--help` printing the script's help and exiting.

/** Parses process.argv; prints `help` and exits 0 on -h/--help. */
export function benchArgv(help) {
  const argv = process.argv.slice(2);
  const flag = (name) => argv.includes(name);
  const option = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
  };
  if (flag("-h") || flag("--help")) {
    process.stdout.write(help);
    process.exit(0);
  }
  return { argv, flag, option };
}
