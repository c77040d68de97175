//go:build lambda && !scf

package platform

import "context"

// The AWS Lambda build (go build -tags lambda) carries the Lambda runtime only: no SCF
// runtime protocol (net/rpc and its html/template), no HTTP server.

const (
	variant     = "lambda"
	variantName = "AWS Lambda"
)

var runtimes = map[Kind]runner{Lambda: runLambda}

var requestIDs = []func(ctx context.Context) string{lambdaRequestID}
