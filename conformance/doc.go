// Package conformance drives the sandbox (pkg/sandbox) with Tencent's official SDKs,
// unchanged but for their endpoint, to show that merchants can test their own backends
// against it in their language. Each SDK's suite lives in a folder of its own and is run
// by a Go test:
//
//	go test ./conformance -run TestNodeSDK -v   # tencentcloud-sdk-nodejs-intl-en
package conformance
