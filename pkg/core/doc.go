// Package core is the verification service: it starts Tencent eKYC web verifications,
// takes the browser back at the callback and answers results, over three HTTP handlers
// (Start, Callback, Result) that the functions deploy one by one.
//
// The core declares what it consumes: FaceID (the Tencent client) and a storage.Store
// (session records). It keeps one record per session, created once at start, and one result record
// created once when the verification becomes terminal, both under keys derived from the
// SHA-256 of the BizToken. Tokens, tickets, secrets, images and document data never reach
// a log line.
package core
