// Package examples holds small, complete merchant backends for facegate in Go (go/),
// Node.js (node/) and Python (python/), and the test that runs each one as a process
// against the local stack through a whole verification: docs/integration.md explains
// what they do.
package examples
