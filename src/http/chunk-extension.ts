/**
 * The chunk-extension grammar of RFC 9112 §7.1.1, byte by byte, for chunked decoders (pure):
 *
 *   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *   chunk-ext-name = token
 *   chunk-ext-val  = token / quoted-string
 *
 * Extensions carry nothing tcpkit uses, but they must be parsed exactly: a decoder that lets the
 * line end at the first CR or LF inside an unterminated quoted-string (`2;a="\r\nXX\r\n0...`)
 * reads a different message boundary than one that follows the grammar, which is how a request
 * or response is smuggled inside a body.
 */
import { TCHAR } from "./header-fields.js";

/**
 * Where the scanner is, after the chunk-size digits:
 * - `size`: right after the digits (a CRLF ends the line, BWS or ";" start an extension);
 * - `before-semi`: BWS seen, a ";" must follow;
 * - `name-start`: after ";" (BWS, then a token);
 * - `name`: inside the extension name;
 * - `after-name`: BWS after a name, "=" or ";" must follow;
 * - `value-start`: after "=" (BWS, then a token or a quoted-string);
 * - `token-value`, `quoted`, `quoted-pair`, `after-quoted`: inside or after the value.
 */
export type ChunkExtState =
  | "size"
  | "before-semi"
  | "name-start"
  | "name"
  | "after-name"
  | "value-start"
  | "token-value"
  | "quoted"
  | "quoted-pair"
  | "after-quoted";

/** The next state, "end" when `byte` (CR or LF) ends the chunk-size line, or an error message. */
export type ChunkExtStep = ChunkExtState | "end" | { readonly error: string };

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

const isBws = (b: number): boolean => b === SP || b === HTAB;
const isTchar = (b: number): boolean => TCHAR[b] === 1;
const isLineEnd = (b: number): boolean => b === CR || b === LF;
/** qdtext (RFC 9110 §5.6.4): HTAB, SP, "!", "#"-"[", "]"-"~", obs-text. */
const isQdtext = (b: number): boolean =>
  b === HTAB ||
  b === SP ||
  b === 0x21 ||
  (b >= 0x23 && b <= 0x5b) ||
  (b >= 0x5d && b <= 0x7e) ||
  b >= 0x80;
/** What may follow "\" in a quoted-pair: HTAB, SP, VCHAR, obs-text. */
const isQuotable = (b: number): boolean => b === HTAB || (b >= 0x20 && b !== 0x7f);

/** Advances the chunk-size line scanner past the digits by one byte. */
export function stepChunkExt(state: ChunkExtState, byte: number): ChunkExtStep {
  switch (state) {
    case "size":
    case "token-value":
    case "after-quoted":
      if (isLineEnd(byte)) return "end";
      if (byte === SEMI) return "name-start";
      if (isBws(byte)) return "before-semi";
      if (state === "token-value" && isTchar(byte)) return "token-value";
      return bad(state === "size" ? "malformed chunk size" : "malformed chunk extension", byte);
    case "before-semi":
      if (isBws(byte)) return state;
      if (byte === SEMI) return "name-start";
      return bad("malformed chunk extension", byte);
    case "name-start":
      if (isBws(byte)) return state;
      if (isTchar(byte)) return "name";
      return bad("malformed chunk extension name", byte);
    case "name":
    case "after-name":
      if (state === "name" && isTchar(byte)) return "name";
      if (isBws(byte)) return "after-name";
      if (byte === EQUALS) return "value-start";
      if (byte === SEMI) return "name-start";
      if (state === "name" && isLineEnd(byte)) return "end";
      return bad("malformed chunk extension", byte);
    case "value-start":
      if (isBws(byte)) return state;
      if (byte === DQUOTE) return "quoted";
      if (isTchar(byte)) return "token-value";
      return bad("malformed chunk extension value", byte);
    case "quoted":
      if (byte === DQUOTE) return "after-quoted";
      if (byte === BACKSLASH) return "quoted-pair";
      if (isQdtext(byte)) return state;
      return bad("unterminated or malformed quoted-string in a chunk extension", byte);
    case "quoted-pair":
      if (isQuotable(byte)) return "quoted";
      return bad("malformed quoted-pair in a chunk extension", byte);
  }
}

function bad(what: string, byte: number): { error: string } {
  return { error: `${what} (byte 0x${byte.toString(16).padStart(2, "0")})` };
}
