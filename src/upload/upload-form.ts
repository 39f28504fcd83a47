/**
 * The upload form a listing shows under the upload folder: plain HTML (multipart/form-data,
 * several files, works without JavaScript), posted to the folder itself.
 */
import { encodeSegment } from "../static/resolve-path.js";

/** Decoded segments as a URL path ("" for the root). */
export function encodeSegments(segments: readonly string[]): string {
  return segments.map((s) => "/" + encodeSegment(s)).join("");
}

/** `folderPath` is already percent-encoded (ListingExtra's contract); escaped again for HTML. */
export function uploadFormHtml(folderPath: string): string {
  const action = folderPath.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return (
    `<form class="upload" method="post" enctype="multipart/form-data" action="${action}">` +
    `<input type="file" name="file" multiple required> ` +
    `<button type="submit">Upload</button></form>\n`
  );
}
