//go:build !lambda && !scf

package platform

import "context"

// The build without a platform tag carries every runtime: the local binary, `go build`
// and `go test`.

const (
	variant     = ""
	variantName = ""
)

// runtimes are the runtimes this build carries.
var runtimes = map[Kind]runner{Lambda: runLambda, SCFEvent: runSCFEvent, SCFWeb: runSCFWeb, Local: runLocal}

// requestIDs find a platform's request id in a context that did not pass through an
// adapter (a record the SCF runtime logs itself, say).
var requestIDs = []func(ctx context.Context) string{lambdaRequestID, scfRequestID}
