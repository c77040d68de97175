//go:build !lambda

package platform

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/facegate/facegate/pkg/scfrpc"
)

// This file is the SCF event-function runtime: in every build but the Lambda one
// (-tags lambda).

// runSCFEvent serves SCF's Go1 runtime protocol on $_LAMBDA_SERVER_PORT until ctx is
// done.
func runSCFEvent(ctx context.Context, a *adapter, _ Options, getenv func(string) string) error {
	port := getenv(envSCFPort)
	if port == "" {
		return fmt.Errorf("platform: runtime %s needs %s", SCFEvent, envSCFPort)
	}
	// Every interface, as Tencent's own Go library listens: which address SCF's
	// runtime dials inside the instance is not documented, and the instance's
	// network is the platform's, not the internet's.
	lis, err := net.Listen("tcp", net.JoinHostPort("", port))
	if err != nil {
		return fmt.Errorf("platform: listen for the SCF runtime: %w", err)
	}
	a.logger.InfoContext(ctx, "runtime selected", "runtime", string(SCFEvent), "addr", lis.Addr().String())
	srv := &scfrpc.Server{Handler: a.scfInvoke, Logger: a.logger}
	return srv.Serve(ctx, lis)
}

// scfRequestID is the request id pkg/scfrpc puts in an invocation's context.
func scfRequestID(ctx context.Context) string {
	if inv, ok := scfrpc.FromContext(ctx); ok {
		return inv.RequestID
	}
	return ""
}

// scfEvent is an SCF API Gateway trigger event, or (without requestContext) a
// function-URL event, or a timer trigger's event (Type "Timer").
type scfEvent struct {
	// Type is the timer trigger's: {"Type":"Timer","TriggerName":"sweep",
	// "Time":"2019-08-17T05:26:00Z","Message":"..."}.
	Type            string                `json:"Type"`
	RequestContext  *scfRequestContext    `json:"requestContext"`
	HTTPMethod      string                `json:"httpMethod"`
	Path            string                `json:"path"`
	Headers         map[string]flexValues `json:"headers"`
	QueryString     map[string]flexValues `json:"queryString"`
	Body            string                `json:"body"`
	IsBase64Encoded bool                  `json:"isBase64Encoded"`
}

// scfProbe holds the fields that tell SCF's event kinds apart.
type scfProbe struct {
	Type           string `json:"Type"`
	HTTPMethod     string `json:"httpMethod"`
	RequestContext struct {
		HTTPMethod string `json:"httpMethod"`
	} `json:"requestContext"`
}

type scfRequestContext struct {
	ServiceID  string `json:"serviceId"`
	Path       string `json:"path"`
	HTTPMethod string `json:"httpMethod"`
	RequestID  string `json:"requestId"`
	SourceIP   string `json:"sourceIp"`
	Stage      string `json:"stage"`
}

// flexValues accepts the forms SCF uses for query and header values: a string, a
// list of strings, or true for a query key given without a value.
type flexValues struct {
	values []string
	bare   bool
}

func (f *flexValues) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null" || string(b) == "false":
		return nil
	case string(b) == "true":
		f.bare = true
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		f.values = []string{s}
		return nil
	case b[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		for _, item := range list {
			var one flexValues
			if err := one.UnmarshalJSON(item); err != nil {
				return err
			}
			f.values = append(f.values, one.values...)
			f.bare = f.bare || one.bare
		}
		return nil
	}
	// Numbers arrive when a gateway parsed them; keep their text.
	f.values = []string{string(b)}
	return nil
}

// scfResponse is the integrated response SCF expects: headers are single-valued.
type scfResponse struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// scfInvoke serves one SCF event: an HTTP event becomes a response; a timer event runs
// the adapter's Scheduled function, whose error is the invocation's. Any other payload,
// and a timer event for a function without Scheduled, is an error.
func (a *adapter) scfInvoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv, _ := scfrpc.FromContext(ctx)
	if len(payload) > MaxEventSize {
		return json.Marshal(a.scfResponse(ctx, tooLarge()))
	}
	if !json.Valid(payload) {
		return nil, errUnsupportedEvent
	}
	// The fields that mark the kind of event are read first, and leniently (a field of
	// the wrong type is skipped), so that an HTTP event whose other fields cannot be read
	// is answered 400, as on Lambda, instead of failing the invocation (which the gateway
	// turns into an opaque 502), and a timer event runs whatever else it carries.
	var probe scfProbe
	_ = json.Unmarshal(payload, &probe)
	method := cmp.Or(probe.HTTPMethod, probe.RequestContext.HTTPMethod)
	if method == "" {
		if strings.EqualFold(probe.Type, "Timer") && a.scheduled != nil {
			return a.runScheduled(ctx, inv.RequestID, "timer")
		}
		return nil, errUnsupportedEvent
	}
	var ev scfEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return json.Marshal(a.scfResponse(ctx, errorResponse(http.StatusBadRequest, "invalid_request", "The request could not be read.")))
	}
	ev.HTTPMethod = method
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return json.Marshal(a.scfResponse(ctx, errorResponse(http.StatusBadRequest, "invalid_request", "The request body could not be read.")))
	}

	header := http.Header{}
	for k, v := range ev.Headers {
		for _, s := range v.values {
			header.Add(k, s)
		}
	}
	id := inv.RequestID
	var clientIP string
	if ev.RequestContext != nil {
		// API Gateway: the gateway's own view of the client.
		clientIP = ev.RequestContext.SourceIP
		if id == "" {
			id = ev.RequestContext.RequestID
		}
	} else {
		// Function URL: SCF puts the client address in this header.
		clientIP = header.Get("X-Scf-Remote-Addr")
	}
	path := ev.Path
	if path == "" {
		path = "/"
	}
	target := (&url.URL{Path: path}).EscapedPath()
	if q := scfQuery(ev.QueryString); q != "" {
		target += "?" + q
	}
	resp := a.serveEvent(ctx, httpEvent{
		method:   ev.HTTPMethod,
		target:   target,
		host:     header.Get("Host"),
		header:   header,
		body:     body,
		clientIP: clientIP,
		id:       id,
	})
	return json.Marshal(a.scfResponse(withRequestInfo(ctx, requestInfo{id: id}), resp))
}

// scfQuery rebuilds a query string from SCF's decoded queryString map, keys in
// order; a bare key (value true) stays bare.
func scfQuery(q map[string]flexValues) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(q)) {
		v := q[k]
		if v.bare && len(v.values) == 0 {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			continue
		}
		for _, s := range v.values {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(s))
		}
	}
	return b.String()
}

// scfResponse encodes an integrated response. SCF headers hold one value each, so
// repeated headers are comma-joined, except Set-Cookie, which cannot be joined:
// the first cookie is kept and the rest dropped with a warning (the core sets at
// most one cookie by design).
func (a *adapter) scfResponse(ctx context.Context, r eventResponse) scfResponse {
	out := scfResponse{StatusCode: r.status, Headers: map[string]string{}}
	for k, vs := range r.header {
		if len(vs) == 0 {
			continue
		}
		if k == "Set-Cookie" {
			out.Headers[k] = vs[0]
			if len(vs) > 1 {
				a.logger.WarnContext(ctx, "SCF responses carry one Set-Cookie; extra cookies dropped", "dropped", len(vs)-1)
			}
			continue
		}
		out.Headers[k] = strings.Join(vs, ", ")
	}
	out.Body, out.IsBase64Encoded = encodeBody(r.header.Get("Content-Type"), r.body)
	return out
}
