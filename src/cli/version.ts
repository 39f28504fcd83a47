/** The package version; lives in util/ so the library (the client's User-Agent) can use it too. */
export { packageVersion } from "../util/package-version.js";
