/**
 * The browser form's POST (multipart/form-data, RFC 7578): every file part is streamed into its
 * own temporary file and moved into the folder when its part ends, so a body cut off in the
 * middle leaves the files before it whole and nothing of the one it was in. A name that exists
 * gets a free one ("a (1).txt") unless overwriting. The answer is 303 See Other back to the
 * listing (RFC 9110 §15.4.4), with the stored names in a short text body for scripts.
 */
import { extname } from "node:path";
import { getField } from "../http/header-lookup.js";
import type { RequestContext, RequestHead, ResponsePlan } from "../http/types.js";
import { formDataBoundary, MultipartParser, partDisposition } from "./multipart-parser.js";
import { refuse, statusForBodyError, tooLarge, type UploadSite } from "./upload-site.js";
import { encodeSegments } from "./upload-form.js";
import { TempFile, UploadError, uploadFolder } from "./upload-file.js";
import { nameProblem } from "./upload-name.js";

/** Free names tried after the first ("a (1).txt" ... "a (99).txt"). */
const MAX_RENAMES = 99;

export async function receiveForm(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  segments: readonly string[],
): Promise<ResponsePlan> {
  const boundary = formDataBoundary(getField(head, "content-type"));
  if (boundary === undefined) return refuse(415);
  if (tooLarge(site, context)) return refuse(413);
  let folder: string;
  try {
    folder = await uploadFolder(site.realRoot, site.realUploadDir, segments);
  } catch (err) {
    return refuse(statusForBodyError(err));
  }
  const body = context.body.stream({ limit: site.maxBytes });
  const parser = new MultipartParser(boundary);
  const stored: string[] = [];
  let temp: TempFile | undefined;
  let name = "";
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      for (const event of parser.write(chunk)) {
        switch (event.kind) {
          case "part": {
            const disposition = partDisposition(event.fields);
            const filename = disposition?.filename;
            // A field, or a file input left empty (filename=""): its bytes are skipped.
            if (filename === undefined || filename === "") break;
            if (nameProblem(filename, site.dotfiles) !== undefined) {
              throw new UploadError(400, "a refused file name");
            }
            name = filename;
            temp = await TempFile.create(site.realUploadDir, folder);
            break;
          }
          case "data":
            if (temp !== undefined) await temp.write(event.bytes);
            break;
          case "part-end":
            if (temp !== undefined) {
              const done = temp;
              temp = undefined;
              await done.finish().catch(async (err: unknown) => {
                await done.discard();
                throw err;
              });
              stored.push(await commitFree(done, folder, name, site.overwrite));
            }
            break;
          case "done":
            break;
        }
      }
    }
    parser.end();
  } catch (err) {
    await temp?.discard();
    body.destroy();
    return refuse(statusForBodyError(err));
  }
  const location = encodeSegments(segments) + "/";
  return {
    status: 303,
    headers: `Location: ${location}\r\nContent-Type: text/plain; charset=utf-8\r\n`,
    body: { kind: "bytes", bytes: Buffer.from(stored.map((n) => `${n}\n`).join(""), "utf8") },
  };
}

/** Commits `temp` as `name`, or the first free "name (n).ext"; the name it got. */
async function commitFree(
  temp: TempFile,
  folder: string,
  name: string,
  overwrite: boolean,
): Promise<string> {
  if (overwrite) {
    await commitOrDiscard(temp, () => temp.commit(folder, name, true));
    return name;
  }
  const ext = extname(name) === name ? "" : extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; n <= MAX_RENAMES; n++) {
    const candidate = n === 0 ? name : `${stem} (${n})${ext}`;
    if (Buffer.byteLength(candidate, "utf8") > 255) break;
    try {
      await temp.commit(folder, candidate, false);
      return candidate;
    } catch (err) {
      if (!(err instanceof UploadError && err.status === 409)) {
        await temp.discard();
        throw err;
      }
    }
  }
  await temp.discard();
  throw new UploadError(409, "no free name");
}

async function commitOrDiscard(temp: TempFile, commit: () => Promise<unknown>): Promise<void> {
  try {
    await commit();
  } catch (err) {
    await temp.discard();
    throw err;
  }
}
