// Package docs holds the merchant's integration guide (integration.md) and the tests that
// run every code block in it, and openapi.yaml's start-token recipe, against facegate's
// local stack.
package docs
