// Command noop-bootstrap is a Lambda custom runtime that does nothing: it answers every
// invocation with {} on the Runtime API at $AWS_LAMBDA_RUNTIME_API. cmd/coldstart runs
// it under AWS's Runtime Interface Emulator to measure what the emulator and a process
// start cost on their own, apart from any function's work.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "noop-bootstrap:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if resp, err := http.Post(base+id+"/response", "application/json", bytes.NewReader([]byte("{}"))); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}
