//go:build !lambda && !scf

package app

// The build without a platform tag (the local binary, `go build`, `go test`) carries
// every store; S3 takes its credentials from the SDK's whole default chain.
var stores = map[string]storeMaker{StoreLocal: newLocalStore, StoreS3: newS3StoreDefaultChain, StoreCOS: newCOSStore}
