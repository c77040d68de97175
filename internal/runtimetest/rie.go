package runtimetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// RIEPackage is AWS's Lambda Runtime Interface Emulator, a tool dependency in go.mod:
// `go tool aws-lambda-rie` runs it, GoBuild builds it, and CI needs only the module
// proxy to get it.
const RIEPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// RIE is AWS's Runtime Interface Emulator running one function. Where RuntimeAPI is our
// reading of the Runtime API, the RIE is AWS's own code, so a function that works under
// both does not depend on our reading. The RIE shows less: it answers invocation errors
// with HTTP 200, sets no X-Amz-Function-Error, hides the deadline, and cuts request
// bodies above its own limit (6 MiB + 100 bytes) instead of refusing them.
type RIE struct {
	*Process
	addr string
}

// StartRIE runs the emulator binary rie with the function binary bootstrap, both on
// loopback ports of their own (the RIE's defaults, 8080 and 9001, would collide with
// anything else on the machine), and waits until it accepts invocations. The emulator
// passes env on to the function; it starts the function at the first invocation.
func StartRIE(ctx context.Context, rie, bootstrap string, env []string) (*RIE, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	p, err := StartProcess(env, rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+apiPort,
		bootstrap)
	if err != nil {
		return nil, err
	}
	if err := WaitUntil(ctx, p, 5*time.Millisecond, Dialable(addr)); err != nil {
		p.Stop(time.Second)
		return nil, fmt.Errorf("the RIE did not listen on %s: %w\n%s", addr, err, p.Output())
	}
	return &RIE{Process: p, addr: addr}, nil
}

// Addr is the emulator's host:port.
func (r *RIE) Addr() string { return r.addr }

// Invoke posts payload, whatever it is, as one synchronous invocation and returns the
// function's answer. The RIE does not say whether that is a response or an invocation
// error, so an answer shaped like Lambda's error document ({"errorMessage", "errorType"})
// counts as KindError. RequestID and Deadline stay empty: the RIE does not report them.
func (r *RIE) Invoke(ctx context.Context, payload []byte) (LambdaResult, error) {
	url := "http://" + r.addr + "/2015-03-31/functions/function/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return LambdaResult{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return LambdaResult{}, fmt.Errorf("RIE invocation: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return LambdaResult{}, fmt.Errorf("RIE invocation: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return LambdaResult{}, fmt.Errorf("RIE invocation: HTTP %d: %s", resp.StatusCode, body)
	}
	res := LambdaResult{Kind: KindResponse, Body: body}
	var e struct {
		ErrorMessage *string `json:"errorMessage"`
		ErrorType    string  `json:"errorType"`
	}
	if json.Unmarshal(body, &e) == nil && e.ErrorMessage != nil && e.ErrorType != "" {
		res.Kind, res.ErrorType = KindError, e.ErrorType
	}
	return res, nil
}
