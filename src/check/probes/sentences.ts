/**
 * RFC sentences that several probes rest on, quoted once. A probe whose sentence is its own
 * quotes it inline.
 */

export const RFC9112_2_2_BAD_MESSAGE = {
  rfc: "RFC 9112 §2.2",
  sentence:
    "When a server listening only for HTTP request messages, or processing what appears from the start-line to be an HTTP request message, receives a sequence of octets that does not match the HTTP-message grammar aside from the robustness exceptions listed above, the server SHOULD respond with a 400 (Bad Request) response and close the connection.",
} as const;

export const RFC9112_2_2_BARE_LF = {
  rfc: "RFC 9112 §2.2",
  sentence:
    "Although the line terminator for the start-line and fields is the sequence CRLF, a recipient MAY recognize a single LF as a line terminator and ignore any preceding CR.",
} as const;

export const RFC9112_2_2_BARE_CR = {
  rfc: "RFC 9112 §2.2",
  sentence:
    "A recipient of such a bare CR MUST consider that element to be invalid or replace each bare CR with SP before processing the element or forwarding the message.",
} as const;

export const RFC9112_3_INVALID_LINE = {
  rfc: "RFC 9112 §3",
  sentence:
    "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error or a 301 (Moved Permanently) redirect with the request-target properly encoded.",
} as const;

export const RFC9112_3_WHITESPACE = {
  rfc: "RFC 9112 §3",
  sentence:
    "Although the request-line grammar rule requires that each of the component elements be separated by a single SP octet, recipients MAY instead parse on whitespace-delimited word boundaries and, aside from the CRLF terminator, treat any form of whitespace as the SP separator while ignoring preceding or trailing whitespace.",
} as const;

export const RFC9112_3_2_HOST = {
  rfc: "RFC 9112 §3.2",
  sentence:
    "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field and to any request message that contains more than one Host header field line or a Host header field with an invalid field value.",
} as const;

export const RFC9112_5_1_COLON = {
  rfc: "RFC 9112 §5.1",
  sentence:
    "A server MUST reject, with a response status code of 400 (Bad Request), any received request message that contains whitespace between a header field name and colon.",
} as const;

export const RFC9110_5_5_CTL = {
  rfc: "RFC 9110 §5.5",
  sentence:
    "A recipient of CR, LF, or NUL within a field value MUST either reject the message or replace each of those characters with SP before further processing or forwarding of that message.",
} as const;

export const RFC9110_5_4_LIMITS = {
  rfc: "RFC 9110 §5.4",
  sentence:
    "A server that receives a request header field line, field value, or set of fields larger than it wishes to process MUST respond with an appropriate 4xx (Client Error) status code.",
} as const;

export const RFC9112_6_1_CL_TE = {
  rfc: "RFC 9112 §6.1",
  sentence:
    "A server MAY reject a request that contains both Content-Length and Transfer-Encoding or process such a request in accordance with the Transfer-Encoding alone. Regardless, the server MUST close the connection after responding to such a request to avoid the potential attacks.",
} as const;

export const RFC9112_6_3_TE_NOT_FINAL = {
  rfc: "RFC 9112 §6.3",
  sentence:
    "If a Transfer-Encoding header field is present in a request and the chunked transfer coding is not the final encoding, the message body length cannot be determined reliably; the server MUST respond with the 400 (Bad Request) status code and then close the connection.",
} as const;

export const RFC9112_6_3_BAD_CL = {
  rfc: "RFC 9112 §6.3",
  sentence:
    "If the unrecoverable error is in a request message, the server MUST respond with a 400 (Bad Request) status code and then close the connection.",
} as const;

export const RFC9112_6_3_CL_LIST = {
  rfc: "RFC 9112 §6.3",
  sentence:
    "...unless the field value can be successfully parsed as a comma-separated list, all values in the list are valid, and all values in the list are the same (in which case, the message is processed with that single value used as the Content-Length field value).",
} as const;

export const RFC9112_6_3_CL_VALID = {
  rfc: "RFC 9112 §6.3",
  sentence:
    "If a valid Content-Length header field is present without Transfer-Encoding, its decimal value defines the expected message body length in octets.",
} as const;

export const RFC9112_7_1_DECODE = {
  rfc: "RFC 9112 §7.1",
  sentence: "A recipient MUST be able to parse and decode the chunked transfer coding.",
} as const;

export const RFC9112_11_2_SMUGGLING = {
  rfc: "RFC 9112 §11.2",
  sentence:
    "Request smuggling exploits differences in protocol parsing among various recipients to hide additional requests (which might otherwise be blocked or disallowed by policy) within an apparently harmless request.",
} as const;
