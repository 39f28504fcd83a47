/**
 * Repr-Digest (RFC 9530 §3) for the representations serveStatic sends: SHA-256 and SHA-512 of
 * the selected representation's bytes (after any content coding, so a gzip variant has its own),
 * computed once per file version and kept beside it, so a client can check a download end to
 * end, across resumes and byte ranges (a 206 carries the digest of the whole representation).
 *
 * Bytes already in memory (small files, compressed copies) are hashed on their first request:
 * at most 64 KiB, tens of microseconds, once. A file on disk is hashed in the background, one at
 * a time, through the file table's checked open; responses go out without the field until the
 * digest is known, then carry it ("sent once known"). A file that changes while it is hashed
 * gives no digest: its next version gets one.
 *
 * Want-Repr-Digest (RFC 9530 §4) chooses the algorithm: the highest non-zero preference among
 * sha-256 and sha-512; an algorithm it rates 0 is never sent; without the field, sha-256.
 */
import { close, fstat, read } from "node:fs";
import { trimOws } from "../http/header-fields.js";
import { getField } from "../http/header-lookup.js";
import type { RequestHead } from "../http/types.js";
import type { Representation } from "./representation.js";
import { nodeCrypto } from "../util/lazy-builtin.js";

/** Files hashed at once (each reads sequentially; more would only share the disk). */
const HASH_CONCURRENCY = 1;
/** Files waiting to be hashed, at most; past it a request schedules nothing (a later one will). */
const HASH_QUEUE_MAX = 64;
/** Read size while hashing; one buffer per job, reused. */
const READ_BYTES = 256 * 1024;

type Algorithm = "sha-256" | "sha-512";
const ALGORITHMS: readonly Algorithm[] = ["sha-256", "sha-512"];

/** Both digests of one version, as the field's members (`sha-256=:base64:`). */
interface Digests {
  readonly "sha-256": string;
  readonly "sha-512": string;
}

/** The digests of representations, and the variants of them that carry the field. */
export class ReprDigests {
  /** By the version's identity: its bytes in memory, or its entry's open function. */
  readonly #known = new WeakMap<object, Digests | "pending">();
  /** `rep` with its Repr-Digest line, per algorithm sent. */
  readonly #withField: Record<Algorithm, WeakMap<Representation, Representation>> = {
    "sha-256": new WeakMap(),
    "sha-512": new WeakMap(),
  };
  readonly #queue: (() => Promise<void>)[] = [];
  #running = 0;

  /**
   * `rep` as this request should get it: with a Repr-Digest line in its header blocks when its
   * digest is known and wanted, else `rep` itself (scheduling the digest when it is not known).
   */
  forRequest(head: RequestHead, rep: Representation): Representation {
    const want = getField(head, "want-repr-digest");
    // The usual request (no preference, digest known): one lookup.
    const usual = want === undefined ? this.#withField["sha-256"].get(rep) : undefined;
    if (usual !== undefined) return usual;
    const algorithm = chooseAlgorithm(want);
    if (algorithm === undefined) return rep;
    let out = this.#withField[algorithm].get(rep);
    if (out === undefined) {
      const digests = this.#digestsOf(rep);
      if (digests === undefined) return rep;
      const line = `Repr-Digest: ${digests[algorithm]}\r\n`;
      out = {
        ...rep,
        validatorBlock: line + rep.validatorBlock,
        headerBlock: `Content-Type: ${rep.contentType}\r\n${rep.encodingLine}${line}${rep.validatorBlock}`,
      };
      this.#withField[algorithm].set(rep, out);
    }
    return out;
  }

  #digestsOf(rep: Representation): Digests | undefined {
    const key: object = rep.bytes ?? rep.open;
    const known = this.#known.get(key);
    if (known !== undefined) return known === "pending" ? undefined : known;
    if (rep.bytes !== undefined) {
      const hashes = new BothHashes();
      hashes.update(rep.bytes);
      const digests = hashes.digests();
      this.#known.set(key, digests);
      return digests;
    }
    if (this.#queue.length >= HASH_QUEUE_MAX) return undefined;
    this.#known.set(key, "pending");
    this.#queue.push(() =>
      hashFile(rep).then(
        (digests) => void this.#known.set(key, digests),
        // Changed, vanished or unreadable: no digest for this version (it is kept "pending", so
        // it is not read again; a new version of the file is a new key).
        () => undefined,
      ),
    );
    this.#next();
    return undefined;
  }

  #next(): void {
    while (this.#running < HASH_CONCURRENCY && this.#queue.length > 0) {
      const job = this.#queue.shift() as () => Promise<void>;
      this.#running++;
      void job().finally(() => {
        this.#running--;
        this.#next();
      });
    }
  }
}

/** The algorithm to send for a Want-Repr-Digest value (undefined: send none). */
export function chooseAlgorithm(want: string | undefined): Algorithm | undefined {
  if (want === undefined) return "sha-256";
  // A Dictionary of integers 0-10 (RFC 8941 §3.2, RFC 9530 §4); malformed members are ignored.
  const weights = new Map<string, number>();
  for (const member of want.split(",")) {
    const m = /^([a-z*][a-z0-9_\-.*]*)=(\d{1,2})(?:;.*)?$/.exec(trimOws(member));
    if (m !== null && Number(m[2]) <= 10) weights.set(m[1] as string, Number(m[2]));
  }
  let best: Algorithm | undefined;
  let bestWeight = 0;
  for (const algorithm of ALGORITHMS) {
    // Not named: below any named preference, but still acceptable (§4 lets a server choose).
    const weight = weights.get(algorithm) ?? 0.5;
    if (weight > bestWeight) {
      best = algorithm;
      bestWeight = weight;
    }
  }
  return best;
}

/** Both hashes over the same bytes, in one pass. */
class BothHashes {
  readonly #sha256 = nodeCrypto().createHash("sha256");
  readonly #sha512 = nodeCrypto().createHash("sha512");

  update(bytes: Uint8Array): void {
    this.#sha256.update(bytes);
    this.#sha512.update(bytes);
  }

  digests(): Digests {
    return {
      "sha-256": `sha-256=:${this.#sha256.digest("base64")}:`,
      "sha-512": `sha-512=:${this.#sha512.digest("base64")}:`,
    };
  }
}

/**
 * Reads the file behind `rep` once, start to end, into both hashes; rejects if it is not the
 * version `rep` describes (size and mtime checked before and after, length read exactly).
 */
function hashFile(rep: Representation): Promise<Digests> {
  return new Promise((resolve, reject) => {
    rep.open((err, fd) => {
      if (err !== null) return reject(err);
      const hashes = new BothHashes();
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      let position = 0;
      const finish = (failure: Error | null): void =>
        close(fd, () => (failure !== null ? reject(failure) : resolve(hashes.digests())));
      const sameVersion = (then: () => void): void =>
        fstat(fd, (e, s) => {
          if (e !== null) return finish(e);
          if (s.size !== rep.size || s.mtimeMs !== rep.mtimeMs) {
            return finish(new Error("changed while hashed"));
          }
          then();
        });
      const step = (): void => {
        if (position === rep.size) return sameVersion(() => finish(null));
        read(fd, buffer, 0, Math.min(READ_BYTES, rep.size - position), position, (e, n) => {
          if (e !== null) return finish(e);
          if (n === 0) return finish(new Error("shorter than its size"));
          hashes.update(buffer.subarray(0, n));
          position += n;
          step();
        });
      };
      sameVersion(step);
    });
  });
}
